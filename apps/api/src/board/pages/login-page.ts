import { html, type SafeHtml } from '../html.js';
import { layout } from './layout.js';

/** The login form: an API key in, a session cookie out. Works without script. */
export function loginPage(next: string, error?: string): SafeHtml {
  return layout({
    title: 'Log in',
    page: 'login',
    viewer: null,
    script: 'login-page.js',
    main: html`<h1>Log in to the board</h1>
<form class="login" method="post" action="/board/login">
  <p>Use an API key of your tenant. The board keeps a session cookie (8 hours), never the key; a <code>read</code> key
  can look, a <code>write</code> or <code>admin</code> key can also touch, delete and release leases.</p>
  ${error ? html`<p id="login-error" class="problem" role="alert">${error}</p>` : ''}
  <label for="key">API key</label>
  <input id="key" name="key" type="password" autocomplete="off" required maxlength="512">
  <input type="hidden" name="next" value="${next}">
  <button type="submit">Log in</button>
</form>`,
  });
}
