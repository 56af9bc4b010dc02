/**
 * Every operation of the service's OpenAPI document (method, path template) and the client method that calls it.
 * test/client/openapi-conformance.spec.ts fetches /docs-json from the running API and checks both directions: each
 * documented operation is here or in EXCLUDED_OPERATIONS, and each entry here is documented and is a method of
 * WorkflowClient. Adding a route to the API without a client method fails that test.
 */
export const CLIENT_OPERATIONS = [
  ['post', '/workflows', 'create'],
  ['get', '/workflows', 'list'],
  ['get', '/workflows/{id}', 'get'],
  ['put', '/workflows/{id}', 'put'],
  ['patch', '/workflows/{id}', 'patch'],
  ['delete', '/workflows/{id}', 'delete'],
  ['post', '/workflows/{id}/touch', 'touch'],
  ['get', '/workflows/{id}/versions', 'versions'],
  ['get', '/workflows/{id}/versions/{version}', 'version'],
  ['post', '/workflows/{id}/lease', 'acquireLease'],
  ['put', '/workflows/{id}/lease', 'renewLease'],
  ['delete', '/workflows/{id}/lease', 'releaseLease'],
  ['get', '/events', 'watch'],
  ['get', '/workflows/{id}/events', 'watch'],
  ['get', '/health/ready', 'health'],
  ['get', '/health/live', 'live'],
] as const satisfies readonly (readonly [string, string, string])[];

/**
 * Documented operations the client deliberately has no method for, with the reason (see the client's README).
 * Only operator routes belong here: `/admin/*`, `/metrics`, `/docs*`.
 */
export const EXCLUDED_OPERATIONS = [
  ['get', '/admin/export', 'operator route: an admin-key NDJSON dump of the tenant, consumed by `workflow-store migrate --from <url>`'],
  ['get', '/metrics', 'operator route: Prometheus text for a scraper'],
  ['get', '/docs', 'the OpenAPI UI'],
  ['get', '/docs-json', 'the OpenAPI document itself'],
] as const satisfies readonly (readonly [string, string, string])[];

export type ClientOperation = (typeof CLIENT_OPERATIONS)[number];
