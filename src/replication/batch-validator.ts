/**
 * Checks a produce request's record set before it is appended, without
 * decoding records: every batch is magic 2, its length fits the buffer, its
 * CRC-32C matches, its record count agrees with lastOffsetDelta, and it is no
 * larger than max.message.bytes. Mirrors the header checks of Kafka's
 * LogValidator; the per-record checks Kafka does for compressed batches are
 * not done here.
 */
import { BATCH_HEADER_SIZE, BATCH_OVERHEAD, checkBatch, Attr } from '../protocol/record-batch.js';
import { KafkaError } from '../api/error-codes.js';

export interface ValidatedRecords {
  batches: number;
  records: number;
  bytes: number;
  /** Producer id of the batches (-1 when not idempotent). */
  producerId: bigint;
  transactional: boolean;
}

export function validateRecords(buf: Buffer, maxMessageBytes: number): ValidatedRecords {
  if (buf.length === 0) throw new KafkaError('INVALID_RECORD', 'empty record set');
  let pos = 0;
  let batches = 0;
  let records = 0;
  let producerId = -1n;
  let transactional = false;
  while (pos < buf.length) {
    if (buf.length - pos < BATCH_OVERHEAD + 5) {
      throw new KafkaError('CORRUPT_MESSAGE', `record set ends with ${buf.length - pos} stray bytes`);
    }
    const magic = buf.readInt8(pos + 16);
    if (magic !== 2) {
      throw new KafkaError('UNSUPPORTED_FOR_MESSAGE_FORMAT', `record batch magic ${magic}; only magic 2 is accepted`);
    }
    const size = BATCH_OVERHEAD + buf.readInt32BE(pos + 8);
    if (size > maxMessageBytes) {
      throw new KafkaError('MESSAGE_TOO_LARGE', `record batch of ${size} bytes exceeds max.message.bytes ${maxMessageBytes}`);
    }
    const problem = checkBatch(buf, pos);
    if (problem !== null) {
      throw new KafkaError('CORRUPT_MESSAGE', `record batch at byte ${pos}: ${problem}`);
    }
    const attrs = buf.readInt16BE(pos + 21);
    if (attrs & Attr.Control) throw new KafkaError('INVALID_RECORD', 'clients may not produce control batches');
    if ((attrs & Attr.CompressionMask) > 4) throw new KafkaError('UNSUPPORTED_COMPRESSION_TYPE', `compression type ${attrs & 7}`);
    if (size === BATCH_HEADER_SIZE && buf.readInt32BE(pos + 57) !== 0) {
      throw new KafkaError('CORRUPT_MESSAGE', 'record batch declares records but has no bytes for them');
    }
    records += buf.readInt32BE(pos + 57);
    producerId = buf.readBigInt64BE(pos + 43);
    transactional = (attrs & Attr.Transactional) !== 0;
    batches++;
    pos += size;
  }
  return { batches, records, bytes: buf.length, producerId, transactional };
}
