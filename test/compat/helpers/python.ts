/**
 * Runs a Python client driver (test/compat/py/*.py) with Debian's
 * /usr/bin/python3, where python3-confluent-kafka and python3-kafka live.
 * The request goes in a temp JSON file (records include a 1 MB value); the
 * result is the JSON the script prints. A non-zero exit (a missing module
 * exits 3) rejects with the script's stderr, so the test fails.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';
const PY_DIR = fileURLToPath(new URL('../py/', import.meta.url));

export function runPython<T>(script: string, request: Record<string, unknown>, timeoutMs = 45_000): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'krill-compat-py-'));
  const file = join(dir, 'request.json');
  writeFileSync(file, JSON.stringify(request));
  return new Promise<T>((resolve, reject) => {
    execFile(PYTHON, [join(PY_DIR, script), file], { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      rmSync(dir, { recursive: true, force: true });
      if (err) {
        reject(new Error(`${script} ${String(request.op)} failed (${err.code ?? err.signal ?? err.message}): ${stderr.trim().split('\n').slice(-8).join('\n')}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as T);
      } catch {
        reject(new Error(`${script} ${String(request.op)} printed no JSON: ${stdout.slice(0, 500)} ${stderr.slice(-500)}`));
      }
    });
  });
}

export interface PyRecord {
  key: string | null;
  value: string;
  headers: Array<[string, string]>;
  offset: number;
}
