/**
 * Records of a v2 record batch, decoded and built. The broker's produce and
 * fetch paths never come here (batches stay bytes); this is for the places
 * that need record contents: tests, compaction, coordinators' own logs and
 * the benchmark's load generator.
 *
 * Record layout (after the 61-byte batch header, possibly compressed):
 *   length varint, attributes int8, timestampDelta varlong, offsetDelta varint,
 *   key (varint length, -1 = null), value (same), header count varint, then
 *   per header: key (varint length + UTF-8, never null), value (nullable bytes).
 *
 * Decoding checks every length and count against the bytes left before
 * slicing, requires each record to end exactly where its length says and the
 * records to fill the section exactly (as Kafka's DefaultRecordBatch does),
 * and throws CorruptRecordError otherwise. Keys, values and header values are
 * zero-copy views into the batch (or into the decompressed section).
 *
 * Offsets and timestamps are JS numbers: exact below 2^53, which covers
 * millisecond timestamps and any offset a partition reaches in practice.
 */
import { compress, compressSync, decompress, decompressSync } from './compression/index.js';
import { decodeControlKey, type ControlKey } from './control-records.js';
import {
  Attr,
  BATCH_HEADER_SIZE,
  BATCH_OVERHEAD,
  CompressionType,
  crcMatches,
  readBatchHeader,
  writeCrc,
  type BatchHeader,
} from './record-batch.js';
import { CorruptRecordError, UnsupportedCompressionError } from './record-errors.js';
import { readVarint, readVarlong, varintSize, varlongSize, writeVarint, writeVarlong, type Cursor } from './varint.js';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface KafkaRecord {
  attributes: number;
  timestampDelta: number;
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface DecodedRecord extends KafkaRecord {
  /** baseOffset + offsetDelta. */
  offset: number;
  /** baseTimestamp + timestampDelta, or maxTimestamp under LogAppendTime. */
  timestamp: number;
  /** Present on records of control batches. */
  control?: ControlKey;
}

export interface DecodedBatch {
  header: BatchHeader;
  records: DecodedRecord[];
}

export interface DecodeBatchOptions {
  /** Decompression limit in bytes (see compression/index.ts). */
  maxBytes?: number;
  /** Check the CRC-32C first (default true). */
  verifyCrc?: boolean;
}

/** Timestamp Kafka uses for "none". */
export const NO_TIMESTAMP = -1;
/** attributes, timestampDelta, offsetDelta, key length, value length, header count, plus the length itself. */
const MIN_RECORD_SIZE = 7;
const MAGIC_V2 = 2;
const HIGHEST_CODEC = CompressionType.Zstd;

// ---------------------------------------------------------------- decoding

function corrupt(message: string): CorruptRecordError {
  return new CorruptRecordError(message);
}

/** Checks the header fields decoding depends on; returns the batch size. */
function checkHeader(batch: Buffer, verifyCrc: boolean): number {
  if (batch.length < BATCH_HEADER_SIZE) throw corrupt(`batch of ${batch.length} bytes is shorter than its header`);
  const length = batch.readInt32BE(8);
  if (length < BATCH_HEADER_SIZE - BATCH_OVERHEAD) throw corrupt(`batch length ${length} is shorter than the header`);
  if (length > batch.length - BATCH_OVERHEAD) throw corrupt(`batch length ${length} exceeds the ${batch.length} bytes given`);
  const magic = batch.readInt8(16);
  if (magic !== MAGIC_V2) throw corrupt(`record batch magic ${magic}, expected 2`);
  const size = BATCH_OVERHEAD + length;
  if (verifyCrc && !crcMatches(batch, 0)) throw corrupt('record batch CRC-32C mismatch');
  return size;
}

function compressionOfAttributes(attributes: number): CompressionType {
  const type = attributes & Attr.CompressionMask;
  if (type > HIGHEST_CODEC) throw new UnsupportedCompressionError(type);
  return type as CompressionType;
}

function need(c: Cursor, n: number, what: string): void {
  if (n > c.end - c.pos) throw corrupt(`${what} of ${n} bytes exceeds the ${c.end - c.pos} left at byte ${c.pos}`);
}

function readNullableBytes(c: Cursor, what: string): Buffer | null {
  const len = readVarint(c);
  if (len === -1) return null;
  if (len < -1) throw corrupt(`negative ${what} length ${len}`);
  need(c, len, what);
  const out = c.buf.subarray(c.pos, c.pos + len);
  c.pos += len;
  return out;
}

function readHeaders(c: Cursor): RecordHeader[] {
  const count = readVarint(c);
  if (count < 0) throw corrupt(`negative header count ${count}`);
  // Each header takes at least two bytes (two length varints).
  if (count > (c.end - c.pos) / 2) throw corrupt(`header count ${count} exceeds the bytes left`);
  const headers: RecordHeader[] = [];
  for (let i = 0; i < count; i++) {
    const keyLength = readVarint(c);
    if (keyLength < 0) throw corrupt(`header key length ${keyLength} (null keys are not allowed)`);
    need(c, keyLength, 'header key');
    const key = c.buf.toString('utf8', c.pos, c.pos + keyLength);
    c.pos += keyLength;
    headers.push({ key, value: readNullableBytes(c, 'header value') });
  }
  return headers;
}

interface RecordContext {
  baseOffset: number;
  baseTimestamp: number;
  /** Set under LogAppendTime: every record's timestamp is the batch's maxTimestamp. */
  logAppendTime: number | null;
  control: boolean;
}

function readRecord(c: Cursor, ctx: RecordContext): DecodedRecord {
  const length = readVarint(c);
  if (length < MIN_RECORD_SIZE - 1) throw corrupt(`record length ${length} is too small`);
  need(c, length, 'record');
  const end = c.pos + length;
  const r: Cursor = { buf: c.buf, pos: c.pos, end };
  const attributes = r.buf.readInt8(r.pos++);
  const timestampDelta = readVarlong(r);
  const offsetDelta = readVarint(r);
  const key = readNullableBytes(r, 'key');
  const value = readNullableBytes(r, 'value');
  const headers = readHeaders(r);
  if (r.pos !== end) throw corrupt(`record declared ${length} bytes but used ${length - (end - r.pos)}`);
  c.pos = end;
  const record: DecodedRecord = {
    attributes,
    timestampDelta,
    offsetDelta,
    key,
    value,
    headers,
    offset: ctx.baseOffset + offsetDelta,
    timestamp: ctx.logAppendTime ?? ctx.baseTimestamp + timestampDelta,
  };
  if (ctx.control) record.control = decodeControlKey(key);
  return record;
}

function readRecords(section: Buffer, header: BatchHeader): DecodedRecord[] {
  const count = header.recordCount;
  if (count < 0) throw corrupt(`negative record count ${count}`);
  if (count > section.length / MIN_RECORD_SIZE) {
    throw corrupt(`record count ${count} cannot fit in ${section.length} bytes`);
  }
  const ctx: RecordContext = {
    baseOffset: Number(header.baseOffset),
    baseTimestamp: Number(header.baseTimestamp),
    logAppendTime: header.attributes & Attr.TimestampType ? Number(header.maxTimestamp) : null,
    control: (header.attributes & Attr.Control) !== 0,
  };
  const c: Cursor = { buf: section, pos: 0, end: section.length };
  const records: DecodedRecord[] = new Array<DecodedRecord>(count);
  for (let i = 0; i < count; i++) records[i] = readRecord(c, ctx);
  if (c.pos !== c.end) throw corrupt(`${c.end - c.pos} bytes left after the last of ${count} records`);
  return records;
}

interface RawBatch {
  header: BatchHeader;
  compression: CompressionType;
  section: Buffer;
}

function openBatch(batch: Buffer, options: DecodeBatchOptions | undefined): RawBatch {
  const size = checkHeader(batch, options?.verifyCrc ?? true);
  const header = readBatchHeader(batch, 0);
  const compression = compressionOfAttributes(header.attributes);
  return { header, compression, section: batch.subarray(BATCH_HEADER_SIZE, size) };
}

/**
 * Decodes the batch at the start of `batch` (bytes after it are ignored),
 * decompressing the records when the attributes say so.
 */
export async function decodeBatch(batch: Buffer, options?: DecodeBatchOptions): Promise<DecodedBatch> {
  const raw = openBatch(batch, options);
  const section = await decompress(raw.compression, raw.section, { maxBytes: options?.maxBytes });
  return { header: raw.header, records: readRecords(section, raw.header) };
}

export function decodeBatchSync(batch: Buffer, options?: DecodeBatchOptions): DecodedBatch {
  const raw = openBatch(batch, options);
  const section = decompressSync(raw.compression, raw.section, { maxBytes: options?.maxBytes });
  return { header: raw.header, records: readRecords(section, raw.header) };
}

// ---------------------------------------------------------------- building

export interface HeaderInput {
  key: string;
  value: Buffer | string | null;
}

export interface RecordInput {
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  headers?: readonly HeaderInput[];
  /** Milliseconds; defaults to BuildBatchOptions.defaultTimestamp, else NO_TIMESTAMP. */
  timestamp?: number;
  /** Defaults to the record's index; must increase (compaction leaves gaps). */
  offsetDelta?: number;
}

export interface BuildBatchOptions {
  baseOffset?: number | bigint;
  records: readonly RecordInput[];
  compression?: CompressionType;
  /** Codec level for gzip and zstd. */
  compressionLevel?: number;
  /** Default -1 (no producer id), as are producerEpoch and baseSequence. */
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  control?: boolean;
  /** Default -1 (no leader epoch). */
  partitionLeaderEpoch?: number;
  timestampType?: 'create' | 'logAppend';
  /** Timestamp of records that give none; NO_TIMESTAMP when unset. No clock is read here. */
  defaultTimestamp?: number;
  /** Defaults to the last record's offsetDelta (0 for no records); compaction may keep a larger one. */
  lastOffsetDelta?: number;
}

interface PreparedHeader {
  key: Buffer;
  value: Buffer | null;
}

interface PreparedRecord {
  timestampDelta: number;
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: PreparedHeader[];
  bodySize: number;
}

interface PreparedBatch {
  records: PreparedRecord[];
  sectionSize: number;
  baseTimestamp: number;
  maxTimestamp: number;
  lastOffsetDelta: number;
}

const toBytes = (v: Buffer | string | null | undefined): Buffer | null =>
  v === undefined || v === null ? null : typeof v === 'string' ? Buffer.from(v, 'utf8') : v;

const bytesFieldSize = (b: Buffer | null): number => (b === null ? 1 : varintSize(b.length) + b.length);

function prepareRecord(input: RecordInput, timestampDelta: number, offsetDelta: number): PreparedRecord {
  const key = toBytes(input.key);
  const value = toBytes(input.value);
  const headers = (input.headers ?? []).map((h) => ({ key: Buffer.from(h.key, 'utf8'), value: toBytes(h.value) }));
  let bodySize = 1 + varlongSize(timestampDelta) + varintSize(offsetDelta);
  bodySize += bytesFieldSize(key) + bytesFieldSize(value) + varintSize(headers.length);
  for (const h of headers) bodySize += bytesFieldSize(h.key) + bytesFieldSize(h.value);
  return { timestampDelta, offsetDelta, key, value, headers, bodySize };
}

function checkOffsetDelta(delta: number, previous: number): void {
  if (!Number.isInteger(delta) || delta <= previous || delta > 0x7fffffff) {
    throw new RangeError(`offsetDelta ${delta} must be an int32 greater than the previous (${previous})`);
  }
}

function prepareBatch(opts: BuildBatchOptions): PreparedBatch {
  const fallback = opts.defaultTimestamp ?? NO_TIMESTAMP;
  const first = opts.records[0];
  const baseTimestamp = first === undefined ? fallback : (first.timestamp ?? fallback);
  let maxTimestamp = baseTimestamp;
  let previousDelta = -1;
  let sectionSize = 0;
  const records: PreparedRecord[] = [];
  for (let i = 0; i < opts.records.length; i++) {
    const input = opts.records[i] as RecordInput;
    const timestamp = input.timestamp ?? fallback;
    const offsetDelta = input.offsetDelta ?? i;
    checkOffsetDelta(offsetDelta, previousDelta);
    previousDelta = offsetDelta;
    maxTimestamp = Math.max(maxTimestamp, timestamp);
    const record = prepareRecord(input, timestamp - baseTimestamp, offsetDelta);
    sectionSize += varintSize(record.bodySize) + record.bodySize;
    records.push(record);
  }
  const lastOffsetDelta = opts.lastOffsetDelta ?? Math.max(previousDelta, 0);
  if (lastOffsetDelta < previousDelta) {
    throw new RangeError(`lastOffsetDelta ${lastOffsetDelta} is below the last record's offsetDelta ${previousDelta}`);
  }
  return { records, sectionSize, baseTimestamp, maxTimestamp, lastOffsetDelta };
}

function writeNullableBytes(buf: Buffer, pos: number, b: Buffer | null): number {
  if (b === null) return writeVarint(buf, pos, -1);
  pos = writeVarint(buf, pos, b.length);
  return pos + b.copy(buf, pos);
}

/** Writes the records section at pos; returns the position after it. */
function writeRecords(buf: Buffer, pos: number, records: readonly PreparedRecord[]): number {
  for (const r of records) {
    pos = writeVarint(buf, pos, r.bodySize);
    buf.writeInt8(0, pos++);
    pos = writeVarlong(buf, pos, r.timestampDelta);
    pos = writeVarint(buf, pos, r.offsetDelta);
    pos = writeNullableBytes(buf, pos, r.key);
    pos = writeNullableBytes(buf, pos, r.value);
    pos = writeVarint(buf, pos, r.headers.length);
    for (const h of r.headers) {
      pos = writeNullableBytes(buf, pos, h.key);
      pos = writeNullableBytes(buf, pos, h.value);
    }
  }
  return pos;
}

function attributesOf(opts: BuildBatchOptions): number {
  let attributes = opts.compression ?? CompressionType.None;
  if (attributes < 0 || attributes > HIGHEST_CODEC) throw new UnsupportedCompressionError(attributes);
  if (opts.timestampType === 'logAppend') attributes |= Attr.TimestampType;
  if (opts.transactional) attributes |= Attr.Transactional;
  if (opts.control) attributes |= Attr.Control;
  return attributes;
}

/** Allocates the batch, writes the header around a records section of sectionSize bytes. */
function allocateBatch(opts: BuildBatchOptions, prepared: PreparedBatch, sectionSize: number): Buffer {
  const buf = Buffer.alloc(BATCH_HEADER_SIZE + sectionSize);
  buf.writeBigInt64BE(BigInt(opts.baseOffset ?? 0), 0);
  buf.writeInt32BE(buf.length - BATCH_OVERHEAD, 8);
  buf.writeInt32BE(opts.partitionLeaderEpoch ?? -1, 12);
  buf.writeInt8(MAGIC_V2, 16);
  buf.writeInt16BE(attributesOf(opts), 21);
  buf.writeInt32BE(prepared.lastOffsetDelta, 23);
  buf.writeBigInt64BE(BigInt(prepared.baseTimestamp), 27);
  buf.writeBigInt64BE(BigInt(prepared.maxTimestamp), 35);
  buf.writeBigInt64BE(opts.producerId ?? -1n, 43);
  buf.writeInt16BE(opts.producerEpoch ?? -1, 51);
  buf.writeInt32BE(opts.baseSequence ?? -1, 53);
  buf.writeInt32BE(prepared.records.length, 57);
  return buf;
}

function encodeSection(prepared: PreparedBatch): Buffer {
  const section = Buffer.allocUnsafe(prepared.sectionSize);
  writeRecords(section, 0, prepared.records);
  return section;
}

function finish(opts: BuildBatchOptions, prepared: PreparedBatch, payload: Buffer | null): Buffer {
  const size = payload === null ? prepared.sectionSize : payload.length;
  const buf = allocateBatch(opts, prepared, size);
  if (payload === null) writeRecords(buf, BATCH_HEADER_SIZE, prepared.records);
  else payload.copy(buf, BATCH_HEADER_SIZE);
  writeCrc(buf, 0);
  return buf;
}

/** Builds a v2 batch with a correct CRC-32C, compressing the records if asked. */
export async function buildBatch(opts: BuildBatchOptions): Promise<Buffer> {
  attributesOf(opts);
  const prepared = prepareBatch(opts);
  const type = opts.compression ?? CompressionType.None;
  if (type === CompressionType.None) return finish(opts, prepared, null);
  const payload = await compress(type, encodeSection(prepared), { level: opts.compressionLevel });
  return finish(opts, prepared, payload);
}

/** buildBatch without awaiting; every codec has a synchronous form. */
export function buildBatchSync(opts: BuildBatchOptions): Buffer {
  attributesOf(opts);
  const prepared = prepareBatch(opts);
  const type = opts.compression ?? CompressionType.None;
  if (type === CompressionType.None) return finish(opts, prepared, null);
  return finish(opts, prepared, compressSync(type, encodeSection(prepared), { level: opts.compressionLevel }));
}
