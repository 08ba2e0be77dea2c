/**
 * Typed errors of the storage layer. Each has a stable `code` (never reworded)
 * and names the Kafka error the api/ edge should map it to, so handlers can map
 * without string matching. Nothing here depends on the generated protocol.
 */

export type KafkaErrorName =
  | 'OFFSET_OUT_OF_RANGE'
  | 'CORRUPT_MESSAGE'
  | 'KAFKA_STORAGE_ERROR'
  | 'RECORD_LIST_TOO_LARGE'
  | 'INVALID_RECORD'
  | 'INVALID_CONFIG'
  | 'INVALID_TOPIC_EXCEPTION'
  | 'NOT_LEADER_OR_FOLLOWER'
  | 'UNKNOWN_SERVER_ERROR';

export abstract class LogError extends Error {
  abstract readonly code: string;
  abstract readonly kafkaError: KafkaErrorName;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A read or log-start move asked for an offset outside [logStartOffset, logEndOffset]. */
export class OffsetOutOfRangeError extends LogError {
  readonly code = 'KRILL_LOG_OFFSET_OUT_OF_RANGE';
  readonly kafkaError = 'OFFSET_OUT_OF_RANGE';

  constructor(
    readonly offset: number,
    readonly logStartOffset: number,
    readonly logEndOffset: number,
    readonly dir: string,
  ) {
    super(`offset ${offset} is out of range [${logStartOffset}, ${logEndOffset}] in ${dir}`);
  }
}

/** Bytes on disk that should be sound are not (found outside recovery). */
export class CorruptLogError extends LogError {
  readonly code = 'KRILL_LOG_CORRUPT';
  readonly kafkaError = 'CORRUPT_MESSAGE';

  constructor(
    readonly file: string,
    readonly position: number,
    readonly problem: string,
  ) {
    super(`corrupt log ${file} at position ${position}: ${problem}`);
  }
}

/** The input of an append is not a well-formed run of v2 batches. */
export class InvalidBatchError extends LogError {
  readonly code = 'KRILL_LOG_INVALID_BATCH';
  readonly kafkaError = 'INVALID_RECORD';
}

/** A record error of a produce response (Kafka's BatchIndexAndErrorMessage). */
export interface RecordErrorEntry {
  readonly batchIndex: number;
  readonly batchIndexErrorMessage: string | null;
}

/**
 * A leader append to a compacted topic holds records without a key; Kafka's
 * LogValidator refuses the whole batch with INVALID_RECORD and one record
 * error per keyless record. `kafkaErrorCode` (87) lets the API edge map it
 * without knowing this class; `recordErrors` is for the produce response.
 */
export class KeylessRecordError extends LogError {
  readonly code = 'KRILL_LOG_KEYLESS_RECORD';
  readonly kafkaError = 'INVALID_RECORD';
  readonly kafkaErrorCode = 87;
  readonly recordErrors: readonly RecordErrorEntry[];

  constructor(topicPartition: string, recordIndexes: readonly number[]) {
    const indexes = Array.isArray(recordIndexes) ? recordIndexes : [];
    const each = `Compacted topic cannot accept message without key in topic partition ${topicPartition}.`;
    super(`${indexes.length} record(s) rejected: ${each}`);
    this.recordErrors = indexes.map((batchIndex) => ({ batchIndex, batchIndexErrorMessage: each }));
  }
}

/** One append is larger than a whole segment may be. */
export class RecordBatchTooLargeError extends LogError {
  readonly code = 'KRILL_LOG_BATCH_TOO_LARGE';
  readonly kafkaError = 'RECORD_LIST_TOO_LARGE';

  constructor(
    readonly sizeBytes: number,
    readonly segmentBytes: number,
  ) {
    super(`append of ${sizeBytes} bytes exceeds log.segment.bytes ${segmentBytes}`);
  }
}

/** The log was closed or deleted; no more appends or reads. */
export class LogClosedError extends LogError {
  readonly code = 'KRILL_LOG_CLOSED';
  readonly kafkaError = 'NOT_LEADER_OR_FOLLOWER';

  constructor(readonly dir: string) {
    super(`log ${dir} is closed`);
  }
}

/**
 * An earlier write or fsync failed; the log refuses further appends until it
 * is reopened (and recovered). Mirrors Kafka taking the log dir offline.
 */
export class LogFailedError extends LogError {
  readonly code = 'KRILL_LOG_FAILED';
  readonly kafkaError = 'KAFKA_STORAGE_ERROR';

  constructor(
    readonly dir: string,
    cause: unknown,
  ) {
    super(`log ${dir} failed after an I/O error: ${String(cause)}`, { cause });
  }
}

/** A read hit an I/O error (the log itself is not marked failed). */
export class LogIoError extends LogError {
  readonly code = 'KRILL_LOG_IO';
  readonly kafkaError = 'KAFKA_STORAGE_ERROR';

  constructor(
    readonly dir: string,
    cause: unknown,
  ) {
    super(`I/O error reading log ${dir}: ${String(cause)}`, { cause });
  }
}

export class InvalidLogConfigError extends LogError {
  readonly code = 'KRILL_LOG_INVALID_CONFIG';
  readonly kafkaError = 'INVALID_CONFIG';
}

/** A topic/partition name that cannot name a log directory. */
export class InvalidPartitionNameError extends LogError {
  readonly code = 'KRILL_LOG_INVALID_PARTITION_NAME';
  readonly kafkaError = 'INVALID_TOPIC_EXCEPTION';
}

/** The same partition was found in two log dirs at startup. */
export class DuplicateLogDirError extends LogError {
  readonly code = 'KRILL_LOG_DUPLICATE_DIR';
  readonly kafkaError = 'KAFKA_STORAGE_ERROR';

  constructor(
    readonly first: string,
    readonly second: string,
  ) {
    super(`partition found twice: ${first} and ${second}`);
  }
}

/** Catalogue of every code, for docs-sync tests and edge mapping. */
export const LOG_ERROR_CODES = [
  'KRILL_LOG_OFFSET_OUT_OF_RANGE',
  'KRILL_LOG_CORRUPT',
  'KRILL_LOG_INVALID_BATCH',
  'KRILL_LOG_KEYLESS_RECORD',
  'KRILL_LOG_BATCH_TOO_LARGE',
  'KRILL_LOG_CLOSED',
  'KRILL_LOG_FAILED',
  'KRILL_LOG_IO',
  'KRILL_LOG_INVALID_CONFIG',
  'KRILL_LOG_INVALID_PARTITION_NAME',
  'KRILL_LOG_DUPLICATE_DIR',
] as const;
