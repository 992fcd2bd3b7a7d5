// Real SDK clients pointed at the test moto server, with optional middleware that records every
// call or injects faults moto cannot make (throttling, partial batch failure).
import { tmpdir } from 'node:os';
import { createAws, type AwsConfig } from '../../src/adapters/aws.ts';
import { loadSettings } from '../../src/core/stack/load-settings.ts';
import type { Settings } from '../../src/core/stack/settings.ts';
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
  /**
   * SendMessageBatch only: entry ids to fail this time. They are not sent to moto and come back in
   * Failed[] with HTTP 200, as SQS does; senderFault marks them as the caller's fault (not retried).
   */
  failEntries?: (ids: string[]) => { ids: string[]; senderFault?: boolean; code?: string } | undefined;
  maxAttempts?: number;
}

/** The SDK middleware testAws adds, for CLI runs too (runCli's awsClient). */
export function testDecorate(opts: Pick<TestAwsOptions, 'calls' | 'fault' | 'failEntries'> = {}): NonNullable<AwsConfig['decorate']> {
  return (client) => {
    client.middlewareStack.add(
      (next: any, context: any) => async (args: any) => {
        const name = String(context.commandName);
        opts.calls?.push(name);
        const plan = name === 'SendMessageBatchCommand' ? opts.failEntries?.(args.input.Entries.map((e: any) => e.Id)) : undefined;
        if (!plan || plan.ids.length === 0) return next(args);
        const failing = new Set(plan.ids);
        const Failed = plan.ids.map((Id) => ({
          Id,
          Code: plan.code ?? 'InternalError',
          Message: 'injected failure',
          SenderFault: Boolean(plan.senderFault),
        }));
        const rest = args.input.Entries.filter((e: any) => !failing.has(e.Id));
        if (rest.length === 0) return { output: { $metadata: { httpStatusCode: 200 }, Successful: [], Failed }, response: {} };
        const out = await next({ ...args, input: { ...args.input, Entries: rest } });
        out.output = { ...out.output, Failed: [...(out.output.Failed ?? []), ...Failed] };
        return out;
      },
      { step: 'initialize', name: 'kedactlTestPartialFailure' },
    );
    client.middlewareStack.add(
      (next: any, context: any) => async (args: any) => {
        const f = opts.fault?.(String(context.commandName), args.input);
        if (f?.throw) throw f.throw;
        if (f?.result) return { output: { $metadata: {}, ...f.result }, response: {} };
        return next(args);
      },
      // below "retry" so the SDK's own retries see the injected errors
      { step: 'finalizeRequest', name: 'kedactlTestFaults', priority: 'low' },
    );
  };
}

export function testAws(opts: TestAwsOptions = {}) {
  const decorate = testDecorate(opts);
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

/** AccessDenied as SQS and IAM send it (403, the caller's fault). */
export function accessDeniedError(action: string): Error {
  const e = new Error(`User: arn:aws:iam::123456789012:user/test is not authorized to perform: ${action}`) as Error & {
    name: string;
    $metadata: object;
    $fault: string;
    Code: string;
  };
  e.name = 'AccessDenied';
  e.Code = 'AccessDenied';
  e.$fault = 'client';
  e.$metadata = { httpStatusCode: 403 };
  return e;
}
