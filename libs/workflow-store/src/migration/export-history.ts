import { VersionNotKeptError } from '../errors/version-not-kept.error.js';
import type { WorkflowStore } from '../workflow-store.js';
import type { Workflow } from '../workflow.types.js';
import { inOrder } from './in-order.js';
import { recordLine } from './ndjson-format.js';

/**
 * Workflows whose history is read at once, and versions read at once per workflow: enough to hide round trips
 * (a workflow costs one history read plus one read per kept version), few enough to keep memory flat, since each
 * workflow's versions are held until its line is written.
 */
const WORKFLOWS_IN_FLIGHT = 8;
const VERSIONS_IN_FLIGHT = 8;

/** One line of an export with history, and how many earlier versions it carries. */
export interface HistoryLine {
  text: string;
  versions: number;
}

/**
 * The lines of one list page, each workflow with its kept earlier versions, in list order. A workflow deleted (or
 * expired) since the page was listed is left out, as the walk would have left it out had it come later.
 */
export async function* linesWithHistory(store: WorkflowStore, page: readonly Workflow[], tenant: string | undefined): AsyncGenerator<HistoryLine, void, undefined> {
  const withHistory = async (workflow: Workflow) => ({ workflow, history: await earlierVersions(store, workflow) });
  for await (const { workflow, history } of inOrder(page, WORKFLOWS_IN_FLIGHT, withHistory)) {
    if (history) yield { text: recordLine(workflow, tenant, history), versions: history.length };
  }
}

/**
 * The versions the store keeps of `workflow` before the listed one, oldest first; null when it no longer exists.
 * The listed version is the line's record even if the workflow was written since: its earlier versions are those
 * still kept. A version trimmed between the two reads is left out (a race, not an error). A workflow deleted since
 * it was listed is gone, and so is one whose id now holds another workflow (deleted and created again: a current
 * version below the listed one, or versions with another createdAt); like the core's own check, a workflow created
 * again in the same millisecond and written past the listed version cannot be told apart.
 */
export async function earlierVersions(store: WorkflowStore, workflow: Workflow): Promise<Workflow[] | null> {
  const kept = await store.history(workflow.id);
  if (!kept || kept.currentVersion < workflow.version) return null;
  const wanted = kept.versions
    .map((summary) => summary.version)
    .filter((version) => version < workflow.version)
    .sort((a, b) => a - b);
  const found: Workflow[] = [];
  for await (const version of inOrder(wanted, VERSIONS_IN_FLIGHT, (v) => keptVersion(store, workflow.id, v))) {
    if (version === null || (version !== undefined && version.createdAt !== workflow.createdAt)) return null;
    if (version !== undefined) found.push(version);
  }
  return found;
}

/** The version, `undefined` when it is no longer kept, `null` when the workflow is gone. */
async function keptVersion(store: WorkflowStore, id: string, version: number): Promise<Workflow | null | undefined> {
  try {
    return await store.getVersion(id, version);
  } catch (error) {
    if (error instanceof VersionNotKeptError) return undefined;
    throw error;
  }
}
