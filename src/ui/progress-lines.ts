// Progress as plain lines on stderr: one line when a step starts, one when it ends with its time.
import type { Progress } from '../core/progress.js';
import type { IoHost } from './io.js';
import { paint } from './io.js';

export function lineProgress(host: IoHost, now: () => number = () => performance.now()): Progress {
  const c = paint(host.color);
  return {
    async step(title, fn) {
      const t0 = now();
      host.notify('info', 'step.start', `… ${title}`);
      try {
        const v = await fn((d) => host.notify('debug', 'step.detail', `  ${d}`));
        host.notify('info', 'step.done', `${c.green('✓')} ${title} ${c.dim(`(${((now() - t0) / 1000).toFixed(1)}s)`)}`);
        return v;
      } catch (e) {
        host.notify('info', 'step.failed', `${c.red('✗')} ${title}`);
        throw e;
      }
    },
    note: (t) => host.notify('info', 'note', t),
    warn: (t) => host.notify('warn', 'warn', t),
  };
}
