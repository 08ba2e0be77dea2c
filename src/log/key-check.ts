/**
 * Compacted topics need keys: Kafka's LogValidator refuses a leader append
 * holding a record without a key when cleanup.policy includes compact
 * (INVALID_RECORD, one record error per keyless record). Seeing keys means
 * decoding records (and decompressing), so this runs only for compacted
 * logs; everywhere else appends stay byte-moving.
 *
 * Control batches (transaction markers) are skipped: their records are
 * written by the broker and always carry a key anyway.
 */
import { Attr, attributesOf, batchPositions } from '../protocol/record-batch.js';
import { decodeBatchSync } from '../protocol/records.js';
import { InvalidBatchError } from './errors.js';

/**
 * Index of every keyless record among the records of the append (counted
 * across its batches, in order: for the usual single batch, its position in
 * the batch, which is what Kafka reports as the record error's batch index).
 */
export function keylessRecordIndexes(buf: Buffer): number[] {
  const keyless: number[] = [];
  let index = 0;
  for (const [pos, size] of batchPositions(buf)) {
    if ((attributesOf(buf, pos) & Attr.Control) !== 0) continue;
    let records;
    try {
      // The produce path checked the CRC already.
      records = decodeBatchSync(buf.subarray(pos, pos + size), { verifyCrc: false }).records;
    } catch (err) {
      throw new InvalidBatchError(`batch at byte ${pos} has records that do not decode: ${String(err)}`, { cause: err });
    }
    for (const r of records) {
      if (r.key === null) keyless.push(index);
      index++;
    }
  }
  return keyless;
}
