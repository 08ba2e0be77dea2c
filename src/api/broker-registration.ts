/**
 * BrokerRegistration (key 62), v0-4 (KIP-631). Served on CONTROLLER
 * listeners only, and answered by the active controller (NOT_CONTROLLER
 * elsewhere; the broker retries with the leader). The registration is
 * committed as a fenced RegisterBrokerRecord whose offset is the broker
 * epoch; DUPLICATE_BROKER_REGISTRATION while another incarnation of the id
 * holds a live session; INCONSISTENT_CLUSTER_ID for another cluster.
 */
import { brokerRegistrationRequestMeta } from '../protocol/generated/broker-registration-request.js';
import { brokerRegistrationResponseMeta } from '../protocol/generated/broker-registration-response.js';
import { registerApi } from './registry.js';

registerApi({
  request: brokerRegistrationRequestMeta,
  response: brokerRegistrationResponseMeta,
  minVersion: 0,
  maxVersion: 4,
  listeners: ['controller'],
  async handle(ctx, req) {
    const r = await ctx.broker.controller.registerBroker({
      brokerId: req.brokerId,
      clusterId: req.clusterId,
      incarnationId: req.incarnationId,
      listeners: req.listeners.map((l) => ({ name: l.name, host: l.host, port: l.port, securityProtocol: l.securityProtocol })),
      rack: req.rack,
    });
    return { errorCode: r.errorCode, brokerEpoch: r.brokerEpoch };
  },
});
