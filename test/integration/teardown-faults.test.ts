// Teardown when AWS refuses to show what it has: AccessDenied and throttling that outlasts the SDK's
// retries on the tag reads (and on listing a role's policies) are injected as SDK middleware into the
// CLI's own clients; everything else is real moto. A resource kedactl cannot read is never "not the
// stack's": the command exits 1 naming it, the call and the permission, and a later run finishes.
import { describe, expect, it } from 'vitest';
import { ownedBy } from '../../src/core/aws/tags.ts';
import { stackTags } from '../../src/core/stack/names.ts';
import { uniqueStack } from '../support/moto.ts';
import { accessDeniedError, motoCliEnv, testAws, testDecorate, throttlingError, type Fault } from '../support/aws.ts';
import { runCli } from '../support/run-cli.ts';

const stack = uniqueStack('tdf');
const queue = `${stack}-queue`;
const consumer = `kedactl-${stack}-consumer`;
const scaler = `kedactl-${stack}-scaler`;
const operator = `kedactl-${stack}-keda-operator`;
/** tagged with the stack, but not a name its settings give (as if left from an earlier --queue-name) */
const stray = `${stack}-old`;
const env = motoCliEnv();
const awsOnly = ['--stack', stack, '--skip', 'kubernetes', '--skip', 'keda'];
const issuer = ['--oidc-issuer', `https://oidc.example.com/${stack}`];
const provider = `arn:aws:iam::123456789012:oidc-provider/oidc.example.com/${stack}`;
const teardown = (fault?: Fault, maxAttempts?: number) =>
  runCli(['teardown', ...awsOnly, '--yes'], {
    env,
    awsClient: fault ? { decorate: testDecorate({ fault }), ...(maxAttempts ? { maxAttempts } : {}) } : undefined,
  });

/** the names of the stack's queues and roles that exist, read with clients that see no faults */
async function left(): Promise<string[]> {
  const aws = testAws();
  const out: string[] = [];
  for (const url of await aws.sqs.listQueues(stack)) if (ownedBy(await aws.sqs.listQueueTags(url), stack)) out.push(url.split('/').pop()!);
  for (const r of await aws.iam.listRoles(`kedactl-${stack}-`)) out.push(r.name);
  return out.sort();
}

