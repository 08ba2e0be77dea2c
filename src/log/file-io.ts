/**
 * Positional file I/O helpers over fs/promises FileHandle, and the naming of
 * segment files. No mmap; every read and write names its position.
 */
import { writevSync } from 'node:fs';
import { constants, type FileHandle, open, rename, stat, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export type SegmentFileKind = 'log' | 'index' | 'timeindex';

/** Kafka's file name stem: the base offset zero-padded to 20 digits. */
export function segmentStem(baseOffset: number): string {
  return String(baseOffset).padStart(20, '0');
}

export function segmentPath(dir: string, baseOffset: number, kind: SegmentFileKind): string {
  return join(dir, `${segmentStem(baseOffset)}.${kind}`);
}

/** Parses `<20 digits>.<kind>`; null for any other name. */
export function parseSegmentFileName(name: string): { baseOffset: number; kind: SegmentFileKind } | null {
  const m = /^(\d{20})\.(log|index|timeindex)$/.exec(name);
  if (m === null) return null;
  const baseOffset = Number(m[1]);
  if (!Number.isSafeInteger(baseOffset)) return null;
  return { baseOffset, kind: m[2] as SegmentFileKind };
}

/** Opens read-write, creating the file; truncates it when `truncate`. */
export function openReadWrite(path: string, truncate = false): Promise<FileHandle> {
  const flags = constants.O_RDWR | constants.O_CREAT | (truncate ? constants.O_TRUNC : 0);
  return open(path, flags, 0o644);
}

/** Reads up to `length` bytes at `position`; the result is shorter only at end of file. */
export async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

/** Writes all of buf at position (looping over short writes). */
export async function writeAt(fh: FileHandle, buf: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done, position + done);
    done += bytesWritten;
  }
}

/** Largest number of buffers passed to one writev (POSIX IOV_MAX is at least 1024 on Linux). */
const MAX_IOVECS = 1024;

/** Writes the buffers back to back starting at position, with as few writev calls as possible. */
export async function writevAt(fh: FileHandle, bufs: readonly Buffer[], position: number): Promise<void> {
  if (bufs.length === 1) return writeAt(fh, bufs[0] as Buffer, position);
  let pending = bufs.filter((b) => b.length > 0);
  let pos = position;
  while (pending.length > 0) {
    const chunk = pending.slice(0, MAX_IOVECS);
    const { bytesWritten } = await fh.writev(chunk, pos);
    pos += bytesWritten;
    // Drop what was written, splitting a partially written buffer.
    let left = bytesWritten;
    let i = 0;
    while (i < pending.length && left >= (pending[i] as Buffer).length) left -= (pending[i++] as Buffer).length;
    pending = pending.slice(i);
    if (left > 0 && pending.length > 0) pending[0] = (pending[0] as Buffer).subarray(left);
  }
}

/**
 * Writes the buffers back to back at position with synchronous writev calls:
 * a write into the page cache is a memory copy, cheaper on the calling
 * thread than a hop through the libuv thread pool. (fsync stays asynchronous.)
 */
export function writevSyncAt(fd: number, bufs: readonly Buffer[], position: number): void {
  let pending = bufs.filter((b) => b.length > 0);
  let pos = position;
  while (pending.length > 0) {
    const chunk = pending.slice(0, MAX_IOVECS);
    const written = writevSync(fd, chunk, pos);
    pos += written;
    let left = written;
    let i = 0;
    while (i < pending.length && left >= (pending[i] as Buffer).length) left -= (pending[i++] as Buffer).length;
    pending = pending.slice(i);
    if (left > 0 && pending.length > 0) pending[0] = (pending[0] as Buffer).subarray(left);
  }
}

/** Cuts the file at path to length; false when it does not exist. */
export async function truncateIfExists(path: string, length: number): Promise<boolean> {
  try {
    await truncate(path, length);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
}

/** Replaces the file's contents with data and fdatasyncs it (not atomic: index files are rebuilt when torn). */
export async function writeFileSynced(path: string, data: Buffer): Promise<void> {
  const fh = await openReadWrite(path, true);
  try {
    await writeAt(fh, data, 0);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

/** Reads a whole small file, or null when it does not exist. */
export async function readSmallFile(path: string): Promise<Buffer | null> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
  try {
    const { size } = await fh.stat();
    return await readAt(fh, 0, size);
  } finally {
    await fh.close();
  }
}

/** Makes directory entry changes (create, rename, unlink) durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Replaces `path` atomically: write a temp file, fsync it, rename, fsync the directory. */
export async function writeFileAtomic(dir: string, name: string, data: Buffer): Promise<void> {
  const tmp = join(dir, `${name}.tmp`);
  const fh = await openReadWrite(tmp, true);
  try {
    await writeAt(fh, data, 0);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, name));
  await fsyncDir(dir);
}

export async function unlinkIfExists(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
}

/** Renames from -> to; false when `from` does not exist. */
export async function renameIfExists(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
}

/** The error a read of a file that went away raises (readers retry on ENOENT). */
export function goneError(path: string): Error {
  return Object.assign(new Error(`${path} is gone`), { code: 'ENOENT' });
}

export function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
}

/** Size of a file (0 when it does not exist). */
export async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return 0;
    throw err;
  }
}
