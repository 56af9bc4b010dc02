import type { WorkflowHistory, WorkflowVersionSummary } from '../workflow.types.js';
import type { WorkflowMeta } from '../workflow-json.js';
import type { KeptVersions } from './storage-backend.js';

function summaryOf(meta: WorkflowMeta): WorkflowVersionSummary {
  return { version: meta.version, type: meta.type, status: meta.status, updatedAt: meta.updatedAt };
}

/** The history a backend read, as the contract answers it: newest first, the current version included. */
export function historyOf(id: string, kept: KeptVersions): WorkflowHistory {
  return {
    id,
    currentVersion: kept.current.version,
    oldestVersion: kept.oldestVersion,
    versions: [summaryOf(kept.current), ...kept.kept.map(summaryOf)],
  };
}
