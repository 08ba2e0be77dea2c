/**
 * Runs every Raft scenario script in test/scenarios/raft/. A failing
 * expectation reports the script file, line number and line.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { runScript } from './harness/script.js';

const dir = join(import.meta.dirname, '..', '..', 'scenarios', 'raft');
const files = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();

describe('raft scenarios', () => {
  for (const file of files) {
    it(file, () => {
      runScript(`test/scenarios/raft/${file}`, readFileSync(join(dir, file), 'utf8'));
    });
  }
});
