/**
 * Generates src/protocol/generated/ from Kafka's JSON message schemas.
 *
 *   npm run generate            (reads ../shared/kafka-protocol by default)
 *   KAFKA_PROTOCOL_DIR=... npm run generate
 *   npm run generate -- --check (fails if the committed output differs)
 *
 * One TypeScript file per schema: interfaces for the message and each of its
 * structs, a decoder and an encoder that branch on the version, and a meta
 * object. Request/response pairs are also listed in generated/api-keys.ts.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const schemaRoot = resolve(process.env.KAFKA_PROTOCOL_DIR ?? join(root, '..', 'shared', 'kafka-protocol'));
const outRoot = join(root, 'src', 'protocol', 'generated');
const check = process.argv.includes('--check');

// Source folder -> output subfolder ('' = generated/ itself).
const FOLDERS: Array<[string, string]> = [
  ['message', ''],
  ['metadata', 'metadata'],
  ['group-coordinator', 'group-coordinator'],
  ['transaction-coordinator', 'transaction-coordinator'],
  ['share-coordinator', 'share-coordinator'],
  ['raft', 'raft'],
  ['storage', 'storage'],
];

interface FieldSpec {
  name: string;
  type: string;
  versions?: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string | number | boolean;
  ignorable?: boolean;
  flexibleVersions?: string;
  fields?: FieldSpec[];
}

interface MessageSpec {
  apiKey?: number;
  type: string;
  name: string;
  validVersions: string;
  flexibleVersions?: string;
  deprecatedVersions?: string;
  latestVersionUnstable?: boolean;
  listeners?: string[];
  fields: FieldSpec[];
  commonStructs?: Array<{ name: string; versions?: string; fields: FieldSpec[] }>;
}

interface Range {
  min: number;
  max: number; // Infinity for "N+"
}

const PRIMITIVES = new Set([
  'bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'bytes', 'records', 'uuid',
]);
const RESERVED = new Set(['Reader', 'Writer', 'Buffer', 'Record', 'Error', 'Map', 'Set', 'Input', 'TaggedField']);

function parseRange(s: string | undefined): Range | null {
  if (s === undefined || s === 'none') return null;
  const t = s.trim();
  let m = /^(\d+)\+$/.exec(t);
  if (m) return { min: Number(m[1]), max: Infinity };
  m = /^(\d+)-(\d+)$/.exec(t);
  if (m) return { min: Number(m[1]), max: Number(m[2]) };
  m = /^(\d+)$/.exec(t);
  if (m) return { min: Number(m[1]), max: Number(m[1]) };
  throw new Error(`bad version range ${JSON.stringify(s)}`);
}

function intersect(a: Range | null, b: Range | null): Range | null {
  if (!a || !b) return null;
  const r = { min: Math.max(a.min, b.min), max: Math.min(a.max, b.max) };
  return r.min > r.max ? null : r;
}

/** A TS condition for `v` in r, given that v is always within `within`. */
function cond(r: Range | null, within: Range): string {
  if (!r) return 'false';
  const lo = r.min > within.min;
  const hi = r.max < within.max;
  if (lo && hi) return r.min === r.max ? `v === ${r.min}` : `v >= ${r.min} && v <= ${r.max}`;
  if (lo) return `v >= ${r.min}`;
  if (hi) return `v <= ${r.max}`;
  return 'true';
}

function stripComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i];
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else {
      out += c;
    }
  }
  return out;
}

const camel = (s: string): string => s[0].toLowerCase() + s.slice(1);
const kebab = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/([A-Z])([A-Z][a-z])/g, '$1-$2').toLowerCase();

function elemType(t: string): string | null {
  return t.startsWith('[]') ? t.slice(2) : null;
}

class Gen {
  private readonly structs = new Map<string, { fields: FieldSpec[]; versions: Range }>();
  private readonly out: string[] = [];
  private readonly valid: Range;
  private readonly flex: Range | null;
  private usesTagged = false;
  private usesUuid = false;
  private usesDefaultEncoding = false;

