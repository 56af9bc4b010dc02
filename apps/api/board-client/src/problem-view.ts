/**
 * Shows a refused action in the page's `#problem` box (role=alert, so it is announced) instead of alert(): the
 * problem+json the server sent, or one made up for a network failure or an answer that is not a problem.
 */
import { el, link } from './dom.js';

export interface Problem {
  type?: string;
  title: string;
  status?: number;
  detail?: string;
}

/** The problem in a refused answer: its problem+json body when there is one, else one built from the status. */
export async function problemFrom(response: Response): Promise<Problem> {
  const fallback: Problem = { title: response.statusText || 'The request was refused', status: response.status };
  if (!/\bjson\b/.test(response.headers.get('content-type') ?? '')) return fallback;
  try {
    const body: unknown = await response.json();
    if (typeof body !== 'object' || body === null) return fallback;
    const { type, title, status, detail } = body as Record<string, unknown>;
    return {
      title: typeof title === 'string' && title !== '' ? title : fallback.title,
      status: typeof status === 'number' ? status : response.status,
      ...(typeof type === 'string' ? { type } : {}),
      ...(typeof detail === 'string' ? { detail } : {}),
    };
  } catch {
    return fallback;
  }
}

/** A request that got no answer: whether the action took effect is unknown, so say so. */
export function networkProblem(error: unknown): Problem {
  const reason = error instanceof Error && error.message !== '' ? ` (${error.message})` : '';
  return {
    title: 'The server could not be reached',
    detail: `The request got no answer${reason}. It may or may not have been applied: reload the page to see the workflow as it is now.`,
  };
}

/** Fills `box` with the problem and shows it. */
export function showProblem(box: HTMLElement, problem: Problem): void {
  const heading = el('p', 'problem-heading');
  heading.append(el('strong', 'problem-title', problem.title));
  if (problem.status !== undefined) heading.append(' ', el('span', 'problem-status', `(HTTP ${problem.status})`));
  box.replaceChildren(heading);
  if (problem.detail !== undefined) box.append(el('p', 'problem-detail', problem.detail));
  const hint = hintFor(problem.status);
  if (hint !== null) box.append(hint);
  box.hidden = false;
}

export function hideProblem(box: HTMLElement): void {
  box.hidden = true;
  box.replaceChildren();
}

/** What the user can do next, for the refusals that have an obvious next step. */
function hintFor(status: number | undefined): HTMLElement | null {
  if (status === 401) {
    const hint = el('p', 'problem-hint', 'Your session has ended: ');
    hint.append(link('/board/login', 'log in again'), '.');
    return hint;
  }
  if (status === 412) {
    const hint = el('p', 'problem-hint', 'The workflow changed since this page was loaded: ');
    hint.append(link(location.href, 'reload the page'), ' to see its current version.');
    return hint;
  }
  if (status === 409) {
    const hint = el('p', 'problem-hint');
    hint.append(link(location.href, 'Reload the page'), ' to see the lease as it is now.');
    return hint;
  }
  return null;
}
