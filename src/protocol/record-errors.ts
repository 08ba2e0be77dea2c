/**
 * Typed errors of record decoding and compression. Each carries a stable
 * `code`; the API edge maps them to Kafka error codes:
 *   CorruptRecordError (and CorruptCompressedDataError) -> CORRUPT_MESSAGE (2)
 *   UnsupportedCompressionError                         -> UNSUPPORTED_COMPRESSION_TYPE (76)
 *   DecompressionLimitError                             -> CORRUPT_MESSAGE (2): Kafka has no
 *     dedicated code, and a batch that inflates past the limit cannot be validated.
 *
 * Kept apart from errors.ts (the message codec's errors) so the two evolve
 * independently; both should join a project-wide KrillError catalogue once one
 * exists, keeping these codes.
 */

export type RecordErrorCode =
  | 'KRILL_CORRUPT_RECORD'
  | 'KRILL_CORRUPT_COMPRESSED_DATA'
  | 'KRILL_UNSUPPORTED_COMPRESSION'
  | 'KRILL_DECOMPRESSION_LIMIT';

export abstract class RecordError extends Error {
  abstract readonly code: RecordErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Malformed record batch or record: bad length, count, varint, or trailing bytes. */
export class CorruptRecordError extends RecordError {
  readonly code: RecordErrorCode = 'KRILL_CORRUPT_RECORD';
}

/** A compressed payload its codec cannot decode (bad framing, checksum, truncation). */
export class CorruptCompressedDataError extends CorruptRecordError {
  override readonly code: RecordErrorCode = 'KRILL_CORRUPT_COMPRESSED_DATA';
}

/** A compression attribute with no codec (5..7). */
export class UnsupportedCompressionError extends RecordError {
  readonly code: RecordErrorCode = 'KRILL_UNSUPPORTED_COMPRESSION';

  constructor(readonly compressionType: number) {
    super(`unsupported compression type ${compressionType}`);
  }
}

/** Decompressed output would exceed (or, where only a bound is known, could exceed) maxBytes. */
export class DecompressionLimitError extends RecordError {
  readonly code: RecordErrorCode = 'KRILL_DECOMPRESSION_LIMIT';

  constructor(
    readonly codec: string,
    readonly maxBytes: number,
    detail: string,
  ) {
    super(`${codec}: ${detail} exceeds the decompression limit of ${maxBytes} bytes`);
  }
}
