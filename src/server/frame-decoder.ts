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
  /** Received chunks not yet consumed; the first starts at `head`. */
  private chunks: Buffer[] = [];
  private head = 0;
  private buffered = 0;
  private need = -1; // payload size of the frame being read, -1 before its prefix

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes received but not yet returned as frames. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /**
   * Feeds bytes; returns the complete frames (payload only). A frame that
   * lies inside one received chunk is a view of it (no copy); only a frame
   * split across chunks is copied, once. Throws on a bad size.
   */
  push(data: Buffer): Buffer[] {
    if (data.length === 0) return [];
    this.chunks.push(data);
    this.buffered += data.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.need < 0) {
        if (this.buffered < 4) break;
        const size = this.readSize();
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

  /** Consumes the 4-byte size prefix (buffered >= 4). */
  private readSize(): number {
    const first = this.chunks[0];
    if (first.length - this.head >= 4) {
      const size = first.readInt32BE(this.head);
      this.advance(4);
      return size;
    }
    return this.take(4).readInt32BE(0);
  }

  /** Drops n bytes that lie inside the first chunk. */
  private advance(n: number): void {
    this.head += n;
    this.buffered -= n;
    if (this.head === this.chunks[0].length) {
      this.chunks.shift();
      this.head = 0;
    }
  }

  /** Removes and returns the first n buffered bytes (n <= buffered). */
  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (first.length - this.head >= n) {
      const out = first.subarray(this.head, this.head + n);
      this.advance(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0];
      const k = Math.min(c.length - this.head, n - filled);
      c.copy(out, filled, this.head, this.head + k);
      filled += k;
      this.advance(k);
    }
    return out;
  }
}
