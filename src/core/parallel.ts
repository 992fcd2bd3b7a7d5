// Parallel work whose failure does not depend on timing: every task runs to its end, then the first
// failure in the order the tasks were given is the one reported, so the same fault gives the same
// error on every run (Promise.all reports whichever rejects first).

export async function allInOrder<T extends readonly unknown[] | []>(tasks: T): Promise<{ -readonly [P in keyof T]: Awaited<T[P]> }> {
  const settled = await Promise.allSettled(tasks as readonly unknown[]);
  for (const r of settled) if (r.status === 'rejected') throw r.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as { -readonly [P in keyof T]: Awaited<T[P]> };
}
