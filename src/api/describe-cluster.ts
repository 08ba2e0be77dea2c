/**
 * DescribeCluster (key 60), v0-1 (KIP-700). v1 adds the endpoint type:
 * 1 brokers (the only one answered here), 2 controllers
 * (UNSUPPORTED_ENDPOINT_TYPE until the controller listener exists).
 */
import { describeClusterRequestMeta } from '../protocol/generated/describe-cluster-request.js';
import { describeClusterResponseMeta } from '../protocol/generated/describe-cluster-response.js';
import { ErrorCode } from './error-codes.js';
import { clientControllerId, liveEndpoints } from './endpoints.js';
import { registerApi } from './registry.js';

const ALL_CLUSTER_OPS = [4, 5, 7, 8, 9, 10, 11, 12].reduce((m, b) => m | (1 << b), 0);

registerApi({
  request: describeClusterRequestMeta,
  response: describeClusterResponseMeta,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, req) {
    const endpointType = ctx.apiVersion >= 1 ? req.endpointType : 1;
    if (endpointType !== 1) {
      return { errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: `endpoint type ${endpointType} is not served`, endpointType, clusterId: ctx.broker.clusterId, controllerId: -1 };
    }
    const image = ctx.broker.image();
    return {
      errorCode: 0,
      endpointType,
      clusterId: ctx.broker.clusterId,
      controllerId: clientControllerId(image, ctx.broker.controller.leaderId, ctx.broker.nodeId),
      brokers: liveEndpoints(image, ctx.listenerName).map((e) => ({ brokerId: e.nodeId, host: e.host, port: e.port, rack: e.rack })),
      clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? ALL_CLUSTER_OPS : -2147483648,
    };
  },
});
