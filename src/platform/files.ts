/**
 * Small-file I/O for state that must survive a crash exactly (the Raft
 * quorum-state file, snapshot checkpoints): write to a temp file, fsync it,
 * rename it over the target, fsync the directory. A crash at any point
 * leaves either the old file or the new one, never a torn mix.
 */
import { open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && (err as { code: unknown }).code === code;
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch (err) {
    // Some filesystems refuse fsync on directories; the rename is as durable as they allow.
    if (!isErrno(err, 'EINVAL') && !isErrno(err, 'EISDIR')) throw err;
  } finally {
    await fh.close();
  }
}

/** Atomically replaces dir/name with data (temp file + fsync + rename + fsync dir). */
export async function writeFileAtomic(dir: string, name: string, data: Uint8Array, tmpSuffix = '.tmp'): Promise<void> {
  const tmp = join(dir, name + tmpSuffix);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, name));
  await fsyncDir(dir);
}

/** The file's bytes, or null when it does not exist. */
export async function readFileIfExists(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
}

/** File names in dir (empty when the directory does not exist). */
export async function listFiles(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
}

export async function removeFile(path: string): Promise<void> {
  await rm(path, { force: true });
}

export async function removeDir(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}
