// What every command receives: the I/O host and the process's environment, never globals.
import type { AwsConfig } from '../adapters/aws.js';
import type { IoHost } from '../ui/io.js';

/**
 * What every command's flags hold: the stack-settings flags (any value: the settings model checks them
 * and reports every problem at once), --config and -v. Each command extends it with its own flags.
 */
export interface CommandFlags {
  config?: string;
  verbose?: number;
  [setting: string]: unknown;
}

/** --skip, repeatable (parseSkip checks the values) */
export type SkipFlag = string[];

export interface CommandContext {
  host: () => IoHost;
  /** set the host's verbosity once flags are known */
  setVerbosity(n: number): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** tests only: SDK middleware (fault injection) and attempts for every AWS client a command builds */
  awsClient?: Pick<AwsConfig, 'decorate' | 'maxAttempts'>;
}
