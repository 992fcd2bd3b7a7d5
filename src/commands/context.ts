// What every command receives: the I/O host and the process's environment, never globals.
import type { IoHost } from '../ui/io.js';

export interface CommandContext {
  host: () => IoHost;
  /** set the host's verbosity once flags are known */
  setVerbosity(n: number): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}
