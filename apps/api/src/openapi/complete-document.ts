import type { OpenAPIObject } from '@nestjs/swagger';
import { PROBLEM_BASE_URI, PROBLEM_TYPES, type ProblemType } from '../problem/problem-types.js';
import { OPERATION_PROBLEMS, PUBLIC_OPERATIONS } from './operation-problems.js';
import { PROBLEM_SCHEMA } from './problem-responses.js';
import { REQUEST_EXAMPLES } from './request-examples.js';

/** The limits of this deployment the document states as bounds. */
export interface DocumentBounds {
  maxTtlSeconds: number;
  leaseMaxTtlMs: number;
}

type Json = Record<string, unknown>;
const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

const ENTITY_TAG = { type: 'string', examples: ['"3"', '"3", "4"', '*'] };
const IF_MATCH = {
  name: 'If-Match',
  in: 'header',
  required: false,
  description: 'Write only if the workflow is at one of these versions (strong entity tags, e.g. "3"), or exists at all (*): else 412',
  schema: ENTITY_TAG,
};
/** Touch and lease release: If-Match is honoured, never required. */
const IF_MATCH_OPTIONAL = {
  ...IF_MATCH,
  description:
    'Only if the workflow is at one of these versions (strong entity tags, e.g. "3"), or exists at all (*): else 412 and nothing ' +
    'changes. Optional, also with REQUIRE_IF_MATCH',
};
const IF_NONE_MATCH_READ = {
  name: 'If-None-Match',
  in: 'header',
  required: false,
  description: 'The ETag the caller holds: 304 without a body while the workflow is still at that version',
  schema: ENTITY_TAG,
};
const IF_NONE_MATCH_PUT = {
  name: 'If-None-Match',
  in: 'header',
  required: false,
  description: '*: create only (409 already-exists if it exists); a tag list: 412 if the workflow is at one of them',
  schema: ENTITY_TAG,
};
const NOT_MODIFIED = { description: 'Not modified: the workflow is still at the version of If-None-Match (no body)', headers: { ETag: { schema: { type: 'string' } } } };

/**
 * Completes the document @nestjs/swagger builds from the decorators into what the service really answers:
 * OpenAPI 3.1 schemas, every problem answer of every operation (operation-problems.ts) with one Problem schema,
 * the conditional-request headers, the bearer scheme, real media types, this deployment's bounds and examples.
 */
export function completeDocument(document: OpenAPIObject, bounds: DocumentBounds): OpenAPIObject {
  const completed = toOpenApi31(structuredClone(document) as unknown as Json) as unknown as OpenAPIObject & Json;
  completed.openapi = '3.1.0';
  completed.components = {
    ...completed.components,
    schemas: { ...completed.components?.schemas, Problem: problemSchema() },
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key configured in API_KEYS or API_KEYS_FILE, sent as Authorization: Bearer followed by the key' } },
  };
  completed.paths['/metrics'] = { get: metricsOperation() as unknown as OpenAPIObject['paths'][string]['get'] };
  const exported = ((completed.paths['/admin/export']?.get as Json | undefined)?.responses as Record<string, Json> | undefined)?.['200'];
  if (exported) exported.content = { 'application/x-ndjson': { schema: { type: 'string', description: 'A header line, one workflow per line, an end line' } } };
  for (const [path, item] of Object.entries(completed.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = (item as Json)[method] as Json | undefined;
      if (!operation) continue;
      const key = `${method} ${path}`;
      operation.security = PUBLIC_OPERATIONS.has(key) ? [] : [{ bearer: [] }];
      addProblems(operation, OPERATION_PROBLEMS[key] ?? []);
      addConditionalHeaders(key, operation);
      const example = REQUEST_EXAMPLES[key];
      if (example) setRequestBody(operation, example.mediaType, example.value);
      if (operation.requestBody) applyBounds(operation.requestBody, bounds);
    }
  }
  return completed;
}

/** `method path` of every operation in the document. */
export function operationsOf(document: OpenAPIObject): string[] {
  return Object.entries(document.paths).flatMap(([path, item]) => HTTP_METHODS.filter((m) => (item as Json)[m]).map((m) => `${m} ${path}`));
}

function problemSchema(): Json {
  const types = Object.keys(PROBLEM_TYPES).map((type) => `${PROBLEM_BASE_URI}${type}`);
  const properties = PROBLEM_SCHEMA.properties as Json;
  return { ...PROBLEM_SCHEMA, properties: { ...properties, type: { type: 'string', enum: types } } };
}

