/**
 * The cleaner's offset map: for each key in the dirty part of a log, the
 * offset of its newest record. Keys up to 32 bytes are kept as they are;
 * longer ones by their SHA-1 digest (Kafka keeps an MD5 of every key), so
 * memory per entry stays bounded. `capacity` bounds the entries; a full map
 * makes the cleaner stop mapping and clean only the range mapped so far.
 */
import { createHash } from 'node:crypto';

const INLINE_KEY_BYTES = 32;

export function keyId(key: Buffer): string {
  if (key.length <= INLINE_KEY_BYTES) return `s${key.toString('latin1')}`;
  return `h${createHash('sha1').update(key).digest('base64')}`;
}

export class OffsetMap {
  readonly #offsets = new Map<string, number>();

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`offset map capacity ${capacity}`);
  }

  get size(): number {
    return this.#offsets.size;
  }

  /** Records key at offset unless a newer offset is already mapped. False when a new key does not fit. */
  put(key: Buffer, offset: number): boolean {
    const id = keyId(key);
    const known = this.#offsets.get(id);
    if (known === undefined && this.#offsets.size >= this.capacity) return false;
    if (known === undefined || offset > known) this.#offsets.set(id, offset);
    return true;
  }

  get(key: Buffer): number | undefined {
    return this.#offsets.get(keyId(key));
  }
}
