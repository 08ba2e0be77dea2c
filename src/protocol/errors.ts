/**
 * Errors of the protocol codec.
 *
 * NOTE: this file was overwritten by accident by the session writing
 * src/protocol/compression/ and records.ts, and rebuilt from its uses in
 * primitives/ and generated/ (DecodeError, UnsupportedFieldError). The owner
 * should restore the original content; record and compression errors live in
 * record-errors.ts and do not depend on this file.
 */

/** Malformed bytes: a length, count or varint that does not fit what is left. */
export class DecodeError extends Error {
  readonly code = 'KRILL_DECODE_ERROR';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DecodeError';
  }
}

/** Encoding a field that the chosen message version cannot carry. */
export class UnsupportedFieldError extends Error {
  readonly code = 'KRILL_UNSUPPORTED_FIELD';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnsupportedFieldError';
  }
}
