// Real SDK clients pointed at the test moto server, with optional middleware that records every
// call or injects faults moto cannot make (throttling, partial batch failure).
import { tmpdir } from 'node:os';
import { createAws, type AwsConfig } from '../../src/adapters/aws.ts';
import { loadSettings } from '../../src/core/load-settings.ts';
import type { Settings } from '../../src/core/settings.ts';
import { MOTO_ENV, motoEndpoint } from './moto.ts';

export const REGION = MOTO_ENV.AWS_REGION;

/** Env for runCli: moto endpoint, region and fake credentials. */
export function motoCliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...MOTO_ENV, AWS_ENDPOINT_URL: motoEndpoint(), AWS_EC2_METADATA_DISABLED: 'true', ...extra };
}

export type Fault = (command: string, input: any) => { throw?: Error; result?: any } | undefined;

export interface TestAwsOptions {
  /** every command name sent, in order ("CreateQueueCommand", ...) */
  calls?: string[];
  /** decides per request whether to fail it or replace its result; runs before the request is sent */
  fault?: Fault;
  /** rewrites a real response (e.g. to mark entries Failed[]) */
  after?: (command: string, input: any, output: any) => any;
  maxAttempts?: number;
}

export function testAws(opts: TestAwsOptions = {}) {
  const decorate: AwsConfig['decorate'] = (client) => {
    client.middlewareStack.add(
      (next: any, context: any) => async (args: any) => {
        const name = String(context.commandName);
        opts.calls?.push(name);
        const f = opts.fault?.(name, args.input);
        if (f?.throw) throw f.throw;
        if (f?.result) return { output: { $metadata: {}, ...f.result }, response: {} };
        const out = await next(args);
        if (opts.after) out.output = opts.after(name, args.input, out.output);
        return out;
      },
      // below "retry" so the SDK's own retries see the injected errors
      { step: 'finalizeRequest', name: 'kedactlTestFaults', priority: 'low' },
    );
  };
  return createAws({
    region: REGION,
    endpointUrl: motoEndpoint(),
    env: { ...MOTO_ENV },
    decorate,
    ...(opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}),
  });
}

/** Stack settings as the CLI would resolve them, from flag-like values. */
export function testSettings(flags: Record<string, unknown>): Settings {
  return loadSettings({ flags: { region: REGION, endpointUrl: motoEndpoint(), ...flags }, env: {}, cwd: tmpdir() }).settings;
}

/** A throttling error the SDK's retry strategy recognises. */
export function throttlingError(): Error {
  const e = new Error('Rate exceeded') as Error & { name: string; $metadata: object; $fault: string };
  e.name = 'ThrottlingException';
  e.$fault = 'client';
  e.$metadata = { httpStatusCode: 400 };
  return e;
}

export const WRITE = /^(Create|Put|Update|Delete|Set|Tag|Untag|Detach|Attach|Send)/;