  constructor(private readonly spec: MessageSpec) {
    const valid = parseRange(spec.validVersions);
    if (!valid) throw new Error(`${spec.name}: no valid versions`);
    this.valid = valid;
    this.flex = parseRange(spec.flexibleVersions ?? 'none');
    for (const cs of spec.commonStructs ?? []) this.addStruct(cs.name, cs.fields, valid);
    this.collect(spec.fields, valid);
  }

  private addStruct(name: string, fields: FieldSpec[], versions: Range): void {
    if (RESERVED.has(name) || name === this.spec.name) throw new Error(`${this.spec.name}: struct name ${name} collides`);
    const prev = this.structs.get(name);
    if (prev) {
      if (JSON.stringify(prev.fields) !== JSON.stringify(fields)) {
        throw new Error(`${this.spec.name}: struct ${name} defined twice with different fields`);
      }
      return;
    }
    this.structs.set(name, { fields, versions });
  }

  private collect(fields: FieldSpec[], within: Range): void {
    for (const f of fields) {
      const inner = elemType(f.type) ?? f.type;
      const fv = intersect(parseRange(f.versions ?? '0+'), within) ?? within;
      if (f.fields) {
        this.addStruct(inner, f.fields, fv);
        this.collect(f.fields, fv);
      }
    }
  }

  private isStruct(t: string): boolean {
    return !PRIMITIVES.has(t) && this.structs.has(t);
  }

  private tsType(f: FieldSpec): string {
    const nullable = parseRange(f.nullableVersions) !== null;
    const el = elemType(f.type);
    const base = (t: string): string => {
      switch (t) {
        case 'bool':
          return 'boolean';
        case 'int8': case 'int16': case 'uint16': case 'int32': case 'uint32': case 'float64':
          return 'number';
        case 'int64':
          return 'bigint';
        case 'string': case 'uuid':
          return 'string';
        case 'bytes': case 'records':
          return 'Buffer';
        default:
          if (!this.isStruct(t)) throw new Error(`${this.spec.name}: unknown type ${t}`);
          return t;
      }
    };
    const t = el !== null ? `${base(el)}[]` : base(f.type);
    return nullable ? `${t} | null` : t;
  }

  /** The default value expression of a field. */
  private defaultOf(f: FieldSpec): string {
    const nullable = parseRange(f.nullableVersions) !== null;
    const d = f.default === undefined ? undefined : String(f.default);
    if (d === 'null') {
      if (!nullable) throw new Error(`${this.spec.name}.${f.name}: null default on a non-nullable field`);
      return 'null';
    }
    if (elemType(f.type) !== null) return '[]';
    switch (f.type) {
      case 'bool':
        return d === 'true' ? 'true' : 'false';
      case 'int8': case 'int16': case 'uint16': case 'int32': case 'uint32': case 'float64':
        return d === undefined || d === '' ? '0' : String(Number(d));
      case 'int64':
        return d === undefined || d === '' ? '0n' : `${BigInt(Number(d))}n`;
      case 'string':
        return JSON.stringify(d ?? '');
      case 'uuid':
        this.usesUuid = true;
        return 'ZERO_UUID';
      case 'bytes':
        return 'EMPTY';
      case 'records':
        return nullable ? 'null' : 'EMPTY';
      default:
        return nullable ? 'null' : `default${f.type}()`;
    }
  }

  private flexExpr(f: FieldSpec): string {
    if (f.flexibleVersions !== undefined && parseRange(f.flexibleVersions) === null) return 'false';
    return 'flex';
  }

