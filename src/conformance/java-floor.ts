/**
 * The lowest version of each API that a Kafka 4.0 broker accepts (KIP-896),
 * which is also the oldest version Java 4.x clients send: a broker whose
 * maximum for an API is below this floor cannot serve those clients.
 * Source: ../shared/kafka-protocol/CLIENT-VERSIONS.md, table 1 ("4.0 floor").
 * APIs not listed have floor 0.
 */
export const JAVA_4_FLOOR: ReadonlyMap<number, number> = new Map([
  [0, 3], // Produce (v0-2 advertised for librdkafka but refused)
  [1, 4], // Fetch
  [2, 1], // ListOffsets
  [8, 2], // OffsetCommit
  [9, 1], // OffsetFetch
  [11, 2], // JoinGroup
  [19, 2], // CreateTopics
  [20, 1], // DeleteTopics
  [23, 2], // OffsetForLeaderEpoch
  [27, 1], // WriteTxnMarkers
  [29, 1], // DescribeAcls
  [30, 1], // CreateAcls
  [31, 1], // DeleteAcls
  [32, 1], // DescribeConfigs
  [34, 1], // AlterReplicaLogDirs
  [35, 1], // DescribeLogDirs
  [38, 1], // CreateDelegationToken
  [39, 1], // RenewDelegationToken
  [40, 1], // ExpireDelegationToken
  [41, 1], // DescribeDelegationToken
]);
