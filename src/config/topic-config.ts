/**
 * Topic-level configs: Kafka's names, each falling back to a broker setting
 * (e.g. retention.ms <- log.retention.ms) and then to its default.
 */
import { BROKER_CONFIG_DEFS, type BrokerConfig, type ConfigType } from './broker-config.js';

export interface TopicConfigDef {
  name: string;
  type: ConfigType;
  /** Broker config that supplies the default. */
  brokerKey: string | null;
  default: string | null;
  /** Allowed values for enumerations. */
  oneOf?: string[];
  min?: number;
}

const topicDefs: TopicConfigDef[] = [];
for (const d of BROKER_CONFIG_DEFS.values()) {
  if (d.topicConfig) topicDefs.push({ name: d.topicConfig, type: d.type, brokerKey: d.name, default: d.default });
}
const extra: TopicConfigDef[] = [
  { name: 'message.timestamp.difference.max.ms', type: 'long', brokerKey: null, default: '9223372036854775807' },
  { name: 'message.downconversion.enable', type: 'boolean', brokerKey: null, default: 'true' },
  { name: 'preallocate', type: 'boolean', brokerKey: null, default: 'false' },
  { name: 'file.delete.delay.ms', type: 'long', brokerKey: null, default: '60000' },
  { name: 'max.compaction.lag.ms', type: 'long', brokerKey: null, default: '9223372036854775807' },
  { name: 'segment.jitter.ms', type: 'long', brokerKey: null, default: '0' },
  { name: 'local.retention.ms', type: 'long', brokerKey: null, default: '-2' },
  { name: 'local.retention.bytes', type: 'long', brokerKey: null, default: '-2' },
];
topicDefs.push(...extra);

const ENUMS: Record<string, string[]> = {
  'cleanup.policy': ['delete', 'compact'],
  'message.timestamp.type': ['CreateTime', 'LogAppendTime'],
  'compression.type': ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'],
};
const MINS: Record<string, number> = {
  'max.message.bytes': 0,
  'segment.bytes': 14,
  'min.insync.replicas': 1,
  'retention.ms': -1,
  'segment.ms': 1,
  'index.interval.bytes': 0,
  'segment.index.bytes': 4,
};

export const TOPIC_CONFIG_DEFS: ReadonlyMap<string, TopicConfigDef> = new Map(
  topicDefs.map((d) => [d.name, { ...d, oneOf: ENUMS[d.name], min: MINS[d.name] }]),
);

/** Checks one topic config; returns an error message or null. */
export function validateTopicConfig(name: string, value: string | null): string | null {
  const def = TOPIC_CONFIG_DEFS.get(name);
  if (!def) return `Unknown topic config name: ${name}`;
  if (value === null) return null;
  switch (def.type) {
    case 'int':
    case 'long': {
      if (!/^-?\d+$/.test(value.trim())) return `Invalid value ${value} for configuration ${name}: Not a number of type ${def.type.toUpperCase()}`;
      if (def.min !== undefined && Number(value) < def.min) return `Invalid value ${value} for configuration ${name}: Value must be at least ${def.min}`;
      return null;
    }
    case 'double':
      return Number.isNaN(Number(value)) ? `Invalid value ${value} for configuration ${name}: Not a number of type DOUBLE` : null;
    case 'boolean':
      return /^(true|false)$/i.test(value.trim()) ? null : `Invalid value ${value} for configuration ${name}: Expected value to be either true or false`;
    case 'list':
    case 'string': {
      if (!def.oneOf) return null;
      const items = def.type === 'list' ? value.split(',').map((s) => s.trim()) : [value.trim()];
      const bad = items.find((i) => !def.oneOf!.includes(i));
      return bad === undefined ? null : `Invalid value ${value} for configuration ${name}: String must be one of: ${def.oneOf.join(', ')}`;
    }
    default:
      return null;
  }
}

/** Where a config value came from, as DescribeConfigs reports it. */
export const ConfigSource = {
  DYNAMIC_TOPIC_CONFIG: 1,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;

export interface ResolvedConfig {
  name: string;
  value: string | null;
  source: number;
}

/** The effective config of a topic: its own overrides, then the broker's, then defaults. */
export function resolveTopicConfigs(overrides: ReadonlyMap<string, string>, broker: BrokerConfig): ResolvedConfig[] {
  const out: ResolvedConfig[] = [];
  for (const def of TOPIC_CONFIG_DEFS.values()) {
    const own = overrides.get(def.name);
    if (own !== undefined) {
      out.push({ name: def.name, value: own, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    } else if (def.brokerKey && broker.has(def.brokerKey)) {
      out.push({ name: def.name, value: broker.raw(def.brokerKey), source: ConfigSource.STATIC_BROKER_CONFIG });
    } else {
      out.push({ name: def.name, value: effectiveDefault(def), source: ConfigSource.DEFAULT_CONFIG });
    }
  }
  return out;
}

function effectiveDefault(def: TopicConfigDef): string | null {
  if (def.name === 'flush.ms' && def.default === null) return '9223372036854775807';
  return def.default;
}

/** One topic config's effective value. */
export function topicConfigValue(name: string, overrides: ReadonlyMap<string, string>, broker: BrokerConfig): string | null {
  const own = overrides.get(name);
  if (own !== undefined) return own;
  const def = TOPIC_CONFIG_DEFS.get(name);
  if (!def) return null;
  if (def.brokerKey && broker.has(def.brokerKey)) return broker.raw(def.brokerKey);
  return effectiveDefault(def);
}

/** DescribeConfigs v3+ config type codes. */
export function configTypeCode(t: ConfigType): number {
  switch (t) {
    case 'boolean': return 1;
    case 'string': return 2;
    case 'int': return 3;
    case 'long': return 5;
    case 'double': return 6;
    case 'list': return 7;
  }
}
