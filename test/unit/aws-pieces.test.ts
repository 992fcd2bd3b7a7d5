// Pure pieces of the AWS side: error mapping, document parsing, ownership, attribute normalising,
// waiting for a new role.
import { describe, expect, it } from 'vitest';
import { toKedactlError } from '../../src/adapters/aws.ts';
import { parsePolicy } from '../../src/adapters/iam.ts';
import type { IamPort } from '../../src/core/aws/ports.ts';
import { conflictMessage, mapLimit, ownedBy } from '../../src/core/aws/tags.ts';
import { ExternalError, UsageError } from '../../src/core/errors.ts';
import { waitForRole } from '../../src/core/aws/iam-roles.ts';
import { federatedPrincipals } from '../../src/core/aws/validate-iam.ts';
import { normalizeAttributes } from '../../src/core/aws/queue.ts';
import { stackTags } from '../../src/core/stack/names.ts';

const awsError = (name: string, message: string, status = 400) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

describe('toKedactlError', () => {
  it('AccessDenied names the permission, the resource and what to do', () => {
    const e = toKedactlError(
      awsError('AccessDenied', 'User: arn:aws:iam::1:user/x is not authorized to perform: iam:CreateRole'),
      'iam',
      'CreateRole',
      'kedactl-demo-consumer',
    );
    expect(e).toBeInstanceOf(ExternalError);
    expect(e.message).toBe(
      'IAM CreateRole: access denied on kedactl-demo-consumer: User: arn:aws:iam::1:user/x is not authorized to perform: iam:CreateRole',
    );
    expect((e as ExternalError).next).toBe(
      'grant iam:CreateRole on kedactl-demo-consumer to the identity kedactl runs as (see "aws sts get-caller-identity"), then run again',
    );
  });
  it('missing or rejected credentials are a usage error that says how to set them', () => {
    const missing = toKedactlError(
      Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }),
      'sts',
      'GetCallerIdentity',
      '',
    );
    expect(missing).toBeInstanceOf(UsageError);
    expect((missing as UsageError).next).toMatch(/^set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
    expect(toKedactlError(awsError('ExpiredToken', 'expired'), 'sqs', 'GetQueueUrl', 'q')).toBeInstanceOf(UsageError);
  });
  it('a name reused within 60 s says to wait', () => {
    const e = toKedactlError(awsError('QueueDeletedRecently', 'wait'), 'sqs', 'CreateQueue', 'demo-queue');
    expect(e.message).toBe('SQS CreateQueue: queue demo-queue was deleted less than 60 seconds ago and its name cannot be reused yet');
  });
  it('an unreachable endpoint points at --endpoint-url', () => {
    const e = toKedactlError(
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      'sqs',
      'GetQueueUrl',
      'q',
    );
    expect((e as ExternalError).next).toContain('--endpoint-url');
  });
  it('keeps kedactl errors as they are', () => {
    const u = new UsageError('x');
    expect(toKedactlError(u, 'sqs', 'X', '')).toBe(u);
  });
});

describe('parsePolicy', () => {
  const doc = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:us-east-1:123456789012:q' }],
  };
  it('reads URL-encoded documents (AWS) and plain ones (emulators)', () => {
    expect(parsePolicy(encodeURIComponent(JSON.stringify(doc)))).toEqual(doc);
    expect(parsePolicy(JSON.stringify(doc))).toEqual(doc);
  });
});

describe('ownership by tags', () => {
  it('needs both the manager and the stack tag', () => {
    expect(ownedBy(stackTags('demo'), 'demo')).toBe(true);
    expect(ownedBy(stackTags('demo'), 'other')).toBe(false);
    expect(ownedBy({ 'kedactl.io/stack': 'demo' }, 'demo')).toBe(false);
    expect(ownedBy(undefined, 'demo')).toBe(false);
  });
  it('says whose a conflicting resource is', () => {
    expect(conflictMessage('SQS queue', 'q', 'demo', stackTags('other'))).toBe(
      'SQS queue "q" already exists and is not part of stack "demo" (it belongs to kedactl stack "other")',
    );
    expect(conflictMessage('IAM role', 'r', 'demo', {})).toBe(
      'IAM role "r" already exists and is not part of stack "demo" (it is not tagged by kedactl)',
    );
  });
});

describe('normalizeAttributes', () => {
  it('writes RedrivePolicy the way kedactl does, so SQS formatting is not drift', () => {
    const out = normalizeAttributes({ RedrivePolicy: '{"deadLetterTargetArn": "arn:x", "maxReceiveCount": "5"}', VisibilityTimeout: '90' });
    expect(out).toEqual({ RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:x', maxReceiveCount: 5 }), VisibilityTimeout: '90' });
  });
});

describe('federatedPrincipals', () => {
  it('lists the OIDC providers a trust policy names', () => {
    expect(
      federatedPrincipals({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Federated: 'arn:aws:iam::1:oidc-provider/a' }, Action: 'sts:AssumeRoleWithWebIdentity' },
          { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::1:role/x' }, Action: 'sts:AssumeRole' },
          { Effect: 'Allow', Principal: { Federated: ['arn:aws:iam::1:oidc-provider/b'] }, Action: 'sts:AssumeRoleWithWebIdentity' },
        ],
      }),
    ).toEqual(['arn:aws:iam::1:oidc-provider/a', 'arn:aws:iam::1:oidc-provider/b']);
  });
});

describe('waitForRole', () => {
  const iamSeeingAfter = (n: number) => {
    let calls = 0;
    return {
      iam: {
        getRole: async () => (++calls > n ? { name: 'r', arn: 'a', trust: { Version: '2012-10-17', Statement: [] }, tags: {} } : undefined),
      } as unknown as IamPort,
      calls: () => calls,
    };
  };
  it('polls with growing waits until IAM shows the role', async () => {
    const waits: number[] = [];
    const { iam, calls } = iamSeeingAfter(3);
    await waitForRole(iam, 'r', { sleep: async (ms) => void waits.push(ms) });
    expect(calls()).toBe(4);
    expect(waits).toEqual([250, 500, 1000]);
  });
  it('gives up after the bound with a next step', async () => {
    const { iam } = iamSeeingAfter(100);
    const e = await waitForRole(iam, 'r', { attempts: 3, sleep: async () => {} }).catch((x) => x);
    expect(e).toBeInstanceOf(ExternalError);
    expect(e.message).toBe('IAM GetRole: role r was created but is still not visible after 3 checks');
  });
});

describe('mapLimit', () => {
  it('keeps order and never runs more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (x) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, x));
      running--;
      return x * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
  });
});
