export { Reader } from './reader.js';
export { Writer } from './writer.js';
export { ZERO_UUID, uuidFromBytes, uuidToBytes } from './uuid.js';
import type { TaggedField } from './tagged.js';
export { isDefaultEncoding, readTaggedFields, writeTaggedFields, type TaggedField } from './tagged.js';

/**
 * What an encoder accepts: any field may be left out and takes its schema
 * default, at any depth.
 */
export type Input<T> = T extends Buffer | TaggedField
  ? T
  : T extends string | number | bigint | boolean | null | undefined
    ? T
    : T extends readonly (infer U)[]
      ? Input<U>[]
      : { [K in keyof T]?: Input<T[K]> };
