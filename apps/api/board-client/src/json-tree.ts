/**
 * The workflow's state as a collapsible tree that stays responsive on a 1 MiB state: nothing below the top level is
 * built until its `<details>` is first opened, and children come 100 at a time behind a "Show 100 more" button, so
 * no single step creates more than ~100 entries whatever the shape of the data.
 *
 * Keys and strings come from users: they are only ever set as textContent.
 */
import { el } from './dom.js';

const PAGE = 100;
const CUT = 200;
/**
 * A long string is revealed at most this many characters per click: laying out text costs about 1 ms per 1 000
 * characters (1.5 s for a 1 MiB string at once, measured), and each step goes in its own block, so a step costs the
 * same at the end of the string as at its start.
 */
const STRING_STEP = 10_000;

type Container = Record<string, unknown> | unknown[];

/**
 * Markup: a list is `div.tree-list[role=list]`, each page of up to 100 entries a `div.page` in it (the unit the stylesheet
 * lets the browser skip when off screen in a long list: per page, not per entry, so 5 000 entries are 50 units to
 * track, not 5 000), each entry a `div.entry[role=listitem]`. `<ul>` cannot hold the page wrappers.
 */

/** Children not built yet: the entries of one list, paged. `keys` null for an array (indices are the keys). */
interface Pending {
  value: Container;
  keys: string[] | null;
  next: number;
}

const pendingOf = new WeakMap<HTMLElement, Pending>();
const closedValueOf = new WeakMap<HTMLDetailsElement, Container>();
/** A cut string: its text, how much of it is shown, and the element showing its last part. */
interface CutString {
  text: string;
  shown: number;
  last: HTMLElement;
}
const cutStringOf = new WeakMap<HTMLButtonElement, CutString>();

/** Renders `value` into `container` (emptied first): the top level only. */
export function renderJsonTree(container: HTMLElement, value: unknown): void {
  // `toggle` does not bubble, but a capturing listener on an ancestor still sees it: one listener for the tree.
  container.addEventListener('toggle', onToggle, true);
  container.addEventListener('click', onClick);
  if (isContainer(value) && size(value) > 0) {
    container.replaceChildren(childList(value));
  } else {
    const only = el('p', 'tree-root');
    appendValue(only, value);
    container.replaceChildren(only);
  }
}

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null;
}

function size(value: Container): number {
  return Array.isArray(value) ? value.length : Object.keys(value).length;
}

/** A list with the first page of `value`'s entries. */
function childList(value: Container): HTMLElement {
  const list = el('div', 'tree-list');
  list.setAttribute('role', 'list');
  pendingOf.set(list, { value, keys: Array.isArray(value) ? null : Object.keys(value), next: 0 });
  appendPage(list);
  return list;
}

/** Adds the next page of entries before the list's "more" button, then updates or removes the button. */
function appendPage(list: HTMLElement): HTMLElement | null {
  const pending = pendingOf.get(list);
  if (pending === undefined) return null;
  const total = pending.keys === null ? (pending.value as unknown[]).length : pending.keys.length;
  const end = Math.min(total, pending.next + PAGE);
  const page = el('div', 'page');
  let first: HTMLElement | null = null;
  for (let i = pending.next; i < end; i++) {
    const key = pending.keys === null ? i : (pending.keys[i] as string);
    const item = entry(key, (pending.value as Record<string | number, unknown>)[key]);
    first ??= item;
    page.append(item);
  }
  pending.next = end;
  // From the third page on, pages off screen are skipped by the browser (board.css, `.many`); not before: a skipped
  // page is blank in a full-page screenshot, and a few hundred entries render fast enough anyway.
  if (end > 2 * PAGE) list.classList.add('many');
  const more = list.lastElementChild?.classList.contains('more-item') === true ? list.lastElementChild : null;
  // One insertion of a detached page: the entries are built off the document, laid out once.
  list.insertBefore(page, more);
  const left = total - end;
  if (left === 0) {
    more?.remove();
    pendingOf.delete(list);
  } else {
    const button = more?.querySelector('button') ?? list.appendChild(listItem('more-item')).appendChild(el('button', 'more'));
    button.type = 'button';
    button.textContent = `Show ${Math.min(PAGE, left)} more (${left} left)`;
  }
  return first;
}

