import { Readable } from 'node:stream';
import type { Workflow } from '../workflow.types.js';
import { endLine, headerLine, parseBodyLine, parseHeader, recordLine } from './ndjson-format.js';
import { openWorkflowFile, type FileEntry } from './workflow-file-reader.js';

function version(v: number, overrides: Partial<Workflow> = {}): Workflow {
  return {
    id: 'wf-1',
    type: 'form',
    status: v % 2 === 0 ? 'review' : 'draft',
    state: { step: v },
    version: v,
    createdAt: '2026-11-23T10:00:00.000Z',
    updatedAt: `2026-11-23T10:0${v}:00.000Z`,
    expiresAt: '2099-11-23T10:00:00.000Z',
    ttlSeconds: 3600,
    ...overrides,
  };
}

async function entriesOf(lines: string[]): Promise<FileEntry[]> {
  const file = await openWorkflowFile(Readable.from([`${lines.join('\n')}\n`], { objectMode: false }), 'test');
  const entries: FileEntry[] = [];
  for await (const entry of file.entries) entries.push(entry);
  return entries;
}

describe('format version 2: lines with history', () => {
  it('writes version 1 without history (readable by older builds) and version 2 with it', () => {
    expect(JSON.parse(headerLine('export', 3))).toEqual({ format: 'workflow-store', version: 1, kind: 'export', count: 3, createdAt: expect.any(String) });
    expect(JSON.parse(headerLine('export', 3, { history: true }))).toMatchObject({ version: 2, history: true });
    expect(parseHeader(headerLine('export', 3, { history: true }))).toMatchObject({ version: 2, history: true });
    expect(() => parseHeader(JSON.stringify({ format: 'workflow-store', version: 3, kind: 'export', count: 0 }))).toThrow(
      'line 1: format version 3 is not supported (this build reads versions 1-2)',
    );
  });

  it('round-trips a line with tenant and history, oldest first; a line without history has none', async () => {
    const history = [version(1), version(2)];
    const entries = await entriesOf([
      headerLine('export', 2, { history: true }),
      recordLine(version(3), 'acme', history),
      recordLine(version(1, { id: 'wf-2' }), undefined, []),
      endLine(2),
    ]);
    expect(entries).toEqual([
      { kind: 'record', line: 2, workflow: version(3), tenant: 'acme', history },
      { kind: 'record', line: 3, workflow: version(1, { id: 'wf-2' }), history: [] },
    ]);
    expect(JSON.parse(recordLine(version(3), 'acme', history))).toEqual({ tenant: 'acme', ...version(3), history });
  });

  it('refuses history on a version 1 line, as version 1 always did', async () => {
    const [entry] = await entriesOf([headerLine('export', 1), recordLine(version(2), undefined, [version(1)]), endLine(1)]);
    expect(entry).toEqual({ kind: 'invalid', line: 2, reason: expect.stringMatching(/^line 2: not a workflow record \(: .*history/) });
  });

  it.each([
    ['another id', [version(1, { id: 'wf-9' })], 'line 7: history[0] is not an earlier version of wf-1: it is a version of wf-9'],
    ['the same version', [version(1), version(5)], "line 7: history[1] is not an earlier version of wf-1: its version 5 is not below the line's version 5"],
    ['a later version', [version(6)], "line 7: history[0] is not an earlier version of wf-1: its version 6 is not below the line's version 5"],
    [
      'another life of the id',
      [version(2, { createdAt: '2026-11-22T10:00:00.000Z' })],
      'line 7: history[0] is not an earlier version of wf-1: it was created at 2026-11-22T10:00:00.000Z, the workflow at 2026-11-23T10:00:00.000Z (another workflow under the same id)',
    ],
    ['a repeated version', [version(2), version(2)], 'line 7: history[1]: versions must be distinct and oldest first (version 2 follows 2)'],
    ['newest first', [version(3), version(2)], 'line 7: history[1]: versions must be distinct and oldest first (version 2 follows 3)'],
    ['not a record', [{ ...version(2), state: 'x' }], 'line 7: history[0] is not a workflow record (state: '],
    ['not an array', { 1: version(1) }, 'line 7: history must be an array of earlier versions of the workflow, oldest first'],
  ])('fails the line when a history entry is %s', (_case, history, message) => {
    const line = JSON.stringify({ ...version(5), history });
    expect(() => parseBodyLine(line, 7, { history: true })).toThrow(message);
  });
});
