/** Entry module of a workflow's page (/board/w/:id): TTL countdown, state tree, actions. */
import { setUpActions } from './actions.js';
import { startCountdowns } from './countdown.js';
import { el } from './dom.js';
import { renderJsonTree } from './json-tree.js';

const countdowns = startCountdowns();

const data = document.getElementById('state-json');
const tree = document.getElementById('state-tree');
if (data !== null && tree !== null) {
  try {
    renderJsonTree(tree, JSON.parse(data.textContent ?? 'null'));
  } catch {
    // Not expected (the server wrote it with JSON.stringify), but a page without its tree beats a broken page.
    tree.replaceChildren(el('p', 'tree-error', 'The state could not be shown.'));
  }
}

setUpActions(countdowns);