function addProblems(operation: Json, types: readonly ProblemType[]): void {
  const responses = (operation.responses ??= {}) as Record<string, Json>;
  const byStatus = new Map<number, string[]>();
  for (const type of new Set(types)) byStatus.set(PROBLEM_TYPES[type].status, [...(byStatus.get(PROBLEM_TYPES[type].status) ?? []), type]);
  for (const [status, list] of byStatus) {
    const answer = (responses[String(status)] ??= { description: list.map((t) => `${t}: ${PROBLEM_TYPES[t as ProblemType].title}`).join('; ') });
    answer.content = { ...(answer.content as Json | undefined), 'application/problem+json': { schema: { ...PROBLEM_REF, description: `Problem types: ${list.join(', ')}` } } };
  }
}

function addConditionalHeaders(key: string, operation: Json): void {
  const parameters = (operation.parameters ??= []) as Json[];
  const add = (parameter: Json): void => {
    if (!parameters.some((p) => p.name === parameter.name && p.in === parameter.in)) parameters.push(parameter);
  };
  if (key === 'get /workflows/{id}' || key === 'get /workflows/{id}/versions/{version}') {
    add(IF_NONE_MATCH_READ);
    (operation.responses as Json)['304'] = NOT_MODIFIED;
  }
  if (key === 'put /workflows/{id}') add(IF_NONE_MATCH_PUT);
  if (['put /workflows/{id}', 'patch /workflows/{id}', 'delete /workflows/{id}'].includes(key)) add(IF_MATCH);
  if (['post /workflows/{id}/touch', 'delete /workflows/{id}/lease'].includes(key)) add(IF_MATCH_OPTIONAL);
}

/** The body's real media type (PATCH: merge-patch, the one type it takes) with a valid example. */
function setRequestBody(operation: Json, mediaType: string, example: unknown): void {
  const body = (operation.requestBody ??= { required: false, content: {} }) as Json;
  const content = body.content as Record<string, Json>;
  const schema = Object.values(content)[0]?.schema ?? { type: 'object' };
  body.content = { [mediaType]: { schema, example } };
}

function metricsOperation(): Json {
  return {
    operationId: 'MetricsController_scrape',
    summary: 'Prometheus metrics (text exposition format); no API key',
    tags: ['metrics'],
    responses: { 200: { description: 'The metrics', content: { 'text/plain': { schema: { type: 'string' } } } } },
  };
}

/** The deployment's limits on request bodies, where the schemas derived from zod can only state the type's own. */
function applyBounds(requestBody: unknown, bounds: DocumentBounds): void {
  walk(requestBody, (node) => {
    const properties = node.properties as Record<string, Json> | undefined;
    if (properties?.ttlSeconds && properties.ttlSeconds.type === 'integer') {
      properties.ttlSeconds = { ...properties.ttlSeconds, maximum: bounds.maxTtlSeconds, description: `Seconds until it expires unless written or touched again: 1 to ${bounds.maxTtlSeconds} (WORKFLOW_MAX_TTL)` };
    }
    if (properties?.ttlMs && properties.ttlMs.type === 'integer') properties.ttlMs = { ...properties.ttlMs, maximum: bounds.leaseMaxTtlMs };
  });
}

/**
 * OpenAPI 3.0's `nullable` as 3.1's type lists (JSON Schema 2020-12); no `$schema` inside the document's schemas;
 * no bound that only restates JavaScript's safe-integer range (zod's `int()`).
 */
function toOpenApi31(document: Json): Json {
  walk(document, (node) => {
    if (typeof node.type === 'string' || Array.isArray(node.type)) {
      delete node.$schema;
      if (node.maximum === Number.MAX_SAFE_INTEGER) delete node.maximum;
      if (node.minimum === Number.MIN_SAFE_INTEGER) delete node.minimum;
    }
    if (node.nullable !== true) return;
    delete node.nullable;
    if (typeof node.type === 'string') node.type = [node.type, 'null'];
  });
  return document;
}

function walk(node: unknown, visit: (node: Json) => void): void {
  if (Array.isArray(node)) node.forEach((child) => walk(child, visit));
  else if (node && typeof node === 'object') {
    visit(node as Json);
    Object.values(node).forEach((child) => walk(child, visit));
  }
}
