/**
 * Runs a Python client driver (test/compat/py/*.py) with Debian's
 * /usr/bin/python3, where python3-confluent-kafka and python3-kafka live.
 * The request goes in a temp JSON file (records include a 1 MB value); the
 * result is the JSON the script prints. A non-zero exit (a missing module
 * exits 3) rejects with the script's stderr, so the test fails.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
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

/** Whether /usr/bin/python3 can import the module. */
export function hasPythonModule(module: string): boolean {
  return spawnSync(PYTHON, ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Runs an inline Python script with BOOTSTRAP set to the broker's address;
 * resolves with its last stdout line parsed as JSON. A non-zero exit rejects
 * with the end of its stderr.
 */
export function runPythonScript<T>(script: string, bootstrap: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-c', script], { env: { ...process.env, BOOTSTRAP: bootstrap }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) reject(new Error(`python exited with ${code}: ${err.slice(-3000)}`));
      else resolve(JSON.parse(last) as T);
    });
  });
}

export interface PyRecord {
  key: string | null;
  value: string;
  headers: Array<[string, string]>;
  offset: number;
}