describe('teardown when AWS refuses the tag reads (moto + injected faults)', () => {
  it('creates the stack (queue, three roles, OIDC provider)', async () => {
    const r = await runCli(['init', ...awsOnly, ...issuer, '--create-oidc-provider', '--yes'], { env });
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(await left()).toEqual([consumer, operator, scaler, queue].sort());
  });

  it('status names a queue tagged with the stack that its settings do not name, and one whose tags it cannot read', async () => {
    await testAws().sqs.createQueue(stray, {}, stackTags(stack));
    const seen = await runCli(['status', ...awsOnly, ...issuer], { env });
    expect(seen.stderr).not.toContain('next:');
    expect(seen.code).toBe(1);
    expect(seen.stdout).toContain(`SQS queue ${stray} is tagged with stack "${stack}" but its settings do not name it`);
    const denied = await runCli(['status', ...awsOnly, ...issuer, '-o', 'json'], {
      env,
      awsClient: {
        decorate: testDecorate({
          fault: (cmd, input) =>
            cmd === 'ListQueueTagsCommand' && String(input.QueueUrl).endsWith(`/${stray}`)
              ? { throw: accessDeniedError('sqs:ListQueueTags') }
              : undefined,
        }),
      },
    });
    expect(denied.code).toBe(1);
    const json = JSON.parse(denied.stdout);
    expect(json.strays).toEqual([]);
    expect(json.unreadable).toEqual([expect.stringContaining(`SQS queue ${stray}: SQS ListQueueTags: access denied on ${stray}`)]);
    expect(json.problems).toContainEqual(expect.stringContaining(`could not tell whether SQS queue ${stray} is the stack's`));
    expect(json.problems).toContainEqual(expect.stringContaining(`grant sqs:ListQueueTags on ${stray}`));
  });

  it('AccessDenied on ListQueueTags and ListRoleTags: exit 1 naming the queue, the role, the calls and the permissions; the rest is deleted', async () => {
    const r = await teardown((cmd, input) => {
      if (cmd === 'ListQueueTagsCommand' && String(input.QueueUrl).endsWith(`/${queue}`))
        return { throw: accessDeniedError('sqs:ListQueueTags') };
      if (cmd === 'ListRoleTagsCommand' && input.RoleName === consumer) return { throw: accessDeniedError('iam:ListRoleTags') };
      return undefined;
    });
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('nothing left');
    expect(r.stderr).toContain('2 resources could not be read or deleted, so they were left as they are');
    expect(r.stderr).toContain(`SQS queue ${queue}: SQS ListQueueTags: access denied on ${queue}`);
    expect(r.stderr).toContain(`IAM role ${consumer}: IAM ListRoleTags: access denied on ${consumer}`);
    expect(r.stderr).toContain(`grant sqs:ListQueueTags on ${queue}`);
    expect(r.stderr).toContain(`grant iam:ListRoleTags on ${consumer}`);
    expect(r.stderr).toContain('run "kedactl teardown" again');
    expect(r.stderr).toContain(
      `deleted: IAM role ${operator}, IAM role ${scaler}, SQS queue ${stray}:\n  - IAM role ${consumer}: IAM ListRoleTags: access denied on ${consumer}: `,
    );
    expect(r.stderr).toContain(`\n  - SQS queue ${queue}: SQS ListQueueTags: access denied on ${queue}: `);
    expect(r.stderr).toContain(
      `next: grant iam:ListRoleTags on ${consumer} to the identity kedactl runs as (see "aws sts get-caller-identity"); grant sqs:ListQueueTags on ${queue} to the identity kedactl runs as (see "aws sts get-caller-identity"); then run "kedactl teardown" again: it continues with what is left\n`,
    );
    // what could be told apart was deleted; what could not, stays
    expect(await left()).toEqual([consumer, queue].sort());
  });

  it("AccessDenied listing a role's inline policies names ListRolePolicies, not a DeleteRole conflict, and keeps the role", async () => {
    const r = await teardown((cmd, input) =>
      cmd === 'ListRolePoliciesCommand' && input.RoleName === consumer ? { throw: accessDeniedError('iam:ListRolePolicies') } : undefined,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`IAM role ${consumer}: IAM ListRolePolicies: access denied on ${consumer}`);
    expect(r.stderr).toContain(`grant iam:ListRolePolicies on ${consumer}`);
    expect(r.stderr).not.toMatch(/DeleteConflict|DeleteRole/);
    // the queue was readable this time, so it is gone; the role stays
    expect(await left()).toEqual([consumer]);
  });

  it('throttling that outlasts the retries, with nothing else found: exit 1 and "nothing was deleted", never "nothing left"', async () => {
    const calls: string[] = [];
    const r = await teardown((cmd, input) => {
      if (cmd === 'ListRoleTagsCommand' && input.RoleName === consumer) {
        calls.push(cmd);
        return { throw: throttlingError() };
      }
      return undefined;
    }, 2);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`1 resource could not be read or deleted, so it was left as it is; nothing was deleted:`);
    expect(r.stderr).toContain(`IAM role ${consumer}: IAM ListRoleTags: still throttled after retries on ${consumer}`);
    expect(calls).toEqual(['ListRoleTagsCommand', 'ListRoleTagsCommand']); // the SDK retried it
    expect(await left()).toEqual([consumer]);
  });

  it('throttling that passes is retried; a provider IAM will not delete is named, and the role is gone', async () => {
    let throttled = 0;
    const r = await teardown((cmd, input) => {
      if (cmd === 'ListRoleTagsCommand' && input.RoleName === consumer && throttled < 2) {
        throttled++;
        return { throw: throttlingError() };
      }
      if (cmd === 'DeleteOpenIDConnectProviderCommand') return { throw: accessDeniedError('iam:DeleteOpenIDConnectProvider') };
      return undefined;
    });
    expect(throttled).toBe(2);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `deleted: IAM role ${consumer}:\n  - IAM OIDC provider ${provider}: IAM DeleteOpenIDConnectProvider: access denied on ${provider}`,
    );
    expect(r.stderr).toContain(`grant iam:DeleteOpenIDConnectProvider on ${provider}`);
    expect(await left()).toEqual([]);
  });

  it('the provider left behind is found by the next teardown (not "nothing left"), deleted, and then nothing is left', async () => {
    const r = await teardown();
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`Stack "${stack}" has:\n  - IAM OIDC provider ${provider}\n`);
    expect(r.stdout).toContain(`AWS: deleted IAM OIDC provider ${provider}`);
    const again = await teardown();
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(`nothing left of stack "${stack}" (not looked at: kubernetes, keda)\n`);
  });
});
