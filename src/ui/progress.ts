// How a long command shows its steps: a live ink task list on a terminal, plain lines otherwise (pipes,
// CI, logs).
import type { Progress } from '../core/progress.js';
import type { IoHost } from './io.js';
import { lineProgress } from './progress-lines.js';

export async function progressFor(host: IoHost, env: NodeJS.ProcessEnv): Promise<Progress & { close?: () => Promise<void> }> {
  const live = Boolean(host.streams.stderr.isTTY) && !env.CI && env.TERM !== 'dumb';
  return live ? (await import('./tasks.js')).resumableInkProgress(host) : lineProgress(host);
}
