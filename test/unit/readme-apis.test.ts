/** The README's API table lists exactly what ApiVersions advertises. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { supportedApiVersions } from '../../src/api/index.js';

describe('README supported APIs table', () => {
  it('matches the registry', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.split('## Supported APIs')[1].split('\n## ')[0];
    const rows = [...section.matchAll(/^\| (\d+) \| \w+ \| (\d+)-(\d+)/gm)].map((m) => ({
      apiKey: Number(m[1]),
      minVersion: Number(m[2]),
      maxVersion: Number(m[3]),
    }));
    expect(rows).toEqual(supportedApiVersions());
  });
});
