/**
 * Transactions as the cleaner sees them (pure; fed in offset order by the
 * mapping pass). A producer's transactional data batches stay open until
 * its next control batch: a COMMIT marker releases their keys into the
 * offset map, an ABORT marker makes them aborted (the cleaner drops them,
 * as Kafka does, and they never hide an older committed value). Batches
 * whose marker lies past the scanned range are undecided: they are kept
 * whole and stay out of the map, so an open transaction can neither lose
 * its records nor shadow anything.
 */

/** A key and the offset of a record carrying it. */
export type KeyedOffset = readonly [key: Buffer, offset: number];

interface OpenTxn {
  readonly batches: number[];
  readonly puts: KeyedOffset[];
}

export class TxnTracker {
  readonly #open = new Map<bigint, OpenTxn>();
  /** Base offsets of aborted transactional data batches. */
  readonly aborted = new Set<number>();

  /** A transactional data batch of producerId; `puts` are its mappable records. */
  data(producerId: bigint, baseOffset: number, puts: readonly KeyedOffset[]): void {
    let txn = this.#open.get(producerId);
    if (txn === undefined) this.#open.set(producerId, (txn = { batches: [], puts: [] }));
    txn.batches.push(baseOffset);
    txn.puts.push(...puts);
  }

  /** A COMMIT (commit=true) or ABORT marker of producerId; returns the records to map. */
  marker(producerId: bigint, commit: boolean): readonly KeyedOffset[] {
    const txn = this.#open.get(producerId);
    if (txn === undefined) return [];
    this.#open.delete(producerId);
    if (commit) return txn.puts;
    for (const b of txn.batches) this.aborted.add(b);
    return [];
  }

  /** Base offsets of transactional batches whose marker was not seen. */
  undecided(): Set<number> {
    const out = new Set<number>();
    for (const txn of this.#open.values()) for (const b of txn.batches) out.add(b);
    return out;
  }
}
