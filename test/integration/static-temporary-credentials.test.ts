// Static mode with temporary credentials, issued by moto's STS AssumeRole as SSO or an assumed role
// would issue them (key id, secret, session token, expiry), handed to kedactl the way the aws CLI exports
// them (AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION). Real moto, real kube-apiserver; KEDA is skipped.
import { describe, expect, it } from 'vitest';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { motoCliEnv, REGION } from '../support/aws.ts';
import { MOTO_ENV, motoEndpoint } from '../support/moto.ts';
import { rig, useKubeRig } from '../support/kube-file-rig.ts';
import { admin, uniqueStack } from '../support/kube-test-rig.ts';
import { runBin, runCli } from '../support/run-cli.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

useKubeRig();
const stack = uniqueStack('tmpc');
const flags = ['--stack', stack, '--auth', 'static', '--skip', 'keda'];
const initFlags = [...flags, '--no-wait', '--yes'];

/** Temporary credentials from moto's STS, as the env of a shell after `aws configure export-credentials --format env`. */
async function temporaryCredentials(seconds: number) {
  const sts = new STSClient({
    region: REGION,
    endpoint: motoEndpoint(),
    credentials: { accessKeyId: MOTO_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: MOTO_ENV.AWS_SECRET_ACCESS_KEY },
  });
  const r = await sts.send(
    new AssumeRoleCommand({
      RoleArn: 'arn:aws:iam::123456789012:role/platform-engineer',
      RoleSessionName: stack,
      DurationSeconds: seconds,
    }),
  );
  const c = r.Credentials!;
  expect(c.SessionToken).toBeTruthy();
  const creds = {
    accessKeyId: c.AccessKeyId!,
    secretAccessKey: c.SecretAccessKey!,
    sessionToken: c.SessionToken!,
    expiration: c.Expiration!.toISOString(),
  };
  const env = motoCliEnv({
    KUBECONFIG: rig.kubeconfigPath,
    AWS_ACCESS_KEY_ID: creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
    AWS_SESSION_TOKEN: creds.sessionToken,
    AWS_CREDENTIAL_EXPIRATION: creds.expiration,
  });
  return { creds, env };
}

