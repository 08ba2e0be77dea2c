/**
 * Versions outside the advertised range. Kafka closes the connection when a
 * request (other than ApiVersions) names a version it does not support, and
 * when the API key is unknown; a broker may instead answer with
 * UNSUPPORTED_VERSION. Either passes; answering as if the version were fine,
 * or leaving the client hanging, fails.
 *
 * The bodies sent are harmless if a broker wrongly accepts them (empty topic
 * lists, an invalid session timeout), so a failing broker is not changed.
 */
import { ErrorCode } from '../../api/error-codes.js';
import { API_SCHEMAS } from '../../protocol/generated/api-keys.js';
import { Reader } from '../../protocol/primitives/index.js';
import type { Check } from '../check.js';
import { decodeResponseFrame, type ApiKeyOf, type Req } from '../connection.js';
import { fail, refusal, skip } from '../assert.js';
import { Api } from '../ops.js';

const GROUP = 'krill-conformance-unsupported-version';

/**
 * Bodies that do nothing on a broker that (wrongly) accepts them, at body
 * version v (only fields that version has).
 */
const HARMLESS: { [K in ApiKeyOf]?: (v: number) => Req<K> } = {
  [Api.Produce]: () => ({ acks: 1, timeoutMs: 1000, topicData: [] }),
  [Api.Fetch]: () => ({ topics: [] }),
  [Api.ListOffsets]: () => ({ topics: [] }),
  [Api.Metadata]: () => ({ topics: [] }),
  [Api.OffsetCommit]: () => ({ groupId: GROUP, topics: [] }),
  [Api.OffsetFetch]: (v) => (v < 8 ? { groupId: GROUP, topics: [] } : { groups: [] }),
  [Api.FindCoordinator]: (v) => (v < 4 ? { key: GROUP } : { coordinatorKeys: [GROUP] }),
  [Api.JoinGroup]: () => ({ groupId: GROUP, sessionTimeoutMs: 1, memberId: '', protocolType: 'consumer', protocols: [] }),
  [Api.Heartbeat]: () => ({ groupId: GROUP, generationId: -1, memberId: 'none' }),
  [Api.LeaveGroup]: (v) => (v < 3 ? { groupId: GROUP, memberId: 'none' } : { groupId: GROUP, members: [] }),
  [Api.SyncGroup]: () => ({ groupId: GROUP, generationId: -1, memberId: 'none', assignments: [] }),
  [Api.DescribeGroups]: () => ({ groups: [] }),
  [Api.ListGroups]: () => ({}),
  [Api.CreateTopics]: () => ({ topics: [] }),
  [Api.DeleteGroups]: () => ({ groupsNames: [] }),
  [Api.OffsetDelete]: () => ({ groupId: GROUP, topics: [] }),
  [Api.DeleteTopics]: () => ({}),
  [Api.DescribeConfigs]: () => ({ resources: [] }),
  [Api.DeleteRecords]: () => ({ topics: [] }),
  [Api.AlterConfigs]: () => ({ resources: [], validateOnly: true }),
  [Api.IncrementalAlterConfigs]: () => ({ resources: [], validateOnly: true }),
  [Api.CreatePartitions]: () => ({ topics: [] }),
  [Api.DescribeCluster]: () => ({}),
  // Transactions: an unknown transactional id and producer id -1 change nothing.
  [Api.AddPartitionsToTxn]: (v) =>
    v < 4 ? { v3AndBelowTransactionalId: GROUP, v3AndBelowProducerId: -1n, v3AndBelowProducerEpoch: -1, v3AndBelowTopics: [] } : { transactions: [] },
  [Api.AddOffsetsToTxn]: () => ({ transactionalId: GROUP, producerId: -1n, producerEpoch: -1, groupId: GROUP }),
  [Api.EndTxn]: () => ({ transactionalId: GROUP, producerId: -1n, producerEpoch: -1, committed: false }),
  [Api.WriteTxnMarkers]: () => ({ markers: [] }),
  [Api.TxnOffsetCommit]: () => ({ transactionalId: GROUP, groupId: GROUP, producerId: -1n, producerEpoch: -1, topics: [] }),
  [Api.DescribeProducers]: () => ({ topics: [] }),
  [Api.DescribeTransactions]: () => ({ transactionalIds: [] }),
  [Api.ListTransactions]: () => ({ stateFilters: [], producerIdFilters: [] }),
};

const schemaMax = (k: ApiKeyOf): number => API_SCHEMAS[k].request.maxVersion;

/** Top-level errorCode of a decoded body, when it has one. */
function topLevelError(body: unknown): number | undefined {
  const code = (body as { errorCode?: unknown }).errorCode;
  return typeof code === 'number' ? code : undefined;
}

function refuseCheck(apiKey: ApiKeyOf, which: 'above-max' | 'below-min'): Check {
  return {
    id: `versions.${which}`,
    title: which === 'above-max' ? 'a version above the advertised maximum is refused' : 'a version below the advertised minimum is refused',
    apiKey,
    async run(ctx) {
      const range = ctx.suite.advertised.get(apiKey)!;
      let sent: number;
      let bodyVersion: number;
      if (which === 'above-max') {
        sent = range.max + 1;
        bodyVersion = Math.min(sent, schemaMax(apiKey));
      } else {
        sent = range.min - 1;
        if (sent < API_SCHEMAS[apiKey].request.minVersion) skip(`the broker advertises v${range.min}, the oldest version there is`);
        bodyVersion = sent;
      }
      const c = await ctx.fresh();
      const correlationId = c.nextCorrelationId();
      const body = (HARMLESS[apiKey] as (v: number) => unknown)(bodyVersion);
      const frame = c.frame(apiKey, sent, body as never, { correlationId, bodyVersion });
      const wait = c.nextFrame();
      c.writeRaw(frame);
      const outcome = await refusal(wait);
      if (outcome.kind === 'closed') return;
      let code: number | undefined;
      try {
        code = topLevelError(decodeResponseFrame(apiKey, bodyVersion, outcome.frame, correlationId));
      } catch {
        code = undefined;
      }
      if (code !== ErrorCode.UNSUPPORTED_VERSION) {
        fail(`v${sent} (advertised ${range.min}-${range.max}) was answered${code === undefined ? '' : ` with error ${code}`} instead of refused (closed connection or UNSUPPORTED_VERSION)`);
      }
    },
  };
}

const unknownApiKey: Check = {
  id: 'connection.unknown-api-key',
  title: 'a request with an API key the broker does not know closes the connection',
  apiKey: null,
  area: 'Connection',
  async run(ctx) {
    const c = await ctx.fresh();
    const frame = Buffer.alloc(4 + 10 + 17);
    frame.writeInt32BE(frame.length - 4, 0);
    frame.writeInt16BE(32_000, 4);
    frame.writeInt16BE(0, 6);
    frame.writeInt32BE(1, 8);
    frame.writeInt16BE(17, 12);
    frame.write('krill-conformance', 14);
    const wait = c.nextFrame();
    c.writeRaw(frame);
    const outcome = await refusal(wait);
    if (outcome.kind === 'answered') {
      const r = new Reader(outcome.frame);
      fail(`the broker answered (correlation id ${r.int32()}) instead of closing the connection`);
    }
  },
};

const keys = Object.keys(HARMLESS).map(Number) as ApiKeyOf[];

export const versionChecks: Check[] = [
  ...keys.map((k) => refuseCheck(k, 'above-max')),
  ...keys.map((k) => refuseCheck(k, 'below-min')),
  unknownApiKey,
];
