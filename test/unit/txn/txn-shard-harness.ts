/**
 * Drives a TxnShard the way CoordinatorRuntime does, without I/O: each
 * operation decides, its records are encoded to Kafka's bytes (kept as the
 * partition's log) and replayed, then the success hooks run. Markers are
 * "written" by the test (completeMarkers). Time is a number the test moves.
 */
import pino from 'pino';
import { TxnOp, TxnShard, type InitInput } from '../../../src/txn/txn-shard.js';
import { TXN_CONFIG_DEFAULTS, type TxnConfig } from '../../../src/txn/txn-config.js';
import { decodeTxnRecord, encodeTxnKey, encodeTxnValue } from '../../../src/txn/txn-records.js';

export class TxnHarness {
  now = 1_000_000;
  /** The partition's records as bytes. */
  readonly log: Array<{ key: Buffer; value: Buffer | null }> = [];
  /** Transactional ids whose markers the coordinator would now write. */
  readonly markersNeeded: string[] = [];
  shard: TxnShard;
  readonly config: TxnConfig;
  private nextPid = 1000n;

  constructor(config: Partial<TxnConfig> = {}) {
    this.config = { ...TXN_CONFIG_DEFAULTS, ...config };
    this.shard = this.fresh();
    this.shard.finishLoad(this.now);
  }

  private fresh(): TxnShard {
    return new TxnShard(0, { config: this.config, log: pino({ level: 'silent' }), markersNeeded: (id) => this.markersNeeded.push(id) });
  }

  /** A coordinator restart: a new shard loads the log's bytes. */
  reload(): void {
    this.shard = this.fresh();
    for (const r of this.log) {
      const record = decodeTxnRecord(r.key, r.value);
      if (record) this.shard.replay(record);
    }
    this.shard.finishLoad(this.now);
  }

  run<T>(fn: (shard: TxnShard, op: TxnOp) => T): T {
    const op = new TxnOp(this.now);
    const result = fn(this.shard, op);
    for (const r of op.records) {
      this.log.push({ key: encodeTxnKey(r.transactionalId), value: encodeTxnValue(r.metadata) });
      this.shard.replay(r);
    }
    for (const h of op.onSuccess) h();
    return result;
  }

  /** InitProducerId as the coordinator service does it (a fresh producer id when the shard asks). */
  init(transactionalId: string, expected: InitInput['expected'] = null, txnTimeoutMs = 60_000) {
    const input = { transactionalId, txnTimeoutMs, expected, freshProducerId: null as bigint | null };
    let r = this.run((s, op) => s.initProducerId(op, input));
    if (r.kind === 'needProducerId') {
      input.freshProducerId = this.nextPid++;
      r = this.run((s, op) => s.initProducerId(op, input));
    }
    return r;
  }

  add(transactionalId: string, producerId: bigint, producerEpoch: number, ...partitions: Array<[string, number]>) {
    return this.run((s, op) => s.addPartitions(op, { transactionalId, producerId, producerEpoch }, partitions.map(([topic, partition]) => ({ topic, partition }))));
  }

  end(transactionalId: string, producerId: bigint, producerEpoch: number, commit: boolean) {
    return this.run((s, op) => s.endTxn(op, { transactionalId, producerId, producerEpoch }, commit));
  }

  /** Writes every pending marker and completes the transactions, as the coordinator does. */
  completeMarkers(): void {
    for (const id of this.markersNeeded.splice(0)) {
      const m = this.shard.txns.get(id);
      if (!m) continue;
      for (const tp of m.partitions) this.shard.markerWritten(id, tp.topic, tp.partition);
      this.run((s, op) => s.completeTxn(op, id, m.producerId, m.producerEpoch));
    }
  }

  advance(ms: number): void {
    this.now += ms;
    for (let i = 0; i < 100 && this.shard.nextDeadline() <= this.now; i++) this.run((s, op) => s.tick(op));
  }

  state(transactionalId: string): string | undefined {
    return this.shard.describe(transactionalId)?.state;
  }
}
