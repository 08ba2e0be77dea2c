/**
 * Response write coalescing: the chunks of the responses written in one
 * event-loop turn become as few buffers as possible, so the socket sees one
 * write (one writev at most) instead of one per response. Runs of small
 * chunks (response headers, small bodies) are copied into one buffer; large
 * chunks (record batches referenced by a fetch response) stay as they are,
 * uncopied.
 */

/** Chunks at least this large are passed through rather than copied. */
export const COPY_MAX = 16 * 1024;

export function coalesce(chunks: readonly Buffer[]): Buffer[] {
  if (chunks.length <= 1) return chunks.slice();
  const out: Buffer[] = [];
  let runStart = 0;
  let runBytes = 0;
  const endRun = (end: number): void => {
    if (end - runStart === 1) out.push(chunks[runStart]);
    else if (end > runStart) out.push(Buffer.concat(chunks.slice(runStart, end), runBytes));
  };
  for (let i = 0; i < chunks.length; i++) {
    const c = chunks[i];
    if (c.length < COPY_MAX) {
      runBytes += c.length;
      continue;
    }
    endRun(i);
    out.push(c);
    runStart = i + 1;
    runBytes = 0;
  }
  endRun(chunks.length);
  return out;
}
