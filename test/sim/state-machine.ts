/**
 * The simulator's replicated state machine: a running digest over the data
 * of every applied entry (empty entries, the leaders' term markers, are
 * skipped) plus the index of the last one. Two nodes at the same index with
 * different digests applied different sequences. A snapshot is this state,
 * serialized.
 */
export interface DigestState {
  readonly index: number;
  readonly digest: number;
  readonly count: number;
}

export const EMPTY_STATE: DigestState = { index: 0, digest: 0x811c9dc5, count: 0 };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** FNV-1a over the bytes, chained from the previous digest. */
export function applyEntry(state: DigestState, index: number, data: Uint8Array): DigestState {
  if (index !== state.index + 1) throw new Error(`state machine applied index ${index} after ${state.index}`);
  if (data.length === 0) return { ...state, index };
  let h = state.digest;
  for (const byte of data) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  h = Math.imul(h ^ 0xff, 0x01000193) >>> 0; // entry separator
  return { index, digest: h, count: state.count + 1 };
}

export function encodeState(state: DigestState): Uint8Array {
  return encoder.encode(JSON.stringify(state));
}

export function decodeState(data: Uint8Array): DigestState {
  return JSON.parse(decoder.decode(data)) as DigestState;
}

const keys = new WeakMap<Uint8Array, string>();

/** The entry's data as text; cached per buffer (nodes share the buffers a message carried). */
export function entryKey(data: Uint8Array): string {
  let key = keys.get(data);
  if (key === undefined) {
    key = decoder.decode(data);
    keys.set(data, key);
  }
  return key;
}

export function entryData(key: string): Uint8Array {
  return encoder.encode(key);
}