/** One entry: an object/array as a closed `<details>` (children built on first open), a primitive inline. */
function entry(key: string | number, value: unknown): HTMLElement {
  const item = listItem('entry');
  if (isContainer(value) && size(value) > 0) {
    const details = el('details', 'node');
    const summary = el('summary');
    summary.append(keyOf(key), ': ');
    const n = size(value);
    if (Array.isArray(value)) summary.append(el('span', 'brace', '[…]'), ' ', el('span', 'count', n === 1 ? '1 item' : `${n} items`));
    else summary.append(el('span', 'brace', '{…}'), ' ', el('span', 'count', n === 1 ? '1 key' : `${n} keys`));
    details.append(summary);
    closedValueOf.set(details, value);
    item.append(details);
  } else {
    item.classList.add('leaf');
    item.append(keyOf(key), ': ');
    appendValue(item, value);
  }
  return item;
}

function listItem(className: string): HTMLElement {
  const item = el('div', className);
  item.setAttribute('role', 'listitem');
  return item;
}

function keyOf(key: string | number): HTMLSpanElement {
  // An empty key would read as nothing before the colon: show it quoted.
  return el('span', typeof key === 'number' ? 'key index' : 'key', key === '' ? '""' : String(key));
}

/** A primitive (or an empty object/array) as a typed span; long strings cut, with a button to show them whole. */
function appendValue(parent: HTMLElement, value: unknown): void {
  if (typeof value === 'string') {
    // JSON quoting shows line breaks, tabs and quotes inside the string unambiguously.
    if (value.length <= CUT) {
      parent.append(el('span', 'v-string', JSON.stringify(value)));
      return;
    }
    const shown = el('span', 'v-string', `${JSON.stringify(value.slice(0, CUT)).slice(0, -1)}…`);
    const button = el('button', 'show-all');
    button.type = 'button';
    const cut = { text: value, shown: CUT, last: shown };
    labelShowMore(button, cut);
    cutStringOf.set(button, cut);
    parent.append(shown, ' ', button);
  } else if (typeof value === 'number') {
    parent.append(el('span', 'v-number', String(value)));
  } else if (typeof value === 'boolean') {
    parent.append(el('span', 'v-boolean', String(value)));
  } else if (value === null || value === undefined) {
    parent.append(el('span', 'v-null', 'null'));
  } else {
    parent.append(el('span', 'v-empty', Array.isArray(value) ? '[]' : '{}'));
  }
}

function onToggle(event: Event): void {
  const details = event.target;
  if (!(details instanceof HTMLDetailsElement) || !details.open) return;
  const value = closedValueOf.get(details);
  if (value === undefined) return;
  closedValueOf.delete(details);
  details.append(childList(value));
}

function onClick(event: MouseEvent): void {
  const target = event.target;
  if (!(target instanceof HTMLButtonElement)) return;
  if (target.classList.contains('more')) {
    const list = target.closest<HTMLElement>('.tree-list');
    const first = list === null ? null : appendPage(list);
    // The button stays while entries are left (focus stays on it); when it goes, focus moves to the first new entry
    // so a keyboard user is not dropped back to the top of the page.
    if (first !== null && !target.isConnected) focusEntry(first);
    return;
  }
  const cut = cutStringOf.get(target);
  if (cut !== undefined) showMoreOf(target, cut);
}

function labelShowMore(button: HTMLButtonElement, cut: CutString): void {
  const total = cut.text.length;
  const left = total - cut.shown;
  button.textContent = total <= STRING_STEP ? `Show all ${total} characters` : `Show ${Math.min(STRING_STEP, left)} more characters (${left} left)`;
}

/**
 * Reveals the next part of a cut string. The first step rewrites the inline text; later ones add a block after it
 * (a line break at each 10 000 characters), so the text already shown is not laid out again.
 */
function showMoreOf(button: HTMLButtonElement, cut: CutString): void {
  const { text } = cut;
  const from = cut.shown === CUT ? 0 : cut.shown;
  const to = Math.min(text.length, Math.max(cut.shown, from + STRING_STEP));
  // JSON quoting per part: escapes never straddle two parts (a surrogate pair cut in two shows as two \u escapes).
  const quoted = JSON.stringify(text.slice(from, to));
  const open = from === 0 ? quoted.slice(0, -1) : quoted.slice(1, -1);
  const body = to === text.length ? `${open}"` : `${open}…`;
  if (from === 0) {
    cut.last.textContent = body;
  } else {
    cut.last.textContent = (cut.last.textContent ?? '').replace(/…$/, '');
    const part = el('span', 'v-string part', body);
    button.before(part);
    cut.last = part;
  }
  cut.shown = to;
  if (to < text.length) {
    labelShowMore(button, cut);
    return;
  }
  cutStringOf.delete(button);
  const item = button.parentElement;
  button.remove();
  if (item !== null) focusEntry(item);
}

function focusEntry(item: HTMLElement): void {
  const summary = item.querySelector(':scope > details > summary');
  if (summary instanceof HTMLElement) {
    summary.focus();
    return;
  }
  item.tabIndex = -1;
  item.focus();
}
