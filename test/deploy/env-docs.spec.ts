/**
 * Every environment variable the service validates is documented with its default in the README's Configuration
 * table and listed in .env.example, and nothing is documented that the service does not read.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { workflowStoreEnvSchema } from '#workflow-store';
import { apiEnvSchema } from '../../apps/api/src/config/api.config.js';

const readme = readFileSync('README.md', 'utf8');
const from = readme.indexOf('## Configuration');
const configuration = readme.slice(from, readme.indexOf('\n## ', from + 1));
/** Table rows: `| \`NAME\`[, \`NAME\`] | default | bounds | meaning |`. */
const rows = [...configuration.matchAll(/^\| `([A-Z_]+)`(?:, `([A-Z_]+)`)? \| ([^|]+) \|/gm)];
const documented = rows.flatMap((row) => [row[1], row[2]].filter((name): name is string => name !== undefined));
const example = [...readFileSync('.env.example', 'utf8').matchAll(/^# ([A-Z_]+)=/gm)].map((m) => m[1] as string);
const validated = [...Object.keys(workflowStoreEnvSchema.shape), ...Object.keys(apiEnvSchema.shape)];

describe('environment variables', () => {
  it('are the same set in the schemas, the README table and .env.example', () => {
    expect([...new Set(documented)].sort()).toEqual([...new Set(validated)].sort());
    expect([...new Set(example)].sort()).toEqual([...new Set(validated)].sort());
    expect(documented).toHaveLength(new Set(documented).size);
  });

  it('each has a default (or – for none) in the README', () => {
    for (const row of rows) expect({ name: row[1], default: (row[3] as string).trim() }).toEqual({ name: row[1], default: expect.stringMatching(/\S/) });
  });
});
