import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One file the board serves under /board/assets/. */
export interface BoardAsset {
  body: Buffer;
  contentType: string;
  etag: string;
}

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

/**
 * The board's scripts (compiled from apps/api/board-client by `npm run build` into dist/board-client) and its
 * stylesheet, read once at start: a few tens of KB, served from memory with an ETag. Nothing comes from anywhere
 * else (no CDN), which is what lets the pages' Content-Security-Policy allow only 'self'.
 */
export function loadBoardAssets(): { assets: Map<string, BoardAsset>; missing: string[] } {
  const root = packageRoot();
  const assets = new Map<string, BoardAsset>();
  const scripts = join(root, 'dist/board-client');
  if (existsSync(scripts)) {
    for (const name of readdirSync(scripts)) if (name.endsWith('.js')) assets.set(name, asset(join(scripts, name), '.js'));
  }
  const css = join(root, 'apps/api/board-client/board.css');
  if (existsSync(css)) assets.set('board.css', asset(css, '.css'));
  const missing = ['list-page.js', 'workflow-page.js', 'board.css'].filter((name) => !assets.has(name));
  return { assets, missing };
}

function asset(path: string, extension: string): BoardAsset {
  const body = readFileSync(path);
  return { body, contentType: TYPES[extension] ?? 'application/octet-stream', etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` };
}

/** The directory with package.json above this file (dist/apps/api/src/board when built, apps/api/src/board in tests). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('board assets: no package.json above the board module');
    dir = parent;
  }
  return dir;
}
