import type { Role } from './api-key-entry.js';

/** Operational routes answer without a key: probes, scrapers and the API description. */
export function isPublicPath(url: string): boolean {
  const path = url.split('?', 1)[0] ?? url;
  return path.startsWith('/health/') || path === '/metrics' || path === '/docs' || path.startsWith('/docs/') || path === '/docs-json';
}

/** The web board: it authenticates with its own session cookie (apps/api/src/board), not a bearer key. */
export function isBoardPath(url: string): boolean {
  return url === '/board' || url.startsWith('/board/') || url.startsWith('/board?');
}

/** Reads need `read`, writes `write`, /admin needs `admin`. */
export function roleNeeded(method: string, url: string): Role {
  if (url === '/admin' || url.startsWith('/admin/') || url.startsWith('/admin?')) return 'admin';
  return method === 'GET' || method === 'HEAD' ? 'read' : 'write';
}
