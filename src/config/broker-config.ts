/**
 * Broker configuration with Kafka's names, types and defaults. Values come
 * from a server.properties file and `key=value` overrides; unknown keys are
 * kept (and reported) so a Kafka properties file loads unchanged.
 */
import { readFileSync } from 'node:fs';

export type ConfigType = 'int' | 'long' | 'boolean' | 'string' | 'list' | 'double';

export interface ConfigDef {
  name: string;
  type: ConfigType;
  default: string | null;
  doc: string;
  /** The topic-level config this broker setting is the default of, if any. */
  topicConfig?: string;
}

const defs: ConfigDef[] = [
  { name: 'node.id', type: 'int', default: '1', doc: 'This node\'s id in the cluster.' },
  { name: 'process.roles', type: 'list', default: 'broker,controller', doc: 'Roles of this node: broker, controller or both.' },
  { name: 'listeners', type: 'list', default: 'PLAINTEXT://127.0.0.1:9092', doc: 'Listeners: NAME://host:port, comma separated. Port 0 picks a free port.' },
  { name: 'advertised.listeners', type: 'list', default: null, doc: 'Addresses given to clients; defaults to listeners.' },
  { name: 'listener.security.protocol.map', type: 'list', default: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT', doc: 'Listener name to security protocol.' },
  { name: 'controller.listener.names', type: 'list', default: 'CONTROLLER', doc: 'Listener names used by the controller quorum.' },
  { name: 'controller.quorum.voters', type: 'list', default: null, doc: 'Controller voters as id@host:port; empty means this node alone.' },
  { name: 'controller.quorum.election.timeout.ms', type: 'int', default: '1000', doc: 'Raft election timeout of the controller quorum.' },
  { name: 'controller.quorum.fetch.timeout.ms', type: 'int', default: '2000', doc: 'A follower that hears nothing from the leader this long starts an election.' },
  { name: 'controller.quorum.request.timeout.ms', type: 'int', default: '2000', doc: 'Timeout of requests between controllers.' },
  { name: 'broker.heartbeat.interval.ms', type: 'int', default: '2000', doc: 'How often a broker heartbeats to the active controller.' },
  { name: 'broker.session.timeout.ms', type: 'int', default: '9000', doc: 'A broker without a heartbeat this long is fenced.' },
  { name: 'metadata.log.max.record.bytes.between.snapshots', type: 'long', default: '20971520', doc: 'Metadata log bytes between controller snapshots.' },
  { name: 'inter.broker.listener.name', type: 'string', default: null, doc: 'Listener used between brokers.' },
  { name: 'cluster.id', type: 'string', default: null, doc: 'Cluster id; generated and stored in meta.properties when absent.' },
  { name: 'log.dirs', type: 'list', default: '/tmp/krill-logs', doc: 'Directories where partition logs are stored.' },
  { name: 'metadata.log.dir', type: 'string', default: null, doc: 'Directory of the metadata log; defaults to the first of log.dirs.' },
  { name: 'num.partitions', type: 'int', default: '1', doc: 'Partitions of an auto-created topic or a CreateTopics with -1.' },
  { name: 'default.replication.factor', type: 'int', default: '1', doc: 'Replication factor of auto-created topics.' },
  { name: 'auto.create.topics.enable', type: 'boolean', default: 'true', doc: 'Create a topic on Metadata/Produce for an unknown name.' },
  { name: 'delete.topic.enable', type: 'boolean', default: 'true', doc: 'Allow DeleteTopics.' },
  { name: 'socket.request.max.bytes', type: 'int', default: '104857600', doc: 'Largest request frame accepted; larger frames close the connection.' },
  { name: 'max.connections', type: 'int', default: '2147483647', doc: 'Most open client connections per node.' },
  { name: 'connections.max.idle.ms', type: 'long', default: '600000', doc: 'Idle connections are closed after this long.' },
  { name: 'queued.max.requests', type: 'int', default: '500', doc: 'Requests read ahead per connection before reading pauses.' },
  { name: 'message.max.bytes', type: 'int', default: '1048588', doc: 'Largest record batch accepted.', topicConfig: 'max.message.bytes' },
  { name: 'log.segment.bytes', type: 'int', default: '1073741824', doc: 'Segment size before a roll.', topicConfig: 'segment.bytes' },
  { name: 'log.roll.ms', type: 'long', default: '604800000', doc: 'Segment age before a roll.', topicConfig: 'segment.ms' },
  { name: 'log.index.size.max.bytes', type: 'int', default: '10485760', doc: 'Offset index size before a roll.', topicConfig: 'segment.index.bytes' },
  { name: 'log.index.interval.bytes', type: 'int', default: '4096', doc: 'Bytes between offset index entries.', topicConfig: 'index.interval.bytes' },
  { name: 'log.retention.ms', type: 'long', default: '604800000', doc: 'Age after which segments are deleted.', topicConfig: 'retention.ms' },
  { name: 'log.retention.bytes', type: 'long', default: '-1', doc: 'Partition size above which old segments are deleted.', topicConfig: 'retention.bytes' },
  { name: 'log.cleanup.policy', type: 'list', default: 'delete', doc: 'delete, compact or both.', topicConfig: 'cleanup.policy' },
  { name: 'log.flush.interval.messages', type: 'long', default: '9223372036854775807', doc: 'Messages between forced fsyncs.', topicConfig: 'flush.messages' },
  { name: 'log.flush.interval.ms', type: 'long', default: null, doc: 'Time between forced fsyncs.', topicConfig: 'flush.ms' },
  { name: 'log.message.timestamp.type', type: 'string', default: 'CreateTime', doc: 'CreateTime or LogAppendTime.', topicConfig: 'message.timestamp.type' },
  { name: 'log.cleaner.delete.retention.ms', type: 'long', default: '86400000', doc: 'How long tombstones stay in compacted topics.', topicConfig: 'delete.retention.ms' },
  { name: 'log.cleaner.min.cleanable.ratio', type: 'double', default: '0.5', doc: 'Dirty ratio that triggers compaction.', topicConfig: 'min.cleanable.dirty.ratio' },
  { name: 'log.cleaner.min.compaction.lag.ms', type: 'long', default: '0', doc: 'Minimum age before compaction.', topicConfig: 'min.compaction.lag.ms' },
  { name: 'compression.type', type: 'string', default: 'producer', doc: 'Compression of stored batches; producer keeps what was sent.', topicConfig: 'compression.type' },
  { name: 'min.insync.replicas', type: 'int', default: '1', doc: 'Replicas that must have an acks=all write.', topicConfig: 'min.insync.replicas' },
  { name: 'unclean.leader.election.enable', type: 'boolean', default: 'false', doc: 'Elect a leader outside the ISR.', topicConfig: 'unclean.leader.election.enable' },
  { name: 'krill.fsync.before.ack', type: 'boolean', default: 'true', doc: 'fsync (group commit) before acknowledging acks=all writes.' },
  { name: 'krill.idle.gc.interval.ms', type: 'long', default: '10000', doc: 'krill start only: how often the process checks for a quiet spell after load and then runs one full GC to hand freed buffers back (0 disables; embedded nodes never force a GC).' },
  { name: 'offsets.topic.num.partitions', type: 'int', default: '50', doc: 'Partitions of __consumer_offsets.' },
  { name: 'offsets.topic.replication.factor', type: 'int', default: '3', doc: 'Replication factor of __consumer_offsets (capped at live brokers).' },
  { name: 'transaction.state.log.num.partitions', type: 'int', default: '50', doc: 'Partitions of __transaction_state.' },
  { name: 'group.initial.rebalance.delay.ms', type: 'int', default: '3000', doc: 'Delay of the first rebalance of a new group.' },
  { name: 'group.min.session.timeout.ms', type: 'int', default: '6000', doc: 'Shortest session timeout a group member may ask for.' },
  { name: 'group.max.session.timeout.ms', type: 'int', default: '1800000', doc: 'Longest session timeout a group member may ask for.' },
  { name: 'group.max.size', type: 'int', default: '2147483647', doc: 'Most members of one classic group.' },
  { name: 'offset.metadata.max.bytes', type: 'int', default: '4096', doc: 'Longest metadata string of a committed offset.' },
  { name: 'offsets.retention.minutes', type: 'int', default: '10080', doc: 'How long the offsets of an empty group are kept.' },
  { name: 'offsets.retention.check.interval.ms', type: 'long', default: '600000', doc: 'How often expired offsets are removed.' },
  { name: 'offsets.topic.segment.bytes', type: 'int', default: '104857600', doc: 'Segment size of __consumer_offsets.' },
  { name: 'offsets.load.buffer.size', type: 'int', default: '5242880', doc: 'Bytes read at a time when a group coordinator partition loads.' },
  { name: 'replica.high.watermark.checkpoint.interval.ms', type: 'long', default: '5000', doc: 'How often high watermarks are checkpointed.' },
  { name: 'replica.fetch.wait.max.ms', type: 'int', default: '500', doc: 'Longest wait of a follower fetch.' },
  { name: 'replica.fetch.min.bytes', type: 'int', default: '1', doc: 'Bytes a follower fetch waits for.' },
  { name: 'replica.fetch.response.max.bytes', type: 'int', default: '10485760', doc: 'Largest follower fetch response.' },
  { name: 'replica.fetch.max.bytes', type: 'int', default: '1048576', doc: 'Bytes fetched per partition by a follower.' },
  { name: 'replica.fetch.backoff.ms', type: 'int', default: '1000', doc: 'Pause after a failed follower fetch.' },
  { name: 'replica.socket.timeout.ms', type: 'int', default: '30000', doc: 'Timeout of follower fetch requests.' },
  { name: 'krill.replication.append.timeout.ms', type: 'int', default: '30000', doc: 'Longest an acks=all produce waits for the ISR when the request gives no timeout.' },
  { name: 'replica.lag.time.max.ms', type: 'long', default: '30000', doc: 'A follower behind this long leaves the ISR.' },
];

export const BROKER_CONFIG_DEFS: ReadonlyMap<string, ConfigDef> = new Map(defs.map((d) => [d.name, d]));

export class ConfigError extends Error {
  readonly code = 'KRILL_CONFIG';
}

/** Parses Java-properties text: key=value or key: value, # and ! comments, \ continuations. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].trim();
    if (!line || line.startsWith('#') || line.startsWith('!')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i].trim();
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (!m) throw new ConfigError(`cannot parse config line ${JSON.stringify(line)}: expected key=value`);
    out.set(m[1], m[2]);
  }
  return out;
}

export interface Listener {
  name: string;
  host: string;
  port: number;
}

export function parseListeners(value: string[]): Listener[] {
  return value.map((s) => {
    const m = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(s.trim());
    if (!m) throw new ConfigError(`bad listener ${JSON.stringify(s)}: expected NAME://host:port`);
    return { name: m[1].toUpperCase(), host: m[2].replace(/^\[|\]$/g, ''), port: Number(m[3]) };
  });
}

/** The resolved broker configuration: raw strings plus typed getters. */
export class BrokerConfig {
  readonly values: Map<string, string>;

  constructor(values: Map<string, string> | Record<string, string | number | boolean> = {}) {
    const entries = values instanceof Map ? [...values] : Object.entries(values).map(([k, v]) => [k, String(v)] as const);
    this.values = new Map(entries);
    for (const [k, v] of this.values) this.validate(k, v);
  }

  static load(file: string | undefined, overrides: string[] = []): BrokerConfig {
    const values = file ? parseProperties(readFileSync(file, 'utf8')) : new Map<string, string>();
    for (const o of overrides) {
      const i = o.indexOf('=');
      if (i <= 0) throw new ConfigError(`bad override ${JSON.stringify(o)}: expected key=value`);
      values.set(o.slice(0, i).trim(), o.slice(i + 1).trim());
    }
    return new BrokerConfig(values);
  }

  private validate(key: string, value: string): void {
    const def = BROKER_CONFIG_DEFS.get(key);
    if (!def) return;
    const bad = (what: string): never => {
      throw new ConfigError(`${key}=${JSON.stringify(value)} is not ${what}`);
    };
    switch (def.type) {
      case 'int':
      case 'long':
        if (!/^-?\d+$/.test(value.trim())) bad('an integer');
        break;
      case 'double':
        if (Number.isNaN(Number(value))) bad('a number');
        break;
      case 'boolean':
        if (!/^(true|false)$/i.test(value.trim())) bad('true or false');
        break;
      default:
        break;
    }
  }

  has(key: string): boolean {
    return this.values.has(key);
  }

  raw(key: string): string | null {
    const v = this.values.get(key);
    if (v !== undefined) return v;
    return BROKER_CONFIG_DEFS.get(key)?.default ?? null;
  }

  string(key: string): string {
    const v = this.raw(key);
    if (v === null) throw new ConfigError(`${key} is not set`);
    return v;
  }

  int(key: string): number {
    const v = Number(this.string(key));
    // Long.MAX_VALUE style sentinels stay as the largest safe number.
    return Number.isSafeInteger(v) ? v : v > 0 ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  }

  bool(key: string): boolean {
    return this.string(key).trim().toLowerCase() === 'true';
  }

  list(key: string): string[] {
    const v = this.raw(key);
    if (v === null || v.trim() === '') return [];
    return v.split(',').map((s) => s.trim()).filter(Boolean);
  }

  get nodeId(): number {
    return this.int('node.id');
  }

  get listeners(): Listener[] {
    return parseListeners(this.list('listeners'));
  }

  get logDirs(): string[] {
    return this.list('log.dirs');
  }

  /** Keys that are set but not known to Krill (accepted, reported at start-up). */
  unknownKeys(): string[] {
    return [...this.values.keys()].filter((k) => !BROKER_CONFIG_DEFS.has(k));
  }

  with(overrides: Record<string, string | number | boolean>): BrokerConfig {
    const m = new Map(this.values);
    for (const [k, v] of Object.entries(overrides)) m.set(k, String(v));
    return new BrokerConfig(m);
  }
}
