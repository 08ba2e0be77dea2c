/**
 * kafkajs with zstd: kafkajs ships no zstd codec; users register one under
 * CompressionTypes.ZSTD. This one uses zstd-napi (the working choice on
 * Node 20, see ../shared/clients.md). Importing this module registers it;
 * snappy and lz4 come from test/helpers/kafkajs.ts.
 */
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { compress, decompress } from 'zstd-napi';

const codecs = CompressionCodecs as unknown as Record<number, unknown>;
codecs[CompressionTypes.ZSTD] = () => ({
  compress: async (encoder: { buffer: Buffer }) => compress(encoder.buffer),
  decompress: async (buffer: Buffer) => decompress(buffer),
});

export { CompressionTypes };
