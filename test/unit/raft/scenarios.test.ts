/**
 * Runs every Raft scenario script in test/scenarios/raft/. A failing
 * expectation reports the script file, line number and line.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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

describe('scenario runner', () => {
  it('reports the failing line with the actual value', () => {
    const script = 'add-nodes 3\ncampaign 1\nstabilize\n# comment\nleader 2 term 1\n';
    expect(() => runScript('inline.txt', script)).toThrow(/inline\.txt:5: leader 2 term 1\n.*node 2: expected role\/term leader\/1, got follower\/1/);
  });

  it('rejects unknown commands and vacuous checks', () => {
    expect(() => runScript('inline.txt', 'frobnicate 3')).toThrow(/inline\.txt:1: frobnicate 3\n\s+unknown command/);
    expect(() => runScript('inline.txt', 'commit all 0')).toThrow(/no nodes/);
  });
});
