// Builds the AWS adapters once from the resolved settings (region, profile, endpoint) and maps SDK
// errors to kedactl's typed errors: every failure names the operation, the resource and the next step.
import { ExternalError, UsageError } from '../core/errors.js';
import { AwsAccessDeniedError, type AwsPorts } from '../core/aws/ports.js';
import { sqsAdapter } from './sqs.js';
import { iamAdapter } from './iam.js';
import { stsAdapter } from './sts.js';
import { eksAdapter } from './eks.js';

type AwsCredentialIdentity = { accessKeyId: string; secretAccessKey: string; sessionToken?: string; expiration?: Date };
type AwsCredentialIdentityProvider = () => Promise<AwsCredentialIdentity>;

export interface AwsConfig {
  region: string;
  profile?: string;
  endpointUrl?: string;
  /** the command's environment: AWS_ACCESS_KEY_ID etc. are read from here first */
  env?: NodeJS.ProcessEnv;
  /** tests add SDK middleware (request counting, fault injection) to every client */
  decorate?: (client: { middlewareStack: { add: (...a: any[]) => void; addRelativeTo?: (...a: any[]) => void } }, service: string) => void;
  /** SDK attempts per call (adaptive retry mode); default 6 */
  maxAttempts?: number;
}

/** What every SDK client gets: region, endpoint for emulators, adaptive retries, one credentials chain. */
export interface ClientBase {
  region: string;
  endpoint?: string;
  credentials: AwsCredentialIdentityProvider;
  retryMode: 'adaptive';
  maxAttempts: number;
}

export const CREDENTIALS_HELP =
  'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, pass --profile (or AWS_PROFILE) for a profile in ~/.aws/config, or run "aws sso login"';

function credentialsProvider(cfg: AwsConfig): AwsCredentialIdentityProvider {
  const env = cfg.env ?? process.env;
  let cached: Promise<AwsCredentialIdentity> | undefined;
  return () => {
    if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY && !cfg.profile) {
      // AWS_CREDENTIAL_EXPIRATION is where the SDK's and the aws CLI's env providers read the expiry from
      const expiration = env.AWS_CREDENTIAL_EXPIRATION ? new Date(env.AWS_CREDENTIAL_EXPIRATION) : undefined;
      if (expiration && Number.isNaN(expiration.getTime()))
        return Promise.reject(
          new UsageError(
            `AWS_CREDENTIAL_EXPIRATION = "${env.AWS_CREDENTIAL_EXPIRATION}" is not a date`,
            'set it as ISO 8601 (2026-01-31T12:00:00Z), as `aws configure export-credentials --format env` writes it, or unset it',
          ),
        );
      return Promise.resolve({
        accessKeyId: env.AWS_ACCESS_KEY_ID,
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
        sessionToken: env.AWS_SESSION_TOKEN || undefined,
        ...(expiration ? { expiration } : {}),
      });
    }
    cached ??= (async () => {
      const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
      try {
        return await defaultProvider(cfg.profile ? { profile: cfg.profile } : {})();
      } catch (e) {
        cached = undefined;
        throw new UsageError(
          `no AWS credentials found${cfg.profile ? ` for profile "${cfg.profile}"` : ''}: ${firstLine(e)}`,
          CREDENTIALS_HELP,
        );
      }
    })();
    return cached;
  };
}

export function createAws(cfg: AwsConfig): AwsPorts {
  const credentials = credentialsProvider(cfg);
  const base: ClientBase = {
    region: cfg.region,
    ...(cfg.endpointUrl ? { endpoint: cfg.endpointUrl } : {}),
    credentials,
    retryMode: 'adaptive',
    maxAttempts: cfg.maxAttempts ?? 6,
  };
  const decorate = cfg.decorate ?? (() => {});
  return {
    region: cfg.region,
    sqs: sqsAdapter(base, (c) => decorate(c, 'sqs')),
    iam: iamAdapter(base, (c) => decorate(c, 'iam')),
    sts: stsAdapter(base, (c) => decorate(c, 'sts')),
    eks: eksAdapter(base, (c) => decorate(c, 'eks')),
    async credentials() {
      try {
        const c = await credentials();
        return {
          accessKeyId: c.accessKeyId,
          secretAccessKey: c.secretAccessKey,
          ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}),
          ...(c.expiration ? { expiration: c.expiration } : {}),
        };
      } catch (e) {
        throw e instanceof UsageError ? e : new UsageError(`no AWS credentials found: ${firstLine(e)}`, CREDENTIALS_HELP);
      }
    },
  };
}

