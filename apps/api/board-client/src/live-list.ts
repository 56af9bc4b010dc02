/**
 * The list page's connection to the change feed (`/board/events`, same origin, session cookie). EventSource
 * reconnects by itself and resumes with Last-Event-ID; this adds what it cannot: telling the user the state in
 * `#live-status`, noticing that the session ended (the stream ends and the reconnect is refused with 401, which
 * an EventSource cannot tell apart from a network failure), and reopening after it gives up on other errors.
 */
import { link } from './dom.js';
import { parseWorkflowEvent, type WorkflowEvent } from './list-rows.js';

type State = 'connecting' | 'live' | 'reconnecting' | 'reset' | 'ended';

const CHECK_EVERY_MS = 5000;
const FIRST_RETRY_MS = 2000;
const MAX_RETRY_MS = 30000;

export function goLive(url: string, onEvent: (event: WorkflowEvent) => void, status: HTMLElement | null): void {
  let source: EventSource | null = null;
  let lastEventId = '';
  let missed = false;
  let ended = false;
  let retryMs = FIRST_RETRY_MS;
  let checkTimer: ReturnType<typeof setInterval> | undefined;

  const show = (state: State): void => {
    if (status === null) return;
    // After a reset the page stays incomplete until reloaded, whatever the connection does next.
    const shown = state === 'live' && missed ? 'reset' : state;
    status.dataset.state = shown;
    switch (shown) {
      case 'connecting':
        status.replaceChildren('Connecting to live updates…');
        break;
      case 'live':
        status.replaceChildren('Live: changes appear as they happen.');
        break;
      case 'reconnecting':
        status.replaceChildren('Live updates interrupted: reconnecting…');
        break;
      case 'reset':
        status.replaceChildren('Some changes were missed: ', link(location.href, 'reload'), '.');
        break;
      case 'ended':
        status.replaceChildren('Session ended — ', link('/board/login', 'log in again'));
        break;
    }
  };

  const open = (): void => {
    const target = new URL(url, location.href);
    // Reopened by us (not by the EventSource itself): resume after the last event this page applied.
    if (lastEventId !== '') target.searchParams.set('after', lastEventId);
    const opened = new EventSource(target);
    source = opened;
    opened.addEventListener('open', () => {
      retryMs = FIRST_RETRY_MS;
      stopChecks();
      show('live');
    });
    opened.addEventListener('workflow', (message) => {
      if (message.lastEventId !== '') lastEventId = message.lastEventId;
      const event = parseWorkflowEvent(message.data as string);
      if (event !== null) onEvent(event);
    });
    opened.addEventListener('reset', () => {
      missed = true;
      show('reset');
    });
    opened.addEventListener('error', () => {
      if (ended || source !== opened) return;
      show('reconnecting');
      if (opened.readyState === EventSource.CLOSED) {
        // The EventSource gave up (a refused reconnect): ask whether the session is still there, then reopen or end.
        opened.close();
        source = null;
        void sessionEnded().then((gone) => {
          if (gone) end();
          else if (!ended) {
            setTimeout(open, retryMs);
            retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
          }
        });
      } else {
        startChecks();
      }
    });
  };

  // While the EventSource retries on its own, check now and then that retrying still makes sense.
  const startChecks = (): void => {
    checkTimer ??= setInterval(() => {
      void sessionEnded().then((gone) => {
        if (gone) end();
      });
    }, CHECK_EVERY_MS);
  };
  const stopChecks = (): void => {
    clearInterval(checkTimer);
    checkTimer = undefined;
  };
  const end = (): void => {
    if (ended) return;
    ended = true;
    stopChecks();
    source?.close();
    source = null;
    show('ended');
  };

  show('connecting');
  open();
}

/**
 * Whether the board session is gone: the page itself, asked for without following redirects, is refused (401) or
 * sent to the login page (a redirect, seen as an opaque redirect). A failed request says nothing: still retrying.
 */
async function sessionEnded(): Promise<boolean> {
  try {
    const response = await fetch(location.href, { method: 'HEAD', redirect: 'manual', credentials: 'same-origin', cache: 'no-store' });
    return response.type === 'opaqueredirect' || response.status === 401;
  } catch {
    return false;
  }
}

