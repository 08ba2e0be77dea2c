/**
 * Producer ids for this broker: taken one by one from a block the controller
 * allocated (and committed), a new block fetched when one runs out. Callers
 * waiting during a fetch share it.
 */
export type AllocateBlock = () => Promise<{ start: bigint; length: number }>;

export const PRODUCER_ID_BLOCK_SIZE = 1000;

export class ProducerIdManager {
  private next = 0n;
  private end = 0n;
  private fetching: Promise<void> | null = null;

  constructor(private readonly allocate: AllocateBlock) {}

  async generate(): Promise<bigint> {
    while (this.next >= this.end) {
      this.fetching ??= this.allocate().then(
        (b) => {
          this.next = b.start;
          this.end = b.start + BigInt(b.length);
          this.fetching = null;
        },
        (err: unknown) => {
          this.fetching = null;
          throw err;
        },
      );
      await this.fetching;
    }
    return this.next++;
  }
}
