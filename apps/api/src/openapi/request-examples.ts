/**
 * One valid request body per operation that takes one, with its real media type; the OpenAPI test sends each of
 * them and expects success, so "Try it out" in /docs works as shown. Ids match the examples of the path parameters.
 */
export const REQUEST_EXAMPLES: Record<string, { mediaType: string; value: unknown }> = {
  'post /workflows': {
    mediaType: 'application/json',
    value: { id: 'invoice-42', type: 'invoice', status: 'uploaded', state: { file: 'invoice-42.pdf', pages: 3 }, ttlSeconds: 3600 },
  },
  'put /workflows/{id}': { mediaType: 'application/json', value: { type: 'invoice', status: 'extracted', state: { file: 'invoice-42.pdf', total: 1250 } } },
  'patch /workflows/{id}': { mediaType: 'application/merge-patch+json', value: { status: 'review', state: { reviewer: 'ana', pages: null } } },
  'post /workflows/{id}/touch': { mediaType: 'application/json', value: { ttlSeconds: 3600 } },
  'post /workflows/{id}/lease': { mediaType: 'application/json', value: { owner: 'worker-1', ttlMs: 30000 } },
  'put /workflows/{id}/lease': { mediaType: 'application/json', value: { ttlMs: 30000 } },
};
