// How long-running use cases report their steps without knowing about terminals: the UI decides
// whether a step is a spinner line (ink) or a plain line.
export interface Progress {
  /** run one named step; the UI shows it running, then done (with time) or failed */
  step<T>(title: string, fn: (update: (detail: string) => void) => Promise<T>): Promise<T>;
  /** a line of information between steps */
  note(text: string): void;
  warn(text: string): void;
}

/** A Progress that records steps, for tests and for callers that only want the list. */
export function recordingProgress(): Progress & { steps: Array<{ title: string; ok: boolean; details: string[] }>; notes: string[] } {
  const steps: Array<{ title: string; ok: boolean; details: string[] }> = [];
  const notes: string[] = [];
  return {
    steps,
    notes,
    async step(title, fn) {
      const rec = { title, ok: false, details: [] as string[] };
      steps.push(rec);
      const v = await fn((d) => rec.details.push(d));
      rec.ok = true;
      return v;
    },
    note: (t) => notes.push(t),
    warn: (t) => notes.push(`warning: ${t}`),
  };
}
