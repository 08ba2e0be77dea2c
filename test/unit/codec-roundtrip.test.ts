/**
 * Round trips for every generated message, at every valid version.
 *
 * Values are built from the parsed schemas (generated/schemas.json) by a small
 * generator that walks the spec fields independently of scripts/generate-protocol.ts:
 * fields absent from a version, and tagged fields outside their tagged versions,
 * must decode to their schema default. A seeded PRNG keeps runs reproducible;
 * set CODEC_SEED to explore other seeds (the seed is printed in every failure).
 *
 * Also covered: unknown tagged fields survive decode/encode, truncated input at
 * every cut point throws DecodeError, huge counts are refused before anything is
 * allocated, random byte corruption only ever throws DecodeError, and the
 * regressions found while writing these tests.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DecodeError, UnsupportedFieldError } from '../../src/protocol/errors.js';
import { Reader, Writer, ZERO_UUID } from '../../src/protocol/primitives/index.js';
import { readTaggedFields } from '../../src/protocol/primitives/tagged.js';

// ---------------------------------------------------------------------------
// Schema model (only what the value generator needs).

interface FieldSpec {
  name: string;
  type: string;
  versions?: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string | number | boolean | null;
  fields?: FieldSpec[];
}

interface MessageSpec {
  name: string;
  type: string;
  validVersions: string;
  flexibleVersions?: string;
  fields: FieldSpec[];
  commonStructs?: Array<{ name: string; fields: FieldSpec[] }>;
}

interface Meta {
  name: string;
  minVersion: number;
  maxVersion: number;
  flexibleFrom: number | null;
  decode(r: Reader, v: number): unknown;
  encode(w: Writer, v: number, m: unknown): void;
}

type Obj = Record<string, unknown>;

const GENERATED = new URL('../../src/protocol/generated/', import.meta.url);
const SCHEMAS = JSON.parse(readFileSync(new URL('schemas.json', GENERATED), 'utf8')) as Record<string, MessageSpec>;
const SEED = Number(process.env.CODEC_SEED ?? 0x5eed_c0de);

/** Every generated *Meta, keyed like schemas.json ("folder/Name"). */
async function loadMetas(): Promise<Map<string, Meta>> {
  const folders = new Set(Object.keys(SCHEMAS).map((k) => k.split('/')[0]));
  const out = new Map<string, Meta>();
  for (const folder of folders) {
    const dir = folder === 'message' ? GENERATED : new URL(`${folder}/`, GENERATED);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'api-keys.ts')) {
      const mod = (await import(new URL(file, dir).pathname)) as Record<string, unknown>;
      for (const [name, value] of Object.entries(mod)) {
        if (name.endsWith('Meta')) {
          const meta = value as Meta;
          out.set(`${folder}/${meta.name}`, meta);
        }
      }
    }
  }
  return out;
}

const METAS = await loadMetas();

function inRange(range: string | undefined, v: number): boolean {
  if (range === undefined || range === 'none') return false;
  const m = /^(\d+)(?:(\+)|-(\d+))?$/.exec(range.trim());
  if (!m) throw new Error(`bad range ${range}`);
  const lo = Number(m[1]);
  const hi = m[2] ? Infinity : m[3] !== undefined ? Number(m[3]) : lo;
  return v >= lo && v <= hi;
}

function versionsOf(spec: MessageSpec): number[] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(spec.validVersions.trim());
  if (!m) throw new Error(`bad validVersions ${spec.validVersions}`);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

