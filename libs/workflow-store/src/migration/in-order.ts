/**
 * `fn` over `items`, at most `limit` calls in flight, yielding the results in the order of `items` (so a file's
 * lines keep the order of the walk). Memory holds at most `limit` results. The first rejection, in order, ends the
 * iteration; the calls still in flight then run out on their own, their failures ignored.
 */
export async function* inOrder<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): AsyncGenerator<R, void, undefined> {
  const pending: Promise<R>[] = [];
  let next = 0;
  while (next < items.length || pending.length > 0) {
    while (next < items.length && pending.length < Math.max(1, limit)) {
      const call = fn(items[next] as T);
      // Awaited below in turn; this only keeps a failure behind an earlier one from being reported as unhandled.
      call.catch(() => undefined);
      pending.push(call);
      next += 1;
    }
    yield await (pending.shift() as Promise<R>);
  }
}