  /** Code that writes value expression `x` of type t. */
  private writeValue(t: string, x: string, flex: string, nullable: boolean): string {
    const el = elemType(t);
    if (el !== null) {
      const item = this.writeValue(el, 'e', flex, false);
      return `w.array(${x}, ${flex}, (w, e) => { ${item}; })`;
    }
    switch (t) {
      case 'bool': return `w.bool(${x})`;
      case 'int8': return `w.int8(${x})`;
      case 'int16': return `w.int16(${x})`;
      case 'uint16': return `w.uint16(${x})`;
      case 'int32': return `w.int32(${x})`;
      case 'uint32': return `w.uint32(${x})`;
      case 'int64': return `w.int64(${x})`;
      case 'float64': return `w.float64(${x})`;
      case 'uuid': return `w.uuid(${x})`;
      case 'string': return nullable ? `w.nstr(${x}, ${flex})` : `w.str(${x}, ${flex})`;
      case 'bytes': case 'records': return nullable ? `w.nbyts(${x}, ${flex})` : `w.byts(${x}, ${flex})`;
      default:
        if (nullable) return `{ const s = ${x}; if (s === null) w.int8(-1); else { w.int8(1); encode${t}(w, v, s); } }`;
        return `encode${t}(w, v, ${x})`;
    }
  }

  /** Expression that reads a value of type t. */
  private readValue(t: string, flex: string, nullable: boolean): string {
    const el = elemType(t);
    if (el !== null) {
      return `r.${nullable ? 'nullableArray' : 'array'}(${flex}, (r) => ${this.readValue(el, flex, false)})`;
    }
    switch (t) {
      case 'bool': return 'r.bool()';
      case 'int8': return 'r.int8()';
      case 'int16': return 'r.int16()';
      case 'uint16': return 'r.uint16()';
      case 'int32': return 'r.int32()';
      case 'uint32': return 'r.uint32()';
      case 'int64': return 'r.int64()';
      case 'float64': return 'r.float64()';
      case 'uuid': return 'r.uuid()';
      case 'string': return nullable ? `r.nstr(${flex})` : `r.str(${flex})`;
      case 'bytes': case 'records': return nullable ? `r.nbyts(${flex})` : `r.byts(${flex})`;
      default:
        if (nullable) return `(r.int8() < 0 ? null : decode${t}(r, v))`;
        return `decode${t}(r, v)`;
    }
  }

  /**
   * Where a field may be null, as a condition on v that is checked only where
   * the field is on the wire (versions `fv`). A field can be nullable in fewer
   * versions than it exists (MetadataRequest.Topics is nullable from v1 only):
   * there a null is neither written nor accepted, as in Kafka.
   */
  private nullCond(f: FieldSpec, fv: Range | null): string {
    const nr = parseRange(f.nullableVersions);
    if (!nr || !fv) return 'false';
    return cond(intersect(nr, fv), fv);
  }

  /** Expression that reads field f, nullable where `nc` holds. */
  private readField(f: FieldSpec, flex: string, nc: string): string {
    if (nc === 'true' || nc === 'false') return this.readValue(f.type, flex, nc === 'true');
    return `((${nc}) ? ${this.readValue(f.type, flex, true)} : ${this.readValue(f.type, flex, false)})`;
  }

  /**
   * Statement that writes field f from expression `val`, nullable where `nc`
   * holds. Where the type allows null but the version does not, a null is an
   * encoding error (Kafka throws too) rather than bytes no client can read.
   */
  private writeField(f: FieldSpec, val: string, flex: string, nc: string): string {
    const typeNullable = parseRange(f.nullableVersions) !== null;
    if (nc === 'true') return this.writeValue(f.type, val, flex, true);
    if (!typeNullable) return this.writeValue(f.type, val, flex, false);
    const err = `throw new UnsupportedFieldError('${this.spec.name}: ${f.name} cannot be null in version ' + v)`;
    const nonNull = this.writeValue(f.type, 'x', flex, false);
    if (nc === 'false') return `{ const x = ${val}; if (x === null) ${err}; ${nonNull}; }`;
    return `{ const x = ${val}; if (${nc}) { ${this.writeValue(f.type, 'x', flex, true)}; } else if (x === null) ${err}; else { ${nonNull}; } }`;
  }