const PRIMITIVE = new Set(['bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'bytes', 'records', 'uuid']);

class Model {
  readonly structs = new Map<string, FieldSpec[]>();

  constructor(readonly spec: MessageSpec) {
    for (const cs of spec.commonStructs ?? []) this.structs.set(cs.name, cs.fields);
    const walk = (fields: FieldSpec[]): void => {
      for (const f of fields) {
        if (!f.fields) continue;
        this.structs.set(f.type.replace(/^\[\]/, ''), f.fields);
        walk(f.fields);
      }
    };
    walk(spec.fields);
  }

  flexible(v: number): boolean {
    return inRange(this.spec.flexibleVersions, v);
  }

  fieldsOf(type: string): FieldSpec[] {
    const fields = this.structs.get(type);
    if (!fields) throw new Error(`${this.spec.name}: unknown struct ${type}`);
    return fields;
  }

  /** The schema default of a field, as the decoder must produce it. */
  defaultOf(f: FieldSpec): unknown {
    const d = f.default;
    if (d === null || d === 'null') return null;
    if (f.type.startsWith('[]')) return [];
    switch (f.type) {
      case 'bool':
        return d === true || d === 'true';
      case 'int8': case 'int16': case 'uint16': case 'int32': case 'uint32': case 'float64':
        return d === undefined || d === '' ? 0 : Number(d);
      case 'int64':
        return d === undefined || d === '' ? 0n : BigInt(d as string | number);
      case 'string':
        return d === undefined ? '' : String(d);
      case 'uuid':
        return ZERO_UUID;
      case 'bytes':
        return Buffer.alloc(0);
      case 'records':
        return f.nullableVersions !== undefined && f.nullableVersions !== 'none' ? null : Buffer.alloc(0);
      default:
        if (f.nullableVersions !== undefined && f.nullableVersions !== 'none') return null;
        return this.defaultStruct(f.type);
    }
  }

  defaultStruct(type: string): Obj {
    return this.defaultFields(this.fieldsOf(type));
  }

  defaultFields(fields: FieldSpec[]): Obj {
    const o: Obj = {};
    for (const f of fields) o[camel(f.name)] = this.defaultOf(f);
    return o;
  }
}

const camel = (s: string): string => s[0].toLowerCase() + s.slice(1);

// ---------------------------------------------------------------------------
// Seeded randomness and the value generator.

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seed per (schema, version, iteration), so one case replays without the others. */
function seedFor(key: string, v: number, i: number): number {
  let h = SEED ^ 0x811c9dc5;
  for (const c of `${key}@${v}#${i}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
  return h >>> 0;
}

class Rand {
  constructor(readonly next: () => number) {}
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(0, xs.length - 1)];
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(0, 255);
    return b;
  }
}

const ALPHABET = ['a', 'z', 'Q', '0', '9', '-', '_', '.', ' ', 'é', 'ß', 'Ω', '日', '本', '🦐', '😀'];

/** An integer of a given width, biased towards the edges. */
function intOf(r: Rand, lo: number, hi: number): number {
  if (r.chance(0.3)) return r.pick([lo, hi, 0, lo < 0 ? -1 : 1]);
  return r.int(lo, hi);
}

interface Pair {
  /** What the encoder is given (fields absent from the version may be left out). */
  input: unknown;
  /** What the decoder must return. */
  expected: unknown;
}

class ValueGen {
  constructor(readonly model: Model, readonly v: number, readonly r: Rand, readonly bigBytes: boolean) {}

  struct(fields: FieldSpec[]): Pair {
    const flexible = this.model.flexible(this.v);
    const input: Obj = {};
    const expected: Obj = {};
    for (const f of fields) {
      const name = camel(f.name);
      const onWire = inRange(f.versions ?? '0+', this.v) && (f.taggedVersions === undefined || (flexible && inRange(f.taggedVersions, this.v)));
      if (!onWire) {
        expected[name] = this.model.defaultOf(f);
        // Half the time say the default explicitly; an encoder must accept that in any version.
        if (this.r.chance(0.5)) input[name] = this.model.defaultOf(f);
        continue;
      }
      const p = this.value(f.type, inRange(f.nullableVersions, this.v));
      input[name] = p.input;
      expected[name] = p.expected;
    }
    if (flexible && this.r.chance(0.25)) {
      const tags: Array<[number, Buffer]> = [];
      let tag = 1000 + this.r.int(0, 5);
      for (let n = this.r.int(1, 2); n > 0; n--) {
        tags.push([tag, this.r.bytes(this.r.int(0, 4))]);
        tag += this.r.int(1, 300);
      }
      input._unknownTags = tags;
      expected._unknownTags = tags;
    }
    return { input, expected };
  }

  value(type: string, nullable: boolean): Pair {
    if (nullable && this.r.chance(0.2)) return { input: null, expected: null };
    if (type.startsWith('[]')) {
      const items = Array.from({ length: this.r.int(0, 3) }, () => this.value(type.slice(2), false));
      return { input: items.map((p) => p.input), expected: items.map((p) => p.expected) };
    }
    if (!PRIMITIVE.has(type)) return this.struct(this.model.fieldsOf(type));
    const x = this.primitive(type);
    return { input: x, expected: x };
  }

  primitive(type: string): unknown {
    const r = this.r;
    switch (type) {
      case 'bool': return r.chance(0.5);
      case 'int8': return intOf(r, -128, 127);
      case 'int16': return intOf(r, -32768, 32767);
      case 'uint16': return intOf(r, 0, 65535);
      case 'int32': return intOf(r, -(2 ** 31), 2 ** 31 - 1);
      case 'uint32': return intOf(r, 0, 2 ** 32 - 1);
      case 'int64': {
        if (r.chance(0.3)) return r.pick([-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n]);
        return BigInt.asIntN(64, (BigInt(r.int(0, 2 ** 32 - 1)) << 32n) | BigInt(r.int(0, 2 ** 32 - 1)));
      }
      case 'float64': return r.pick([0, -0, 1.5, -2.25, Number.MAX_VALUE, Number.MIN_VALUE, Infinity, -Infinity, NaN, r.next() * 1e12]);
      case 'string': return Array.from({ length: r.int(0, 8) }, () => r.pick(ALPHABET)).join('');
      case 'uuid': return r.bytes(16).toString('base64url');
      case 'bytes': case 'records':
        // Now and then big enough for the Writer to keep it as a separate chunk.
        return r.bytes(this.bigBytes && r.chance(0.05) ? 4096 + r.int(0, 100) : r.int(0, 8));
      default: throw new Error(`not a primitive: ${type}`);
    }
  }
}

function generate(key: string, v: number, i: number, bigBytes = true): Pair {
  const spec = SCHEMAS[key];
  return new ValueGen(new Model(spec), v, new Rand(mulberry32(seedFor(key, v, i))), bigBytes).struct(spec.fields);
}

function encode(meta: Meta, v: number, m: unknown): Buffer {
  const w = new Writer(16);
  meta.encode(w, v, m);
  return w.toBuffer();
}

function decodeAll(meta: Meta, v: number, buf: Buffer): unknown {
  const r = new Reader(buf);
  const m = meta.decode(r, v);
  if (r.remaining !== 0) throw new Error(`${meta.name} v${v}: ${r.remaining} bytes left after decode`);
  return m;
}

// ---------------------------------------------------------------------------

const KEYS = Object.keys(SCHEMAS).sort();
const ITERATIONS = 6;

describe('codec round trip (seed ' + SEED + ')', () => {
  it('has a generated codec for every schema, with matching version ranges', () => {
    expect(KEYS.length).toBeGreaterThan(250);
    for (const key of KEYS) {
      const meta = METAS.get(key);
      expect(meta, key).toBeDefined();
      const versions = versionsOf(SCHEMAS[key]);
      expect([meta!.minVersion, meta!.maxVersion], key).toEqual([versions[0], versions[versions.length - 1]]);
    }
  });

  it.each(KEYS)('%s: random values round-trip at every version', (key) => {
    const meta = METAS.get(key)!;
    for (const v of versionsOf(SCHEMAS[key])) {
      for (let i = 0; i < ITERATIONS; i++) {
        const where = `${key} v${v} iteration ${i} (CODEC_SEED=${SEED})`;
        const { input, expected } = generate(key, v, i);
        const bytes = encode(meta, v, input);
        const decoded = decodeAll(meta, v, bytes);
        expect(decoded, where).toEqual(expected);
        // Decoding then encoding again gives the same bytes.
        expect(encode(meta, v, decoded).equals(bytes), `${where}: re-encode differs`).toBe(true);
      }
      // Everything left out: the decoded message is the all-default one.
      const model = new Model(SCHEMAS[key]);
      const empty = decodeAll(meta, v, encode(meta, v, {}));
      expect(empty, `${key} v${v} empty`).toEqual(model.defaultFields(SCHEMAS[key].fields));
    }
  });

  it.each(KEYS)('%s: truncated input throws DecodeError at every cut point', (key) => {
    const meta = METAS.get(key)!;
    for (const v of versionsOf(SCHEMAS[key])) {
      const bytes = encode(meta, v, generate(key, v, 100, false).input);
      const bad: string[] = [];
      for (let cut = 0; cut < bytes.length; cut++) {
        try {
          meta.decode(new Reader(bytes.subarray(0, cut)), v);
          bad.push(`cut ${cut}: decoded without error`);
        } catch (e) {
          if (!(e instanceof DecodeError)) bad.push(`cut ${cut}: ${(e as Error).name}: ${(e as Error).message}`);
        }
        if (bad.length > 3) break;
      }
      expect(bad, `${key} v${v} (${bytes.length} bytes)`).toEqual([]);
    }
  });

  it.each(KEYS)('%s: corrupted bytes decode or throw DecodeError, nothing else', (key) => {
    const meta = METAS.get(key)!;
    const versions = versionsOf(SCHEMAS[key]);
    const picks = [...new Set([versions[0], versions[versions.length - 1], meta.flexibleFrom ?? versions[0]])];
    for (const v of picks) {
      if (v < versions[0] || v > versions[versions.length - 1]) continue;
      const r = new Rand(mulberry32(seedFor(key, v, 200)));
      const bytes = encode(meta, v, generate(key, v, 200, false).input);
      for (let i = 0; i < 40 && bytes.length > 0; i++) {
        const copy = Buffer.from(bytes);
        for (let n = r.int(1, 3); n > 0; n--) copy[r.int(0, copy.length - 1)] = r.chance(0.5) ? r.int(0, 255) : r.pick([0x00, 0x7f, 0x80, 0xff]);
        try {
          meta.decode(new Reader(copy), v);
        } catch (e) {
          if (!(e instanceof DecodeError)) {
            throw new Error(`${key} v${v}: ${(e as Error).name} on ${copy.toString('hex')}: ${(e as Error).message}`);
          }
        }
      }
    }
  });
});

// ---------------------------------------------------------------------------
// Unknown tagged fields.

/** Unsigned varint bytes. */
function uv(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

describe('unknown tagged fields', () => {
  const flexibleCases = KEYS.flatMap((key) => {
    return versionsOf(SCHEMAS[key]).filter((v) => inRange(SCHEMAS[key].flexibleVersions, v)).map((v) => [key, v] as const);
  });

  it('covers every flexible message version', () => {
    expect(flexibleCases.length).toBeGreaterThan(300);
  });

  it.each(flexibleCases)('%s v%i: an injected top-level tag survives decode and encode', (key, v) => {
    const meta = METAS.get(key)!;
    const plain = encode(meta, v, {});
    // All fields default: the message ends with an empty tagged-field section.
    expect(plain[plain.length - 1]).toBe(0);
    const data = Buffer.from([0xde, 0xad, 0xbe]);
    const tag = 16_384; // three-byte varint, far above any known tag
    const injected = Buffer.concat([plain.subarray(0, plain.length - 1), Buffer.from([1, ...uv(tag), data.length]), data]);
    const decoded = decodeAll(meta, v, injected) as { _unknownTags?: unknown };
    expect(decoded._unknownTags).toEqual([[tag, data]]);
    expect(encode(meta, v, decoded).equals(injected)).toBe(true);
  });

  it('keeps a known tag number as unknown in versions that lack the field', async () => {
    const { fetchResponseMeta } = await import('../../src/protocol/generated/fetch-response.js');
    // NodeEndpoints is tag 0 from v16; at v12 a tag 0 is not known.
    const bytes = encode(fetchResponseMeta as unknown as Meta, 12, { _unknownTags: [[0, Buffer.from([1, 2])]] });
    const m = decodeAll(fetchResponseMeta as unknown as Meta, 12, bytes) as { nodeEndpoints: unknown; _unknownTags: unknown };
    expect(m.nodeEndpoints).toEqual([]);
    expect(m._unknownTags).toEqual([[0, Buffer.from([1, 2])]]);
  });

  it('merges unknown and known tags in ascending order', async () => {
    const { apiVersionsResponseMeta } = await import('../../src/protocol/generated/api-versions-response.js');
    const meta = apiVersionsResponseMeta as unknown as Meta;
    const bytes = encode(meta, 3, { zkMigrationReady: true, finalizedFeaturesEpoch: 5n, _unknownTags: [[9, Buffer.from([7])], [2000, Buffer.alloc(0)]] });
    // errorCode, empty apiKeys, throttle, then 4 tags: 1, 3, 9, 2000.
    const tail = bytes.subarray(2 + 1 + 4);
    expect(tail[0]).toBe(4);
    const r = new Reader(tail, 1);
    const tags: number[] = [];
    for (let i = 0; i < 4; i++) {
      tags.push(r.uvarint());
      r.skip(r.uvarint());
    }
    expect(tags).toEqual([1, 3, 9, 2000]);
    const m = decodeAll(meta, 3, bytes) as Obj;
    expect(m.zkMigrationReady).toBe(true);
    expect(m.finalizedFeaturesEpoch).toBe(5n);
    expect(m._unknownTags).toEqual([[9, Buffer.from([7])], [2000, Buffer.alloc(0)]]);
  });

  it('rejects tags out of order or repeated', () => {
    for (const section of [[2, 5, 0, 3, 0], [2, 3, 0, 3, 0]]) {
      expect(() => readTaggedFields(new Reader(Buffer.from(section)), null)).toThrow(DecodeError);
    }
  });
});

// ---------------------------------------------------------------------------
// Hostile lengths and counts.

describe('limits', () => {
  const metadataRequest = (): Meta => METAS.get('message/MetadataRequest')!;

  function expectDecodeError(meta: Meta, v: number, bytes: number[] | Buffer, pattern?: RegExp): void {
    const started = performance.now();
    let err: unknown;
    try {
      meta.decode(new Reader(Buffer.from(bytes)), v);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DecodeError);
    if (pattern) expect((err as Error).message).toMatch(pattern);
    expect(performance.now() - started).toBeLessThan(50);
  }

  it('refuses a huge array count before reading or allocating any element', () => {
    // int32 count (non-flexible) and uvarint count (flexible), nothing behind them.
    expectDecodeError(metadataRequest(), 0, [0x7f, 0xff, 0xff, 0xff], /array length/);
    expectDecodeError(metadataRequest(), 12, [0xff, 0xff, 0xff, 0xff, 0x0f], /array length/);
    // The Reader checks the count against the bytes left before calling the element reader.
    let calls = 0;
    const r = new Reader(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0]));
    expect(() => r.nullableArray(false, (rr) => (calls++, rr.int32()))).toThrow(DecodeError);
    expect(calls).toBe(0);
  });

  it('refuses a huge nested count (Produce v3 partitions)', () => {
    const bytes = [0xff, 0xff, 0, 1, 0, 0, 0, 100, 0, 0, 0, 1, 0, 1, 0x74, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0];
    expectDecodeError(METAS.get('message/ProduceRequest')!, 3, bytes, /array length/);
  });

  it('refuses string and bytes lengths past the end', () => {
    const fr = METAS.get('message/FindCoordinatorRequest')!;
    expectDecodeError(fr, 0, [0x7f, 0xff, 0x61, 0x62], /need 32767 bytes/);
    expectDecodeError(fr, 3, [0xff, 0xff, 0xff, 0xff, 0x0f, 0x61], /need/);
    const sasl = METAS.get('message/SaslAuthenticateRequest')!;
    expectDecodeError(sasl, 0, [0x7f, 0xff, 0xff, 0xff, 1, 2, 3], /need 2147483647 bytes/);
  });

  it('refuses a huge tagged-field count or size, and over-long varints', () => {
    const req = METAS.get('message/ApiVersionsRequest')!;
    // ApiVersionsRequest v3: two compact strings, then the tagged section.
    expectDecodeError(req, 3, [1, 1, 0xff, 0xff, 0xff, 0xff, 0x0f], /tagged field count/);
    expectDecodeError(req, 3, [1, 1, 1, 5, 0xff, 0xff, 0xff, 0x7f], /need/);
    expectDecodeError(req, 3, [0x81, 0x80, 0x80, 0x80, 0x80, 0x00], /varint/);
  });

  it('rejects null where the version does not allow it', () => {
    // Produce v3 topicData is never nullable.
    expectDecodeError(METAS.get('message/ProduceRequest')!, 3, [0xff, 0xff, 0, 1, 0, 0, 0, 100, 0xff, 0xff, 0xff, 0xff], /null array/);
    // Metadata topics are nullable from v1, not in v0.
    expectDecodeError(metadataRequest(), 0, [0xff, 0xff, 0xff, 0xff], /null array/);
    expect(decodeAll(metadataRequest(), 1, Buffer.from([0xff, 0xff, 0xff, 0xff]))).toMatchObject({ topics: null });
  });
});

// ---------------------------------------------------------------------------
// Regressions found by the tests above, and encoder checks.

describe('regressions', () => {
  it('keeps an explicit null where the default is not null', () => {
    const meta = METAS.get('message/MetadataRequest')!;
    // Null topics (all topics) must not turn into [] (no topics).
    expect(decodeAll(meta, 4, encode(meta, 4, { topics: null }))).toMatchObject({ topics: null });
    const header = METAS.get('message/RequestHeader')!;
    expect(decodeAll(header, 1, encode(header, 1, { clientId: null }))).toMatchObject({ clientId: null });
  });

  it('sends a tagged empty array whose default is null', () => {
    const meta = METAS.get('metadata/PartitionChangeRecord')!;
    // isr: [] is a change to an empty ISR; null means "unchanged".
    expect(decodeAll(meta, 0, encode(meta, 0, { isr: [] }))).toMatchObject({ isr: [], replicas: null });
    expect(decodeAll(meta, 0, encode(meta, 0, {}))).toMatchObject({ isr: null });
  });

  it('does not send a tagged struct equal to its default', () => {
    const meta = METAS.get('message/FetchResponse')!;
    const partition = { partitionIndex: 1, records: null };
    const plain = encode(meta, 12, { responses: [{ topic: 't', partitions: [partition] }] });
    const withDefault = encode(meta, 12, { responses: [{ topic: 't', partitions: [{ ...partition, currentLeader: { leaderId: -1, leaderEpoch: -1 } }] }] });
    expect(withDefault.equals(plain)).toBe(true);
    const withLeader = encode(meta, 12, { responses: [{ topic: 't', partitions: [{ ...partition, currentLeader: { leaderId: 3, leaderEpoch: 7 } }] }] });
    expect(withLeader.length).toBeGreaterThan(plain.length);
    const m = decodeAll(meta, 12, withLeader) as { responses: Array<{ partitions: Array<{ currentLeader: unknown }> }> };
    expect(m.responses[0].partitions[0].currentLeader).toEqual({ leaderId: 3, leaderEpoch: 7 });
  });

  it('refuses to encode null where the version is not nullable', () => {
    const meta = METAS.get('message/JoinGroupResponse')!;
    expect(() => encode(meta, 6, { protocolName: null })).toThrow(UnsupportedFieldError);
    expect(decodeAll(meta, 7, encode(meta, 7, { protocolName: null }))).toMatchObject({ protocolName: null });
    expect(decodeAll(meta, 6, encode(meta, 6, { protocolName: 'range' }))).toMatchObject({ protocolName: 'range' });
  });

  it('refuses a non-default value for a non-ignorable field the version lacks', () => {
    const produce = METAS.get('message/ProduceRequest')!;
    expect(() => encode(produce, 2, { transactionalId: 'tx' })).toThrow(UnsupportedFieldError);
    expect(() => encode(produce, 2, { transactionalId: null })).not.toThrow();
    const metadata = METAS.get('message/MetadataRequest')!;
    expect(() => encode(metadata, 3, { allowAutoTopicCreation: false })).toThrow(UnsupportedFieldError);
    // Ignorable fields are dropped silently, as in Kafka.
    const fetch = METAS.get('message/FetchRequest')!;
    expect(decodeAll(fetch, 2, encode(fetch, 2, { maxBytes: 5 }))).toMatchObject({ maxBytes: 0x7fffffff });
  });
});
