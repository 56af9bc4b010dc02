import type { JsonObject, Workflow } from './workflow.types.js';

/** A workflow without its state. */
export type WorkflowMeta = Omit<Workflow, 'state'>;

/**
 * A workflow whose state is the JSON text as the backend holds it, not parsed: for callers that only pass the
 * state on (an HTTP response), so a 32 KB state is neither parsed nor re-encoded on the way out.
 */
export interface StoredWorkflowJson {
  workflow: WorkflowMeta;
  stateJson: string;
}

/** Like `StoredWorkflowJson`, with the state as the UTF-8 bytes the backend holds (not decoded to a string). */
export interface StoredWorkflowBytes {
  workflow: WorkflowMeta;
  stateBytes: Buffer;
}

/** The workflow with its state, members in the usual order (so its JSON reads the same as every other). */
export function withState(meta: WorkflowMeta, state: JsonObject): Workflow {
  return {
    id: meta.id,
    type: meta.type,
    status: meta.status,
    state,
    version: meta.version,
    createdAt: meta.createdAt,
    updatedAt: meta.updatedAt,
    expiresAt: meta.expiresAt,
    ttlSeconds: meta.ttlSeconds,
  };
}

/**
 * The JSON text of a workflow, byte for byte what `JSON.stringify(workflow)` gives for the parsed record (same
 * members, same order), with the stored state text inserted as it is.
 */
export function workflowJsonText({ workflow, stateJson }: StoredWorkflowJson): string {
  const [head, tail] = aroundState(workflow);
  return `${head}${stateJson}${tail}`;
}

/**
 * `workflowJsonText` as UTF-8 bytes, with the stored state bytes copied in as they are: a response written from
 * it skips decoding the state to a string and encoding it back (at 32 KB most of a read's CPU time).
 */
export function workflowJsonBytes({ workflow, stateBytes }: StoredWorkflowBytes): Buffer {
  const [head, tail] = aroundState(workflow);
  return Buffer.concat([Buffer.from(head), stateBytes, Buffer.from(tail)]);
}

/** Strings JSON writes as they are, between quotes (ids, labels and ISO times always are). */
const NO_ESCAPE = /^[A-Za-z0-9_.:+-]*$/;
const quoted = (text: string): string => (NO_ESCAPE.test(text) ? `"${text}"` : JSON.stringify(text));

/**
 * The workflow's JSON before and after the state's value, members in `withState`'s order: what JSON.stringify gives
 * for the record as the backends return it, built without two stringify calls and an object spread per read.
 */
function aroundState(workflow: WorkflowMeta): [string, string] {
  const { id, type, status, version, createdAt, updatedAt, expiresAt, ttlSeconds } = workflow;
  return [
    `{"id":${quoted(id)},"type":${quoted(type)},"status":${quoted(status)},"state":`,
    `,"version":${JSON.stringify(version)},"createdAt":${quoted(createdAt)},"updatedAt":${quoted(updatedAt)},"expiresAt":${quoted(expiresAt)},"ttlSeconds":${JSON.stringify(ttlSeconds)}}`,
  ];
}
