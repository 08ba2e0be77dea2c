/**
 * kcat as the matrix drives it: one record per input line
 * (`key<TAB>value`; a line without the tab has a null key), headers per run,
 * JSON envelope output (-J). A missing kcat binary rejects (ENOENT), so the
 * test fails instead of skipping.
 */
import { execFile } from 'node:child_process';
import type { Codec, MatrixRecord } from './matrix.js';

export const KCAT_HEADERS: Array<[string, string]> = [['h-a', '1'], ['h-b', 'two']];
export const KCAT_BIG = '3000000';

export function kcat(args: string[], input?: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile('kcat', args, { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kcat ${args.join(' ')} failed (${err.code ?? err.signal ?? err.message}): ${stderr.slice(-2000)}`));
      else resolve({ stdout, stderr });
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}

/** Produces records to partition 0 of topic; `extra` adds -X settings (enable.idempotence=true ...). */
export async function kcatProduce(bootstrap: string, topic: string, records: readonly MatrixRecord[], codec: Codec, extra: string[] = []): Promise<void> {
  const lines = records.map((r) => (r.key === null ? r.value : `${r.key}\t${r.value}`)).join('\n') + '\n';
  const args = ['-P', '-b', bootstrap, '-t', topic, '-p', '0', '-K', '\\t', '-X', `message.max.bytes=${KCAT_BIG}`, '-X', 'linger.ms=20'];
  if (codec !== 'none') args.push('-z', codec);
  for (const [k, v] of KCAT_HEADERS) args.push('-H', `${k}=${v}`);
  for (const x of extra) args.push('-X', x);
  await kcat(args, lines);
}

interface KcatMessage {
  offset: number;
  key: string | null;
  payload: string | null;
  headers?: string[];
}

/** The -J lines of kcat's output as records with their offsets. */
export function parseKcatJson(stdout: string): Array<MatrixRecord & { offset: number }> {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      const m = JSON.parse(l) as KcatMessage;
      const hs = m.headers ?? [];
      const headers: Array<[string, string]> = [];
      for (let i = 0; i + 1 < hs.length; i += 2) headers.push([hs[i]!, hs[i + 1]!]);
      return { offset: m.offset, key: m.key, value: m.payload ?? '<null>', headers };
    });
}
