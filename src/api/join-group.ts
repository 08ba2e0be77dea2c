/**
 * JoinGroup (key 11), v2-9: the Kafka 4.0 floor is v2 (v0-1 came back only
 * in 4.0.1, for old librdkafka with Kerberos). v2 adds throttle time, v4
 * requires a known member id (KIP-394: a new dynamic member gets
 * MEMBER_ID_REQUIRED with its id and joins again), v5 static membership
 * (group.instance.id, KIP-345), v6 flexible, v7 the protocol type in the
 * response (KIP-559), v8 the join reason (KIP-800), v9 skipAssignment for a
 * static leader rejoining a stable group (KIP-814).
 *
 * An empty group id is INVALID_GROUP_ID; a session timeout outside
 * group.min/max.session.timeout.ms is INVALID_SESSION_TIMEOUT. The request
 * is parked until the join phase of the rebalance ends (classic-join.ts);
 * the response waits for it.
 */
import { joinGroupRequestMeta } from '../protocol/generated/join-group-request.js';
import { joinGroupResponseMeta } from '../protocol/generated/join-group-response.js';
import type { JoinResponse } from '../group/classic-member.js';
import { clientHostOf } from '../group/client-host.js';
import { ErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';

registerApi({
  request: joinGroupRequestMeta,
  response: joinGroupResponseMeta,
  minVersion: 2,
  maxVersion: 9,
  async handle(ctx, req) {
    const groups = ctx.broker.groups;
    const fail = (errorCode: number): JoinResponse => ({ memberId: req.memberId, errorCode, protocolType: null, protocolName: null });
    let res: JoinResponse;
    if (req.groupId === '') res = fail(ErrorCode.INVALID_GROUP_ID);
    else if (req.sessionTimeoutMs < groups.config.minSessionTimeoutMs || req.sessionTimeoutMs > groups.config.maxSessionTimeoutMs) {
      res = fail(ErrorCode.INVALID_SESSION_TIMEOUT);
    } else {
      const input = { request: req, apiVersion: ctx.apiVersion, clientId: ctx.clientId ?? '', clientHost: clientHostOf(ctx.clientAddress) };
      res = await groups.parked<JoinResponse>(req.groupId, (shard, op, reply) => shard.join(op, input, reply), fail);
    }
    // Before v7 the protocol name is not nullable (Kafka sends "" instead).
    if (ctx.apiVersion < 7 && (res.protocolName === null || res.protocolName === undefined)) res = { ...res, protocolName: '' };
    return res;
  },
});
