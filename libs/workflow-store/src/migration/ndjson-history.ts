import { restoreRecordSchema } from '../shared/restore-record.schema.js';
import type { Workflow } from '../workflow.types.js';

/**
 * The `history` member of a line (format version 2): earlier versions of the line's workflow, oldest first, each a
 * whole record. Checked here, before anything is written, so a bad entry fails its line with a message naming the
 * entry, and a dry run reports it too.
 * @throws Error (without the line number; the caller adds it) on the first entry that is not an earlier version of
 * `workflow`: another id, a version not below the line's, another life of the id (another createdAt), or versions
 * not strictly ascending (a repeat would leave it open which one is kept).
 */
export function parseHistory(value: unknown, workflow: Workflow): Workflow[] {
  if (!Array.isArray(value)) throw new Error('history must be an array of earlier versions of the workflow, oldest first');
  const history: Workflow[] = [];
  for (const [index, item] of (value as unknown[]).entries()) {
    const parsed = restoreRecordSchema.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`history[${index}] is not a workflow record (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'})`);
    }
    const earlier = parsed.data as Workflow;
    const mismatch = mismatchOf(earlier, workflow);
    if (mismatch) throw new Error(`history[${index}] is not an earlier version of ${workflow.id}: ${mismatch}`);
    const previous = history.at(-1);
    if (previous && earlier.version <= previous.version) {
      throw new Error(`history[${index}]: versions must be distinct and oldest first (version ${earlier.version} follows ${previous.version})`);
    }
    history.push(earlier);
  }
  return history;
}

/** Why `earlier` cannot be a kept version of `workflow`, or undefined when it can. */
function mismatchOf(earlier: Workflow, workflow: Workflow): string | undefined {
  if (earlier.id !== workflow.id) return `it is a version of ${earlier.id}`;
  if (earlier.version >= workflow.version) return `its version ${earlier.version} is not below the line's version ${workflow.version}`;
  if (earlier.createdAt !== workflow.createdAt) {
    return `it was created at ${earlier.createdAt}, the workflow at ${workflow.createdAt} (another workflow under the same id)`;
  }
  return undefined;
}
