/** A Redis URL safe to log: any password is replaced by `***`. */
export function redactUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/)([^@/]*)@/, (_, scheme: string, auth: string) => {
    const user = auth.includes(':') ? auth.slice(0, auth.indexOf(':')) : '';
    return `${scheme}${user}:***@`;
  });
}