  /** The value of field f in encoder input m: an explicit null stays null. */
  private inputValue(f: FieldSpec, prop: string): string {
    const nullable = parseRange(f.nullableVersions) !== null;
    if (nullable) return `(${prop} === undefined ? ${this.defaultOf(f)} : ${prop})`;
    return this.isStruct(f.type) ? `(${prop} ?? {})` : `(${prop} ?? ${this.defaultOf(f)})`;
  }

  /**
   * When a tagged field is sent: when it differs from its default, as Kafka
   * decides it. An empty array whose default is null is sent; a struct equal to
   * its default is not.
   */
  private taggedPresent(f: FieldSpec, prop: string): string {
    const d = this.defaultOf(f);
    const def = `${prop} !== undefined`;
    if (elemType(f.type) !== null || f.type === 'bytes' || f.type === 'records') {
      return d === 'null' ? `${def} && ${prop} !== null` : `${def} && (${prop} === null || ${prop}.length > 0)`;
    }
    if (this.isStruct(f.type)) return d === 'null' ? `${def} && ${prop} !== null` : def;
    return `${def} && ${prop} !== ${d}`;
  }

  private emitStruct(name: string, fields: FieldSpec[], versions: Range, exported: boolean): void {
    const o = this.out;
    const flexCond = cond(intersect(this.flex, versions), versions);
    // Interface.
    o.push(`export interface ${name} {`);
    for (const f of fields) o.push(`  ${camel(f.name)}: ${this.tsType(f)};`);
    o.push('  /** Tagged fields this codec does not know, kept so messages round-trip. */');
    o.push('  _unknownTags?: TaggedField[];');
    o.push('}', '');
    // Default.
    o.push(`export function default${name}(): ${name} {`);
    o.push(`  return { ${fields.map((f) => `${camel(f.name)}: ${this.defaultOf(f)}`).join(', ')} };`);
    o.push('}', '');
    // Decoder.
    const fn = exported ? 'export function' : 'function';
    o.push(`${fn} decode${name}(r: Reader, v: number): ${name} {`);
    o.push(`  const flex = ${flexCond};`);
    o.push(`  const m = default${name}();`);
    const tagged: FieldSpec[] = [];
    for (const f of fields) {
      const fv = intersect(parseRange(f.versions ?? '0+'), versions);
      if (f.taggedVersions !== undefined) {
        tagged.push(f);
        continue;
      }
      const c = cond(fv, versions);
      if (c === 'false') continue;
      const read = `m.${camel(f.name)} = ${this.readField(f, this.flexExpr(f), this.nullCond(f, fv))};`;
      o.push(c === 'true' ? `  ${read}` : `  if (${c}) ${read}`);
    }
    if (flexCond !== 'false') {
      this.usesTagged = true;
      if (tagged.length === 0) {
        o.push('  if (flex) m._unknownTags = readTaggedFields(r, null);');
      } else {
        o.push('  if (flex) {');
        o.push('    m._unknownTags = readTaggedFields(r, (tag, r) => {');
        o.push('      switch (tag) {');
        for (const f of tagged) {
          const tv = intersect(intersect(parseRange(f.taggedVersions), parseRange(f.versions ?? '0+')), versions);
          o.push(`        case ${f.tag}:`);
          o.push(`          if (!(${cond(tv, versions)})) return false;`);
          o.push(`          m.${camel(f.name)} = ${this.readField(f, 'true', this.nullCond(f, tv))};`);
          o.push('          return true;');
        }
        o.push('        default:', '          return false;', '      }', '    });', '  }');
      }
    }
    o.push('  return m;', '}', '');
    // Encoder.
    o.push(`${fn} encode${name}(w: Writer, v: number, m: Input<${name}>): void {`);
    o.push(`  const flex = ${flexCond};`);
    for (const f of fields) {
      if (f.taggedVersions !== undefined) continue;
      const fv = intersect(parseRange(f.versions ?? '0+'), versions);
      const c = cond(fv, versions);
      const prop = `m.${camel(f.name)}`;
      if (c === 'false') continue;
      const write = this.writeField(f, this.inputValue(f, prop), this.flexExpr(f), this.nullCond(f, fv));
      if (c === 'true') {
        o.push(`  ${write};`);
      } else {
        const ignorableCheck = !f.ignorable && this.spec.type !== 'response' && PRIMITIVES.has(f.type) && f.type !== 'records';
        o.push(`  if (${c}) { ${write}; }`);
        if (ignorableCheck) {
          const d = this.defaultOf(f);
          const cmp = f.type === 'bytes' ? `${prop}.length !== 0` : `${prop} !== ${d}`;
          o.push(`  else if (${prop} !== undefined && ${cmp}) throw new UnsupportedFieldError('${this.spec.name}: ${f.name} is not supported in version ' + v);`);
        }
      }
    }
    if (flexCond !== 'false') {
      if (tagged.length === 0) {
        o.push('  if (flex) writeTaggedFields(w, m._unknownTags?.slice());');
      } else {
        o.push('  if (flex) {');
        o.push('    const tags: TaggedField[] = m._unknownTags ? m._unknownTags.slice() : [];');
        for (const f of tagged) {
          const tv = intersect(intersect(parseRange(f.taggedVersions), parseRange(f.versions ?? '0+')), versions);
          const c = cond(tv, versions);
          if (c === 'false') continue;
          const prop = `m.${camel(f.name)}`;
          const write = this.writeField(f, this.inputValue(f, prop), 'true', this.nullCond(f, tv));
          const keep = this.isStruct(f.type) && this.defaultOf(f) !== 'null'
            ? `if (!isDefaultEncoding(b, v, encode${f.type}, default${f.type})) `
            : '';
          if (keep) this.usesDefaultEncoding = true;
          o.push(`    if ((${c}) && ${this.taggedPresent(f, prop)}) { const t = new Writer(64); ((w: Writer) => { ${write}; })(t); const b = t.toBuffer(); ${keep}tags.push([${f.tag}, b]); }`);
        }
        o.push('    writeTaggedFields(w, tags);', '  }');
      }
    }
    o.push('}', '');
  }

