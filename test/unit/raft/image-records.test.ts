/** A metadata snapshot holds the image: its records replayed into an empty image give the same image. */
import { describe, expect, it } from 'vitest';
import { MetadataImage, TOPIC_RESOURCE } from '../../../src/controller/metadata-image.js';
import { decodeMetadataRecord, encodeMetadataRecord, type MetadataRecord, type MetadataRecordInput } from '../../../src/controller/metadata-records.js';
import { imageToRecordValues } from '../../../src/controller/image-records.js';
import { decodeSnapshot, encodeSnapshot } from '../../../src/controller/snapshot-file.js';

const decode = (inputs: MetadataRecordInput[]): MetadataRecord[] => inputs.map((r) => decodeMetadataRecord(encodeMetadataRecord(r))!);

describe('image → snapshot records', () => {
  it('round-trips brokers, topics, partitions, configs and producer ids through a checkpoint', () => {
    const image = MetadataImage.empty().replay(
      decode([
        { type: 'RegisterBroker', data: { brokerId: 1, incarnationId: 'AAAAAAAAAAAAAAAAAAAAAQ', brokerEpoch: 5n, endPoints: [{ name: 'PLAINTEXT', host: 'h1', port: 9092, securityProtocol: 0 }], rack: 'r1', fenced: false } },
        { type: 'RegisterBroker', data: { brokerId: 2, incarnationId: 'AAAAAAAAAAAAAAAAAAAAAg', brokerEpoch: 6n, endPoints: [], rack: null, fenced: true } },
        { type: 'Topic', data: { name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAw' } },
        { type: 'Config', data: { resourceType: TOPIC_RESOURCE, resourceName: 't', name: 'retention.ms', value: '1000' } },
        { type: 'Partition', data: { topicId: 'AAAAAAAAAAAAAAAAAAAAAw', partitionId: 0, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0, partitionEpoch: 0 } },
        { type: 'Partition', data: { topicId: 'AAAAAAAAAAAAAAAAAAAAAw', partitionId: 1, replicas: [2, 1], isr: [2, 1], leader: 2, leaderEpoch: 0, partitionEpoch: 0 } },
        { type: 'PartitionChange', data: { topicId: 'AAAAAAAAAAAAAAAAAAAAAw', partitionId: 1, isr: [1], leader: 1 } },
        { type: 'ProducerIds', data: { brokerId: 1, brokerEpoch: 5n, nextProducerId: 2000n } },
      ]),
      41,
    );
    const bytes = encodeSnapshot(imageToRecordValues(image), 3, 99);
    const back = MetadataImage.empty().replay(decodeSnapshot(bytes).map((v) => decodeMetadataRecord(v)!), 41);
    expect(back).toEqual(image);
    expect(back.partition('t', 1)).toMatchObject({ leader: 1, isr: [1], leaderEpoch: 1, partitionEpoch: 1 });
  });
});