/**
 * One set of adapters per region, each made on first use with the same profile, endpoint and environment:
 * doctor reads a queue in the region KEDA's trigger names, which need not be the settings' region.
 */
export function awsByRegion(cfg: Omit<AwsConfig, 'region'>): (region: string) => AwsPorts {
  const made = new Map<string, AwsPorts>();
  return (region) => {
    let a = made.get(region);
    if (!a) made.set(region, (a = createAws({ ...cfg, region })));
    return a;
  };
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0]!;
}

export function errorName(e: unknown): string {
  const err = e as { name?: string; Code?: string; code?: string; __type?: string };
  return String(err?.name ?? err?.Code ?? err?.code ?? '');
}

export function isAwsError(e: unknown, ...names: string[]): boolean {
  const n = errorName(e);
  const code = (e as { Code?: string })?.Code;
  return names.some((x) => n === x || code === x || n.endsWith(`.${x}`) || n.endsWith(`#${x}`));
}

const THROTTLED = [
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'SlowDown',
  'RequestLimitExceeded',
];

export function isThrottle(e: unknown): boolean {
  return isAwsError(e, ...THROTTLED);
}

/** Errors a later attempt may not see: throttling, 5xx, network. */
export function isTransient(e: unknown): boolean {
  if (isThrottle(e)) return true;
  const status = (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === 'EPIPE' || errorName(e) === 'TimeoutError';
}

/**
 * Run one SDK call; on failure throw a kedactl error naming `${service}:${operation}` on `resource`.
 * `quiet` lists error names the caller handles itself (rethrown untouched).
 */
export async function awsCall<T>(
  service: string,
  operation: string,
  resource: string,
  fn: () => Promise<T>,
  quiet: string[] = [],
): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (quiet.length && isAwsError(e, ...quiet)) throw e;
    throw toKedactlError(e, service, operation, resource);
  }
}

export function toKedactlError(e: unknown, service: string, operation: string, resource: string): Error {
  if (e instanceof UsageError || e instanceof ExternalError) return e;
  const name = errorName(e);
  const msg = firstLine(e);
  const label = service.toUpperCase();
  const on = resource ? ` on ${resource}` : '';
  const cause = { cause: e };
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(msg))
    return new UsageError(`no AWS credentials found: ${msg}`, CREDENTIALS_HELP);
  if (isAwsError(e, 'AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError', 'AuthFailure'))
    return new AwsAccessDeniedError(
      `${service}:${operation}`,
      operation,
      `access denied${on}: ${msg}`,
      `grant ${service}:${operation} on ${resource || 'the resource'} to the identity kedactl runs as (see "aws sts get-caller-identity"), then run again`,
      cause,
    );
  if (
    isAwsError(
      e,
      'ExpiredToken',
      'ExpiredTokenException',
      'InvalidClientTokenId',
      'UnrecognizedClientException',
      'SignatureDoesNotMatch',
      'InvalidSignatureException',
    )
  )
    return new UsageError(`AWS did not accept the credentials (${name}): ${msg}`, `refresh or fix your credentials: ${CREDENTIALS_HELP}`);
  if (isThrottle(e))
    return new ExternalError(
      label,
      operation,
      `still throttled after retries${on}: ${msg}`,
      'wait a minute and run again (lower --concurrency / --rate for produce)',
      cause,
    );
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || /ECONNREFUSED|getaddrinfo/.test(msg))
    return new ExternalError(
      label,
      operation,
      `cannot reach the AWS endpoint (${msg})`,
      'check your network, --region and --endpoint-url (is the emulator running?)',
      cause,
    );
  if (isAwsError(e, 'QueueDeletedRecently', 'AWS.SimpleQueueService.QueueDeletedRecently'))
    return new ExternalError(
      label,
      operation,
      `queue ${resource} was deleted less than 60 seconds ago and its name cannot be reused yet`,
      'wait 60 seconds and run again, or pick another --queue-name',
      cause,
    );
  if (isAwsError(e, 'LimitExceeded', 'LimitExceededException'))
    return new ExternalError(
      label,
      operation,
      `an account limit was reached${on}: ${msg}`,
      'delete unused resources or ask AWS for a higher quota',
      cause,
    );
  return new ExternalError(
    label,
    operation,
    `${name ? `${name}: ` : ''}${msg}${on ? ` (${resource})` : ''}`,
    'check the message above; run again with -v for details',
    cause,
  );
}
