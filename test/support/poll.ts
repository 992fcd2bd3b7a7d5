// A bounded wait on a condition another process brings about (KEDA, the Job controller, the test node):
// poll, and on timeout fail with what was last seen, never a bare sleep.

/** poll check() every 500 ms until it returns a value (not undefined); fail after timeoutMs with seen() */
export async function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  seen: () => string = () => '',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000}s. ${seen()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