  render(sourceName: string): string {
    const s = this.spec;
    // Top level first, then structs in definition order.
    this.emitStruct(s.name, s.fields, this.valid, true);
    for (const [name, def] of this.structs) this.emitStruct(name, def.fields, def.versions, true);
    const flexMin = this.flex ? this.flex.min : null;
    this.out.push(`export const ${camel(s.name)}Meta = {`);
    this.out.push(`  name: '${s.name}',`);
    this.out.push(`  type: '${s.type}',`);
    if (s.apiKey !== undefined) this.out.push(`  apiKey: ${s.apiKey},`);
    this.out.push(`  minVersion: ${this.valid.min},`);
    this.out.push(`  maxVersion: ${this.valid.max},`);
    this.out.push(`  flexibleFrom: ${flexMin === null ? 'null' : flexMin},`);
    if (s.listeners) this.out.push(`  listeners: ${JSON.stringify(s.listeners).replace(/"/g, "'")},`);
    if (s.latestVersionUnstable) this.out.push('  latestVersionUnstable: true,');
    this.out.push(`  decode: decode${s.name},`);
    this.out.push(`  encode: encode${s.name},`);
    this.out.push('} as const;', '');
    const header = [
      `// DO NOT EDIT. Generated by scripts/generate-protocol.ts from ${sourceName}.`,
      '/* eslint-disable */',
      `import { Reader, Writer, readTaggedFields, writeTaggedFields, ${this.usesDefaultEncoding ? 'isDefaultEncoding, ' : ''}ZERO_UUID, type Input, type TaggedField } from '%PRIM%';`,
      "import { UnsupportedFieldError } from '%ERR%';",
      '',
      'void ZERO_UUID; void readTaggedFields; void writeTaggedFields; void UnsupportedFieldError;',
      'const EMPTY = Buffer.alloc(0);',
      'void EMPTY;',
      '',
    ];
    return header.join('\n') + this.out.join('\n');
  }
}

