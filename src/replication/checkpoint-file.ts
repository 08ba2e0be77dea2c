/**
 * Small text checkpoint files written whole and atomically (temp file,
 * fsync, rename, as Kafka's CheckpointFile does) by a coalescing writer:
 * requests arriving while a write is under way are served by one more
 * write of the latest content, so a burst costs at most two writes.
 */
import { open, readFile, rename } from 'node:fs/promises';

export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

/** The file's text, or null when it does not exist. */
export async function readTextIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export class CheckpointWriter {
  #running: Promise<void> | null = null;
  #again: Promise<void> | null = null;
  #closed = false;

  constructor(
    private readonly path: string,
    private readonly content: () => string,
  ) {}

  /** Writes the current content; resolves once a write that started after this call is done. */
  write(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (!this.#running) {
      this.#running = writeFileAtomic(this.path, this.content()).finally(() => {
        this.#running = null;
      });
      return this.#running;
    }
    this.#again ??= this.#running.catch(() => undefined).then(() => {
      this.#again = null;
      return this.write();
    });
    return this.#again;
  }

  /** Waits for writes under way; later writes are ignored (the partition is going away). */
  async close(): Promise<void> {
    await this.#again?.catch(() => undefined);
    await this.#running?.catch(() => undefined);
    this.#closed = true;
  }
}
