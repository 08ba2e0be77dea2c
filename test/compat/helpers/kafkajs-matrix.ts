/**
 * kafkajs as the matrix uses it. kafkajs ships no zstd codec; users register
 * one under CompressionTypes.ZSTD. This one uses zstd-napi (the working
 * choice on Node 20, see ../shared/clients.md); importing this module
 * registers it. Snappy and lz4 come from test/helpers/kafkajs.ts.
 */
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { compress, decompress } from 'zstd-napi';
import type { Codec, MatrixRecord } from './matrix.js';

const codecs = CompressionCodecs as unknown as Record<number, unknown>;
codecs[CompressionTypes.ZSTD] = () => ({
  compress: async (encoder: { buffer: Buffer }) => compress(encoder.buffer),
  decompress: async (buffer: Buffer) => decompress(buffer),
});

export const KAFKAJS_CODEC: Record<Codec, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

/** The matrix records as kafkajs messages, all to partition 0. */
export const kafkajsMessages = (records: readonly MatrixRecord[]) =>
  records.map((r) => ({ partition: 0, key: r.key, value: r.value, headers: Object.fromEntries(r.headers) }));
