/**
 * Small DOM helpers shared by the board's scripts. Text always goes in through textContent: keys, values, titles
 * and details come from users or from the server's problems, never parsed as HTML.
 */

/** A new element with an optional class and text. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (className !== undefined && className !== '') element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

/** The element with this id if it is of the expected kind, else null (a page without that part). */
export function byId<T extends HTMLElement>(id: string, kind: new () => T): T | null {
  const found = document.getElementById(id);
  return found instanceof kind ? found : null;
}

/** A link; href is set as an attribute (the URL is ours: /board/…, or the page's own). */
export function link(href: string, text: string): HTMLAnchorElement {
  const a = el('a', undefined, text);
  a.href = href;
  return a;
}

/** The `<dd>` that follows the `<dt>` with this text in a `<dl>` (the workflow page's fields). */
export function fieldValue(list: Element | null, label: string): HTMLElement | null {
  if (list === null) return null;
  for (const term of list.querySelectorAll('dt')) {
    if (term.textContent?.trim() !== label) continue;
    const value = term.nextElementSibling;
    return value instanceof HTMLElement && value.tagName === 'DD' ? value : null;
  }
  return null;
}
