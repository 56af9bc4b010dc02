/**
 * The workflow page's actions (write and admin roles only: the section is absent for `read`). Each asks for
 * confirmation in the page's `<dialog id="confirm">`, then POSTs with the version the page shows as `If-Match` (so
 * a write made since the page loaded is refused with 412, not overwritten), the session's CSRF token, and for a
 * release the lease's token. A refusal is shown in `#problem`; the page is otherwise left as it was.
 */
import type { Countdowns } from './countdown.js';
import { byId, fieldValue } from './dom.js';
import { shownTime } from './time-format.js';
import { hideProblem, networkProblem, problemFrom, showProblem } from './problem-view.js';

type Action = 'touch' | 'delete' | 'release';

interface Pending {
  action: Action;
  leaseToken: string | undefined;
  button: HTMLButtonElement;
}

export function setUpActions(countdowns: Countdowns): void {
  const section = document.getElementById('actions');
  const dialog = byId('confirm', HTMLDialogElement);
  const text = document.getElementById('confirm-text');
  const yes = byId('confirm-yes', HTMLButtonElement);
  const no = byId('confirm-no', HTMLButtonElement);
  const problem = document.getElementById('problem');
  const result = document.getElementById('action-result');
  if (section === null || dialog === null || text === null || yes === null || no === null || problem === null) return;
  const buttons = [...section.querySelectorAll<HTMLButtonElement>('button[data-action]')];
  const id = document.body.dataset.id ?? '';
  let pending: Pending | null = null;

  for (const button of buttons) {
    button.addEventListener('click', () => {
      const action = button.dataset.action;
      if (action !== 'touch' && action !== 'delete' && action !== 'release') return;
      pending = { action, leaseToken: button.dataset.leaseToken, button };
      text.textContent = question(action, id, pending.leaseToken);
      yes.textContent = `Yes, ${action === 'release' ? 'release the lease' : action}`;
      yes.classList.toggle('danger', action === 'delete');
      dialog.showModal();
      // Cancel is the safe default for Enter: a destructive action needs a deliberate choice.
      no.focus();
    });
  }
  // preventDefault: should the buttons sit in a form, it must not submit (a GET of the page, or method=dialog).
  no.addEventListener('click', (event) => {
    event.preventDefault();
    dialog.close('cancel');
  });
  yes.addEventListener('click', (event) => {
    event.preventDefault();
    const chosen = pending;
    dialog.close('yes');
    if (chosen !== null) void run(chosen);
  });
  // Escape closes the dialog too: whatever closed it, nothing is pending after.
  dialog.addEventListener('close', () => {
    pending = null;
  });

  async function run({ action, leaseToken, button: invoker }: Pending): Promise<void> {
    for (const button of buttons) button.disabled = true;
    hideProblem(problem as HTMLElement);
    if (result !== null) result.textContent = '';
    let navigating = false;
    try {
      const headers: Record<string, string> = {
        'If-Match': `"${document.body.dataset.version ?? ''}"`,
        'X-CSRF-Token': document.body.dataset.csrf ?? '',
      };
      // Only a release names the lease: touch and delete must be refused (409 lease-held) while someone holds it.
      if (action === 'release') headers['Lease-Token'] = leaseToken ?? '';
      let response: Response;
      try {
        response = await fetch(`/board/w/${encodeURIComponent(id)}/${action}`, {
          method: 'POST',
          headers,
          credentials: 'same-origin',
          cache: 'no-store',
        });
      } catch (error) {
        showProblem(problem as HTMLElement, networkProblem(error));
        return;
      }
      if (!response.ok) {
        showProblem(problem as HTMLElement, await problemFrom(response));
        return;
      }
      if (action === 'delete') {
        navigating = true;
        location.assign('/board');
      } else if (action === 'release') {
        navigating = true;
        location.reload();
      } else {
        await touched(response, countdowns);
        if (result !== null) result.textContent = 'Touched';
      }
    } finally {
      // Left disabled while the page is being replaced: a second click would act on a page already gone.
      if (!navigating) {
        for (const button of buttons) button.disabled = false;
        // Disabling the focused button dropped focus to the body: give it back to where the user was.
        if (document.activeElement === null || document.activeElement === document.body) invoker.focus();
      }
    }
  }
}

function question(action: Action, id: string, leaseToken: string | undefined): string {
  switch (action) {
    case 'touch':
      return `Touch workflow ${id}? Its TTL starts again from now; its state and version do not change.`;
    case 'delete':
      return `Delete workflow ${id}? It cannot be brought back.`;
    case 'release': {
      const owner = document.getElementById('lease-owner')?.textContent?.trim();
      const holder = owner ? ` held by ${owner}` : '';
      return `Release the lease${holder} (token ${leaseToken ?? '?'}) on workflow ${id}? A worker still running the step loses it.`;
    }
  }
}

/** A touch answers the workflow without its state: the page takes its version and new expiry. */
async function touched(response: Response, countdowns: Countdowns): Promise<void> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    return;
  }
  if (typeof body !== 'object' || body === null) return;
  const { version, expiresAt } = body as Record<string, unknown>;
  const fields = document.getElementById('fields');
  if (typeof version === 'number') {
    document.body.dataset.version = String(version);
    const dd = document.getElementById('field-version') ?? fieldValue(fields, 'Version');
    if (dd !== null && dd.childElementCount === 0) dd.textContent = String(version);
  }
  if (typeof expiresAt === 'string' && Number.isFinite(Date.parse(expiresAt))) {
    const ttl = document.getElementById('ttl-countdown');
    if (ttl !== null) ttl.dataset.expiresAtMs = String(Date.parse(expiresAt));
    const time = document.getElementById('expires-at') ?? fieldValue(fields, 'Expires')?.querySelector('time');
    if (time instanceof HTMLTimeElement) {
      time.dateTime = expiresAt;
      if (!time.hasAttribute('data-countdown')) time.textContent = shownTime(expiresAt);
    }
    countdowns.tick();
  }
}
