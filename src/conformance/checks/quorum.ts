/**
 * DescribeQuorum (55), v0-2 (KIP-595, KIP-836, KIP-853). A broker answers
 * for the metadata quorum (in Kafka it forwards to the active controller):
 * __cluster_metadata partition 0 has a leader that is one of the current
 * voters, an epoch of at least 1 (an election happened), a high watermark
 * of at least 1 (the leader's LeaderChange record is committed) that the
 * leader's own log end offset covers. Any other partition is
 * UNKNOWN_TOPIC_OR_PARTITION.
 */
import { ErrorCode } from '../../api/error-codes.js';
import type { Check } from '../check.js';
import { expectEqual, expectError, expectNoError, expectTrue, find } from '../assert.js';

const DESCRIBE_QUORUM = 55;
const METADATA_TOPIC = '__cluster_metadata';

const leader: Check = {
  id: 'describe-quorum.leader',
  title: 'the metadata quorum has a leader among its voters, an epoch and a committed high watermark',
  apiKey: DESCRIBE_QUORUM,
  versions: 'all',
  tagged: true,
  async run(ctx, v) {
    const c = await ctx.conn();
    const r = await c.request(DESCRIBE_QUORUM, v, { topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: 0 }] }] });
    expectNoError(r.errorCode, 'errorCode');
    expectEqual(r.topics.length, 1, 'topics');
    expectEqual(r.topics[0]!.topicName, METADATA_TOPIC, 'topicName');
    const p = r.topics[0]!.partitions[0]!;
    expectNoError(p.errorCode, 'partition errorCode');
    expectTrue(p.leaderEpoch >= 1, `leaderEpoch ${p.leaderEpoch} is at least 1`);
    expectTrue(p.highWatermark >= 1n, `highWatermark ${p.highWatermark} is at least 1`);
    const self = find(p.currentVoters, (x) => x.replicaId === p.leaderId, `the leader ${p.leaderId} among the voters`);
    expectTrue(self.logEndOffset >= p.highWatermark, `the leader's log end offset ${self.logEndOffset} covers the high watermark ${p.highWatermark}`);
  },
};

const unknownPartition: Check = {
  id: 'describe-quorum.unknown-partition',
  title: 'a partition other than __cluster_metadata-0 is UNKNOWN_TOPIC_OR_PARTITION',
  apiKey: DESCRIBE_QUORUM,
  versions: 'all',
  async run(ctx, v) {
    const c = await ctx.conn();
    const r = await c.request(DESCRIBE_QUORUM, v, { topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: 1 }] }] });
    expectNoError(r.errorCode, 'errorCode');
    expectError(r.topics[0]?.partitions[0]?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'partition errorCode');
  },
};

export const quorumChecks: readonly Check[] = [leader, unknownPartition];
