/**
 * Entry module of the login page: the form works without it. It only keeps a double click from posting the key
 * twice (the second answer would replace the first page, with its error or redirect).
 */
const form = document.querySelector<HTMLFormElement>('form[action="/board/login"]');
const submit = form?.querySelector<HTMLButtonElement>('button[type="submit"], button:not([type])');
if (form && submit) {
  form.addEventListener('submit', () => {
    // After this task: disabling the button during dispatch would drop it from the submission.
    setTimeout(() => (submit.disabled = true), 0);
  });
  // Back to this page from the bfcache: the button must work again.
  addEventListener('pageshow', () => (submit.disabled = false));
}

export {};
