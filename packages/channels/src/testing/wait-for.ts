/**
 * Polls until a test peer has received enough, so tests (and the end-to-end suite, whose
 * services deliver asynchronously) wait on what arrived instead of sleeping.
 */
export async function waitFor<T>(read: () => readonly T[], count: number, timeoutMs: number, what: string): Promise<T[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const items = read();
    if (items.length >= count) return [...items];
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${count} ${what}, got ${items.length}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
