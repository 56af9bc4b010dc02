import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { CliError } from '../cli-error.js';

/** Time allowed for an export URL to answer with its headers; the body then streams for as long as it takes. */
const URL_HEADERS_TIMEOUT_MS = 10_000;

export interface Input {
  stream: Readable;
  /** How messages name it: the file path, `stdin`, or the URL. */
  name: string;
}

/**
 * Opens what `--in` / `--from` names: `-` for stdin, an `http(s)://` base URL of a running memory-backed API
 * (its `/admin/export` is streamed), or a file. Fails here, with the real cause, rather than mid-way.
 */
export async function openInput(source: string): Promise<Input> {
  if (source === '-') return { stream: process.stdin, name: 'stdin' };
  if (/^https?:\/\//i.test(source)) return openUrl(source);
  try {
    const handle = await open(source, 'r');
    return { stream: handle.createReadStream(), name: source };
  } catch (error) {
    throw new CliError(`cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

async function openUrl(source: string): Promise<Input> {
  const url = exportUrlOf(source);
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error(`no answer within ${URL_HEADERS_TIMEOUT_MS} ms`)), URL_HEADERS_TIMEOUT_MS);
  let response: Response;
  try {
    // An API with keys needs an admin key; from the environment, so it never shows in the process list.
    const key = process.env.WORKFLOW_API_KEY;
    const headers = { accept: 'application/x-ndjson', ...(key ? { authorization: `Bearer ${key}` } : {}) };
    response = await fetch(url, { signal: abort.signal, headers });
  } catch (error) {
    const cause = (error as Error & { cause?: Error & { code?: string } }).cause;
    throw new CliError(`cannot reach ${url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
  if (!response.ok || !response.body) {
    throw new CliError(`GET ${url} answered ${response.status}: ${await problemDetail(response)}`);
  }
  return { stream: Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>), name: url };
}

/** `http://host:3000` → `http://host:3000/admin/export`; a URL that already names the route is kept. */
function exportUrlOf(source: string): string {
  const url = new URL(source);
  if (!url.pathname.endsWith('/admin/export')) url.pathname = `${url.pathname.replace(/\/+$/, '')}/admin/export`;
  return url.toString();
}

async function problemDetail(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { detail?: unknown; title?: unknown };
    return String(body.detail ?? body.title ?? text);
  } catch {
    return text.slice(0, 200) || response.statusText;
  }
}
