/** Builds metadata images for the controller-decision tables. */
import { MetadataImage } from '../../../src/controller/metadata-image.js';
import { decodeMetadataRecord, encodeMetadataRecord, type MetadataRecord, type MetadataRecordInput } from '../../../src/controller/metadata-records.js';

export const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';

export interface PartitionSpec {
  replicas: number[];
  isr: number[];
  leader: number;
  adding?: number[];
  removing?: number[];
}

/** Brokers 1..brokers (those in `fenced` fenced, epochs 100+id), topic `t` with the given partitions. */
export function imageWith(brokers: number, parts: PartitionSpec[], fenced: number[] = [], configs: Record<string, string> = {}): MetadataImage {
  const recs: MetadataRecordInput[] = [];
  for (let id = 1; id <= brokers; id++) {
    recs.push({ type: 'RegisterBroker', data: { brokerId: id, brokerEpoch: BigInt(100 + id), incarnationId: TOPIC_ID, endPoints: [], rack: null, fenced: fenced.includes(id) } });
  }
  recs.push({ type: 'Topic', data: { name: 't', topicId: TOPIC_ID } });
  for (const [name, value] of Object.entries(configs)) recs.push({ type: 'Config', data: { resourceType: 2, resourceName: 't', name, value } });
  parts.forEach((p, i) =>
    recs.push({
      type: 'Partition',
      data: { partitionId: i, topicId: TOPIC_ID, replicas: p.replicas, isr: p.isr, leader: p.leader, leaderEpoch: 5, partitionEpoch: 7, addingReplicas: p.adding ?? [], removingReplicas: p.removing ?? [] },
    }),
  );
  return replay(MetadataImage.empty(), recs);
}

export function replay(image: MetadataImage, recs: MetadataRecordInput[]): MetadataImage {
  const decoded = recs.map((r) => decodeMetadataRecord(encodeMetadataRecord(r))).filter((r): r is MetadataRecord => r !== null);
  return image.replay(decoded, image.offset + recs.length);
}
