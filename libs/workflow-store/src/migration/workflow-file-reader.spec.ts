import { Readable } from 'node:stream';
import type { Workflow } from '../workflow.types.js';
import { endLine, headerLine, recordLine } from './ndjson-format.js';
import { openWorkflowFile } from './workflow-file-reader.js';

const workflow: Workflow = {
  id: 'wf-unicode',
  type: 'form',
  status: 'draft',
  state: { unicode: 'é漢🙂' },
  version: 1,
  createdAt: '2026-11-23T10:00:00.000Z',
  updatedAt: '2026-11-23T10:00:00.000Z',
  expiresAt: '2099-11-23T10:00:00.000Z',
  ttlSeconds: 3600,
};

describe('openWorkflowFile', () => {
  it('decodes a multi-byte character split between two chunks of the stream', async () => {
    const bytes = Buffer.from([headerLine('export', 1), recordLine(workflow), endLine(1), ''].join('\n'));
    const split = bytes.indexOf(Buffer.from('漢')) + 1; // inside the 3-byte character
    const file = await openWorkflowFile(Readable.from([bytes.subarray(0, split), bytes.subarray(split)], { objectMode: false }), 'test');

    const entries = [];
    for await (const entry of file.entries) entries.push(entry);

    expect(entries).toEqual([{ kind: 'record', line: 2, workflow }]);
  });
});
