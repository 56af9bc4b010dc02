/** A Redis URL safe to log: any password is replaced by `***` (the authority ends at the last `@`). */
export function redactUrl(url: string): string {
  const match = /^(rediss?:\/\/)([^/]*)@([^@/]*)(.*)$/.exec(url);
  if (!match) return url;
  const [, scheme, auth = '', host, rest] = match;
  const colon = auth.indexOf(':');
  return colon < 0 ? `${scheme}${auth}@${host}${rest}` : `${scheme}${auth.slice(0, colon)}:***@${host}${rest}`;
}
