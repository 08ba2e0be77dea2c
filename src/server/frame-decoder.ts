/**
 * Splits a byte stream into Kafka frames (int32 size + payload) without
 * copying more than once. The size limit is checked when the 4-byte prefix
 * arrives, before any of the frame is buffered.
 */
export class FrameTooLargeError extends Error {
  readonly code = 'KRILL_FRAME_TOO_LARGE';
  constructor(readonly size: number, readonly limit: number) {
    super(`request size ${size} is larger than socket.request.max.bytes (${limit})`);
  }
}

export class InvalidFrameSizeError extends Error {
  readonly code = 'KRILL_INVALID_FRAME_SIZE';
  constructor(readonly size: number) {
    super(`invalid request size ${size}`);
  }
}

/** The smallest request: api key, version, correlation id. */
const MIN_FRAME = 8;

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private need = -1; // payload size of the frame being read, -1 before its prefix

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes received but not yet returned as frames. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Feeds bytes; returns the complete frames (payload only). Throws on a bad size. */
  push(data: Buffer): Buffer[] {
    this.chunks.push(data);
    this.buffered += data.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.need < 0) {
        if (this.buffered < 4) break;
        const size = this.take(4).readInt32BE(0);
        if (size < MIN_FRAME) throw new InvalidFrameSizeError(size);
        if (size > this.maxFrameBytes) throw new FrameTooLargeError(size, this.maxFrameBytes);
        this.need = size;
      }
      if (this.buffered < this.need) break;
      frames.push(this.take(this.need));
      this.need = -1;
    }
    return frames;
  }

  /** Removes and returns the first n buffered bytes (n <= buffered). */
  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0];
      const k = Math.min(c.length, n - filled);
      c.copy(out, filled, 0, k);
      filled += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.buffered -= n;
    return out;
  }
}
