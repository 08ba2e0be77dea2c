/** kafkajs set up as users set it up: snappy and lz4 codecs registered, logs off. */
import { createRequire } from 'node:module';
import { CompressionCodecs, CompressionTypes, Kafka, logLevel } from 'kafkajs';

const require = createRequire(import.meta.url);
const SnappyCodec = require('kafkajs-snappy') as () => unknown;
const LZ4Codec = require('@2l/kafkajs-lz4') as { default?: new () => { codec: unknown } } & (new () => { codec: unknown });

const codecs = CompressionCodecs as unknown as Record<number, unknown>;
codecs[CompressionTypes.Snappy] = SnappyCodec;
const Lz4 = LZ4Codec.default ?? LZ4Codec;
codecs[CompressionTypes.LZ4] = new Lz4().codec;

export function kafkaClient(bootstrap: string, clientId = 'krill-test'): Kafka {
  return new Kafka({
    clientId,
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 100 },
  });
}

export { CompressionTypes };
