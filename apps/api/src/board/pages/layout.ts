import { html, type SafeHtml } from '../html.js';
import type { BoardViewer } from '../board-access.js';

export interface PageParts {
  title: string;
  page: 'list' | 'workflow' | 'login' | 'error';
  viewer: BoardViewer | null;
  main: SafeHtml;
  /** The module that runs the page (a file of /board/assets), if any. */
  script?: string;
  /** Extra `data-*` attributes of <body>, by their dataset name (`serverNowMs` → `data-server-now-ms`). */
  data?: Record<string, string>;
}

/** Every board page: the same head (stylesheet, no inline script or style), header, open-mode banner and skip link. */
export function layout(parts: PageParts): SafeHtml {
  const { viewer } = parts;
  const data = Object.entries({
    page: parts.page,
    ...(viewer ? { role: viewer.principal.role, tenant: viewer.principal.tenant, csrf: viewer.csrfToken } : {}),
    ...parts.data,
  }).map(([name, value]) => html` data-${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}="${value}"`);
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${parts.title} · workflow-store board</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/board/assets/board.css">
${parts.script ? html`<script type="module" src="/board/assets/${parts.script}"></script>` : ''}
</head>
<body${data}>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/board">workflow-store board</a>
  ${viewer ? whoIs(viewer) : ''}
</header>
${viewer?.open ? openBanner() : ''}
<main id="main">
${parts.main}
</main>
</body>
</html>
`;
}

function whoIs(viewer: BoardViewer): SafeHtml {
  return html`<p class="who">Tenant <strong>${viewer.principal.tenant}</strong> · role <strong>${viewer.principal.role}</strong></p>
  ${
    viewer.open
      ? ''
      : html`<form class="logout" method="post" action="/board/logout">
    <input type="hidden" name="csrf" value="${viewer.csrfToken}">
    <button type="submit">Log out</button>
  </form>`
  }`;
}

function openBanner(): SafeHtml {
  return html`<div class="banner banner-open" role="alert">
  <strong>This board is unauthenticated.</strong> The service runs without API keys, so anyone who can reach it can see
  and change every workflow here. Set <code>API_KEYS</code> or <code>API_KEYS_FILE</code> to require a login.
</div>`;
}

/** A page for a refused or failed request (400, 404, 503…), with the problem's words. */
export function errorPage(viewer: BoardViewer | null, status: number, title: string, detail: string): SafeHtml {
  return layout({
    title,
    page: 'error',
    viewer,
    main: html`<h1>${title}</h1>
<p class="problem-detail">${detail}</p>
<p class="status">HTTP ${status}</p>
<p><a href="/board">Back to the list</a></p>`,
  });
}
