/**
 * The tagged-field section that ends every struct in flexible versions:
 * uvarint count, then (uvarint tag, uvarint size, payload) in ascending tag order.
 */
import { DecodeError } from '../errors.js';
import type { Reader } from './reader.js';
import { Writer } from './writer.js';

/** A tagged field kept as raw bytes (unknown tags are preserved for round trips). */
export type TaggedField = [tag: number, data: Buffer];

/**
 * Reads the section; `known(tag, sub)` decodes a known tag from a sub-reader
 * and returns true, or returns false for an unknown one, which is collected.
 */
export function readTaggedFields(
  r: Reader,
  known: ((tag: number, sub: Reader) => boolean) | null,
): TaggedField[] | undefined {
  const count = r.uvarint();
  if (count === 0) return undefined;
  if (count > r.remaining) throw new DecodeError(`tagged field count ${count} exceeds the bytes left`);
  let unknown: TaggedField[] | undefined;
  let last = -1;
  for (let i = 0; i < count; i++) {
    const tag = r.uvarint();
    if (tag <= last) throw new DecodeError(`tagged fields out of order: ${tag} after ${last}`);
    last = tag;
    const size = r.uvarint();
    r.need(size);
    const end = r.pos + size;
    const sub = new (r.constructor as new (b: Buffer, s: number, e: number) => Reader)(r.buf, r.pos, end);
    if (!(known && known(tag, sub))) (unknown ??= []).push([tag, r.buf.subarray(r.pos, end)]);
    r.pos = end;
  }
  return unknown;
}

export function writeTaggedFields(w: Writer, fields: TaggedField[] | undefined): void {
  if (!fields || fields.length === 0) {
    w.uvarint(0);
    return;
  }
  if (fields.length > 1) fields.sort((a, b) => a[0] - b[0]);
  w.uvarint(fields.length);
  for (const [tag, data] of fields) {
    w.uvarint(tag);
    w.uvarint(data.length);
    w.raw(data);
  }
}

const defaultEncodings = new WeakMap<object, Map<number, Buffer>>();

/**
 * Whether `bytes` is the encoding of the struct's default value at version v.
 * A tagged struct field is only sent when it differs from its default (as in
 * Kafka), so a decoded message re-encodes to the same bytes. The default
 * encoding is computed once per struct and version.
 */
export function isDefaultEncoding<T>(
  bytes: Buffer,
  v: number,
  encode: (w: Writer, v: number, m: T) => void,
  makeDefault: () => T,
): boolean {
  let byVersion = defaultEncodings.get(encode);
  if (!byVersion) defaultEncodings.set(encode, (byVersion = new Map()));
  let d = byVersion.get(v);
  if (!d) {
    const w = new Writer(32);
    encode(w, v, makeDefault());
    byVersion.set(v, (d = w.toBuffer()));
  }
  return bytes.equals(d);
}
