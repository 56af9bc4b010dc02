import type { KeptVersions, VersionRead } from '../shared/storage-backend.js';
import { storedWorkflowFromRecord } from './redis-codec.js';

/** The `{ current record, oldest kept version, headers... }` reply of history-2.lua when no version was asked. */
export function keptVersionsOf(id: string, reply: unknown[]): KeptVersions | null {
  if (reply.length === 0) return null;
  const current = storedWorkflowFromRecord(id, String(reply[0]));
  if (!current) return null;
  const kept = reply.slice(2).map((header) => (storedWorkflowFromRecord(id, `${String(header)}\n`) as NonNullable<typeof current>).workflow);
  return { current: current.workflow, oldestVersion: Number(reply[1]), kept };
}

/** The `{ current record, oldest kept version, record or false }` reply of history-2.lua for one version. */
export function versionReadOf(id: string, reply: unknown[]): VersionRead | null {
  if (reply.length === 0) return null;
  const current = storedWorkflowFromRecord(id, String(reply[0]));
  if (!current) return null;
  const found = typeof reply[2] === 'string' ? storedWorkflowFromRecord(id, reply[2]) : null;
  return { currentVersion: current.workflow.version, oldestVersion: Number(reply[1]), found };
}