async function secret(): Promise<{ data: Record<string, string>; annotations: Record<string, string> }> {
  const r = await admin(rig, 'GET', `/api/v1/namespaces/${stack}/secrets/${stack}-aws-credentials`);
  expect(r.status).toBe(200);
  const s = r.json();
  return {
    data: Object.fromEntries(
      Object.entries(s.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
    ),
    annotations: s.metadata.annotations ?? {},
  };
}

const secretsIn = (text: string, c: { secretAccessKey: string; sessionToken: string }) =>
  text.includes(c.secretAccessKey) || text.includes(c.sessionToken);

describe('static mode with temporary credentials (moto STS + kube-apiserver)', () => {
  it('the plan says the credentials are temporary and when they expire, without showing them', async () => {
    const { creds, env } = await temporaryCredentials(3600);
    const json = await runCli(['plan', ...flags, '-o', 'json'], { env });
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).credentials).toEqual({ temporary: true, expiresAt: creds.expiration });
    const text = await runCli(['plan', ...flags], { env });
    expect(text.stdout).toContain(
      `The stack's Secret gets temporary AWS credentials (a session token); they expire at ${creds.expiration} (in `,
    );
    expect(secretsIn(json.stdout + json.stderr + text.stdout + text.stderr, creds)).toBe(false);
  });

  it('init puts the session token and the expiry where KEDA and the aws CLI read them; a re-run changes nothing', async () => {
    const { creds, env } = await temporaryCredentials(3600);
    const r = await runCli(['init', ...initFlags], { env });
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(secretsIn(r.stdout + r.stderr, creds)).toBe(false);
    const s = await secret();
    expect(s.data).toMatchObject({
      AWS_ACCESS_KEY_ID: creds.accessKeyId,
      AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
      AWS_SESSION_TOKEN: creds.sessionToken,
      AWS_CREDENTIAL_EXPIRATION: creds.expiration,
    });
    expect(s.annotations['kedactl.io/credentials-expire-at']).toBe(creds.expiration);
    const ta = (await admin(rig, 'GET', `/apis/keda.sh/v1alpha1/namespaces/${stack}/triggerauthentications/${stack}-aws`)).json();
    expect(ta.spec.secretTargetRef).toContainEqual({
      parameter: 'awsSessionToken',
      name: `${stack}-aws-credentials`,
      key: 'AWS_SESSION_TOKEN',
    });
    const again = await runCli(['init', ...initFlags], { env });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(`stack "${stack}" is up to date: nothing to do\n`);
  });

  it('status flags credentials in the Secret that have expired, with the command that refreshes them', async () => {
    const short = await temporaryCredentials(2);
    const r = await runCli(['init', ...initFlags], { env: short.env });
    expect(r.code).toBe(0);
    expect((await secret()).data.AWS_SESSION_TOKEN).toBe(short.creds.sessionToken);
    await new Promise((done) => setTimeout(done, Math.max(0, Date.parse(short.creds.expiration) - Date.now()) + 1000));

    // the user's own credentials are fresh again; the Secret's are not
    const { env } = await temporaryCredentials(3600);
    const st = await runCli(['status', ...flags, '-o', 'json'], { env });
    expect(st.code).toBe(1);
    const json = JSON.parse(st.stdout);
    expect(json.credentials).toEqual({
      secret: `${stack}/${stack}-aws-credentials`,
      temporary: true,
      expiresAt: short.creds.expiration,
      expired: true,
    });
    expect(json.problems).toContainEqual(
      `the temporary AWS credentials in Secret ${stack}/${stack}-aws-credentials expired at ${short.creds.expiration}: KEDA and the Jobs can no longer read the queue. ` +
        'Refresh your credentials ("aws sso login", or assume the role again), then run "kedactl init", which rewrites the Secret',
    );
    expect(secretsIn(st.stdout + st.stderr, short.creds)).toBe(false);
    const text = await runCli(['status', ...flags], { env });
    expect(text.stdout).toContain(
      `✗ AWS credentials in Secret ${stack}/${stack}-aws-credentials: temporary, expired at ${short.creds.expiration}`,
    );

    // ...and re-running init is that refresh
    expect((await runCli(['init', ...initFlags], { env })).code).toBe(0);
    const after = JSON.parse((await runCli(['status', ...flags, '-o', 'json'], { env })).stdout);
    expect(after.credentials.expired).toBe(false);
    expect(after.problems.join('\n')).not.toContain('expired');
  }, 60_000);

  it('status without a region says AWS was not checked rather than leaving it out', async () => {
    const { env } = await temporaryCredentials(3600);
    // a stack the cluster holds no record of: nothing says its region (the record would, for `stack`)
    const unrecorded = uniqueStack('tmpn');
    const r = await runCli(['status', '--stack', unrecorded, '--auth', 'static', '--skip', 'keda', '-o', 'json'], {
      env: { ...env, AWS_REGION: undefined },
    });
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json.queue).toBeUndefined();
    expect(json.problems[0]).toBe(
      'AWS not checked: no region is set, so the queue and the IAM roles are unknown; pass --region (or set AWS_REGION), or --skip aws',
    );
  });

  it('status without a region takes it from what the stack recorded on its cluster', async () => {
    const { env } = await temporaryCredentials(3600);
    const r = await runCli(['status', ...flags, '-o', 'json'], { env: { ...env, AWS_REGION: undefined } });
    const json = JSON.parse(r.stdout);
    expect(json.problems.join('\n')).not.toContain('AWS not checked');
    expect(json.queue).toBeDefined();
  });

  it('long-term keys after temporary ones: the token and expiry leave the Secret', async () => {
    const env = motoCliEnv({ KUBECONFIG: rig.kubeconfigPath });
    expect((await runCli(['init', ...initFlags], { env })).code).toBe(0);
    const s = await secret();
    expect(Object.keys(s.data).sort()).toEqual(['AWS_ACCESS_KEY_ID', 'AWS_ENDPOINT_URL', 'AWS_REGION', 'AWS_SECRET_ACCESS_KEY']);
    expect(s.annotations).not.toHaveProperty('kedactl.io/credentials-expire-at');
  });

  it('init refuses credentials that have already expired, before changing anything', async () => {
    const { env } = await temporaryCredentials(3600);
    const past = new Date(Date.now() - 60_000).toISOString();
    const r = await runCli(['init', ...initFlags], { env: { ...env, AWS_CREDENTIAL_EXPIRATION: past } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: your AWS credentials expired at ${past}`);
    expect(r.stderr).toContain('next: refresh them ("aws sso login", or assume the role again)');
    expect(Object.keys((await secret()).data)).not.toContain('AWS_SESSION_TOKEN');
  });

  it('a profile whose credential_process hands out temporary credentials: their expiry reaches the plan', async () => {
    const { creds } = await temporaryCredentials(3600);
    const dir = mkdtempSync(join(tmpdir(), 'tmpc-'));
    const answer = (expiration: string) =>
      writeFileSync(
        join(dir, 'creds.json'),
        JSON.stringify({
          Version: 1,
          AccessKeyId: creds.accessKeyId,
          SecretAccessKey: creds.secretAccessKey,
          SessionToken: creds.sessionToken,
          Expiration: expiration,
        }),
      );
    writeFileSync(join(dir, 'config'), `[profile sso-like]\ncredential_process = cat ${join(dir, 'creds.json')}\n`);
    // a child process, so the SDK's shared-config loader reads this AWS_CONFIG_FILE and nothing of the machine's
    const env = {
      ...motoCliEnv({ KUBECONFIG: rig.kubeconfigPath, AWS_CONFIG_FILE: join(dir, 'config') }),
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
    };
    answer(creds.expiration);
    const r = await runBin(['plan', ...flags, '--profile', 'sso-like', '-o', 'json'], { env });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).credentials).toEqual({ temporary: true, expiresAt: creds.expiration });
    expect(secretsIn(r.stdout, creds)).toBe(false);
  });

  it('teardown removes the queue (the cluster side is cleaned by the file rig)', async () => {
    const r = await runCli(['teardown', '--stack', stack, '--skip', 'kubernetes', '--yes'], { env: motoCliEnv() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`SQS queue ${stack}-queue`);
  });
});
