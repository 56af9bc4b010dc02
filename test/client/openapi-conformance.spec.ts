/**
 * The client against the service's own OpenAPI document (GET /docs-json of the running API): every documented
 * operation (method + path template) has a client method in CLIENT_OPERATIONS, or is an operator route listed in
 * EXCLUDED_OPERATIONS with its reason; every entry of CLIENT_OPERATIONS is documented and is a method of
 * WorkflowClient; and every public method of WorkflowClient calls a documented operation or is a helper built on them.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CLIENT_OPERATIONS, EXCLUDED_OPERATIONS, WorkflowClient } from '../../libs/client/src/index.js';
import { memoryBackend, type Deployment } from './support/backends.js';

const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head', 'options', 'trace'];
/** Routes a client of the workflows need not call: operators', and the documentation's own. */
const OPERATOR_ROUTE = /^\/(admin\/|metrics$|docs|health\/)/;
/** Client methods built on the operations above, not operations themselves. */
const HELPERS = ['listPages', 'listAll', 'update', 'withLease'];

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
}

const key = (method: string, path: string): string => `${method.toUpperCase()} ${path}`;

describe('WorkflowClient covers the OpenAPI document', () => {
  let deployment: Deployment | undefined;
  let documented: Set<string>;

  beforeAll(async () => {
    deployment = await memoryBackend.start();
    const response = await fetch(`${deployment.apis[0]!.url}/docs-json`, { signal: AbortSignal.timeout(10_000) });
    expect(response.status).toBe(200);
    const document = (await response.json()) as OpenApiDocument;
    expect(document.openapi).toMatch(/^3\./);
    documented = new Set(
      Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).filter((m) => METHODS.includes(m)).map((m) => key(m, path))),
    );
  }, 30_000);
  afterAll(async () => {
    await deployment?.stop();
  });

  it('has a client method for every documented operation, except the listed operator routes', () => {
    const covered = new Set(CLIENT_OPERATIONS.map(([method, path]) => key(method, path)));
    const excluded = new Set(EXCLUDED_OPERATIONS.map(([method, path]) => key(method, path)));
    const missing = [...documented].filter((op) => !covered.has(op) && !excluded.has(op));
    expect(missing).toEqual([]);
    expect(documented.size).toBeGreaterThanOrEqual(CLIENT_OPERATIONS.length);
  });

  it('calls only documented operations, each through a method of WorkflowClient', () => {
    const undocumented = CLIENT_OPERATIONS.filter(([method, path]) => !documented.has(key(method, path)));
    expect(undocumented).toEqual([]);
    const prototype = WorkflowClient.prototype as unknown as Record<string, unknown>;
    expect(CLIENT_OPERATIONS.filter(([, , name]) => typeof prototype[name] !== 'function')).toEqual([]);
  });

  it('lists every public method of WorkflowClient as an operation or a helper', () => {
    const publicMethods = Object.getOwnPropertyNames(WorkflowClient.prototype).filter((name) => name !== 'constructor');
    const named = new Set<string>([...CLIENT_OPERATIONS.map(([, , name]) => name), ...HELPERS]);
    expect(publicMethods.filter((name) => !named.has(name))).toEqual([]);
  });

  it('excludes operator routes only, each with a reason', () => {
    expect(EXCLUDED_OPERATIONS.filter(([, path, reason]) => !OPERATOR_ROUTE.test(path) || reason.length === 0)).toEqual([]);
    const covered = new Set(CLIENT_OPERATIONS.map(([method, path]) => key(method, path)));
    expect(EXCLUDED_OPERATIONS.filter(([method, path]) => covered.has(key(method, path)))).toEqual([]);
  });
});