function main(): void {
  if (!existsSync(schemaRoot)) throw new Error(`schema folder not found: ${schemaRoot} (set KAFKA_PROTOCOL_DIR)`);
  const files = new Map<string, string>();
  const model: Record<string, MessageSpec> = {};
  const apis = new Map<number, { request?: string; response?: string; file: Record<string, string> }>();
  for (const [src, dst] of FOLDERS) {
    const dir = join(schemaRoot, src);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
      const spec = JSON.parse(stripComments(readFileSync(join(dir, f), 'utf8'))) as MessageSpec;
      const depth = dst === '' ? 1 : 2;
      const up = '../'.repeat(depth);
      const text = new Gen(spec)
        .render(`${src}/${f}`)
        .replace('%PRIM%', `${up}primitives/index.js`)
        .replace('%ERR%', `${up}errors.js`);
      const rel = join(dst, `${kebab(spec.name)}.ts`);
      model[`${src}/${spec.name}`] = spec;
      files.set(rel, text);
      if (src === 'message' && (spec.type === 'request' || spec.type === 'response') && spec.apiKey !== undefined) {
        const e = apis.get(spec.apiKey) ?? { file: {} };
        e[spec.type] = spec.name;
        e.file[spec.type] = `./${kebab(spec.name)}.js`;
        apis.set(spec.apiKey, e);
      }
    }
  }
  // The API table.
  const keys = [...apis.keys()].sort((a, b) => a - b);
  const lines: string[] = ['// DO NOT EDIT. Generated by scripts/generate-protocol.ts.', ''];
  for (const k of keys) {
    const e = apis.get(k)!;
    lines.push(`import { ${camel(e.request!)}Meta } from '${e.file.request}';`);
    lines.push(`import { ${camel(e.response!)}Meta } from '${e.file.response}';`);
  }
  lines.push('', 'export const API_SCHEMAS = {');
  for (const k of keys) {
    const e = apis.get(k)!;
    lines.push(`  ${k}: { request: ${camel(e.request!)}Meta, response: ${camel(e.response!)}Meta },`);
  }
  lines.push('} as const;', '', 'export type ApiKey = keyof typeof API_SCHEMAS;', '');
  lines.push('export const API_NAMES: Record<number, string> = {');
  for (const k of keys) lines.push(`  ${k}: '${apis.get(k)!.request!.replace(/Request$/, '')}',`);
  lines.push('};', '');
  files.set('api-keys.ts', lines.join('\n'));
  // The parsed schemas, for tests and tools that walk fields (round-trip tests, conformance).
  files.set('schemas.json', JSON.stringify(model, null, 1) + '\n');

  if (check) {
    const stale: string[] = [];
    for (const [rel, text] of files) {
      const p = join(outRoot, rel);
      if (!existsSync(p) || readFileSync(p, 'utf8') !== text) stale.push(rel);
    }
    if (stale.length) {
      console.error(`generated code is stale (${stale.length} files), run npm run generate: ${stale.slice(0, 10).join(', ')}`);
      process.exit(1);
    }
    console.log(`generated code is up to date (${files.size} files)`);
    return;
  }
  rmSync(outRoot, { recursive: true, force: true });
  for (const [rel, text] of files) {
    const p = join(outRoot, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
  console.log(`wrote ${files.size} files to ${outRoot}`);
}

main();
