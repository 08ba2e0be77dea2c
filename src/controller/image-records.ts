/**
 * A MetadataImage written back out as metadata records: the content of a
 * metadata snapshot. Replaying these records into an empty image yields an
 * equal image (brokers, topics with their partitions and configs, the next
 * producer id); the unit tests check that round trip.
 */
import { TOPIC_RESOURCE, type MetadataImage } from './metadata-image.js';
import { encodeMetadataRecord, type MetadataRecordInput } from './metadata-records.js';

export function imageToRecords(image: MetadataImage): MetadataRecordInput[] {
  const out: MetadataRecordInput[] = [];
  for (const b of [...image.brokers.values()].sort((x, y) => x.id - y.id)) {
    out.push({
      type: 'RegisterBroker',
      data: {
        brokerId: b.id,
        incarnationId: b.incarnationId,
        brokerEpoch: b.epoch,
        endPoints: b.endpoints.map((e) => ({ ...e })),
        rack: b.rack,
        fenced: b.fenced,
      },
    });
  }
  for (const t of [...image.topics.values()].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))) {
    out.push({ type: 'Topic', data: { name: t.name, topicId: t.id } });
    for (const [name, value] of t.configs) out.push({ type: 'Config', data: { resourceType: TOPIC_RESOURCE, resourceName: t.name, name, value } });
    for (const p of t.partitions) {
      if (!p) continue;
      out.push({
        type: 'Partition',
        data: {
          partitionId: p.partition,
          topicId: t.id,
          replicas: [...p.replicas],
          isr: [...p.isr],
          leader: p.leader,
          leaderEpoch: p.leaderEpoch,
          partitionEpoch: p.partitionEpoch,
          addingReplicas: [...p.addingReplicas],
          removingReplicas: [...p.removingReplicas],
        },
      });
    }
  }
  if (image.nextProducerId > 0n) out.push({ type: 'ProducerIds', data: { brokerId: -1, brokerEpoch: -1n, nextProducerId: image.nextProducerId } });
  return out;
}

/** The framed record values of a snapshot of `image`. */
export function imageToRecordValues(image: MetadataImage): Buffer[] {
  return imageToRecords(image).map(encodeMetadataRecord);
}
