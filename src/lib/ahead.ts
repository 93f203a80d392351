/**
 * The items of `source`, one ahead: the next one is already being read (a database batch, say)
 * while the caller works on the current one, so the two overlap instead of taking turns. At most
 * two items are held at a time.
 */
export async function* ahead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  const read = () => {
    const p = it.next();
    // Its failure is reported when it is awaited; until then it must not count as unhandled.
    p.catch(() => undefined);
    return p;
  };
  let next = read();
  let done = false;
  try {
    for (;;) {
      const r = await next;
      if (r.done) {
        done = true;
        return;
      }
      next = read();
      yield r.value;
    }
  } finally {
    // Stopped early (the download was cut, the caller failed): let the read under way end, then
    // close the source. Neither may hide why we stopped.
    if (!done) {
      await next.catch(() => undefined);
      await Promise.resolve(it.return?.()).catch(() => undefined);
    }
  }
}
