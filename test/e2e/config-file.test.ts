// kedactl.yaml holds what the user chose, never what kedactl derived, as a new user meets it: init in one
// folder, run again, then another stack from the same folder (while the first lives, and after it was
// torn down), a file edited by hand, and one an older init wrote. Real moto (the queue) and the real
// kube-apiserver (the record, the namespace); KEDA left out (--skip keda). Each step checks the file's
// exact text and the names the plan uses.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HEADER, LEGACY_HEADER } from '../../src/core/stack/config-file.ts';
import { DEFAULT_KEDA_VERSION } from '../../src/core/keda/versions.ts';
import { admin, uniqueStack } from '../support/kube-test-rig.ts';
import { rig, useKubeRig } from '../support/kube-file-rig.ts';
import { namespaceController } from '../support/controllers.ts';
import { motoCliEnv } from '../support/aws.ts';
import { awsState } from '../support/stack-state.ts';
import { runCli, type CliRun } from '../support/run-cli.ts';

useKubeRig();

const env = motoCliEnv();
const endpoint = env.AWS_ENDPOINT_URL!;
/** not settings: they never reach the file */
const run = ['--skip', 'keda', '--no-wait', '--yes'];

const folders: string[] = [];
const made: Array<{ stack: string; cwd: string }> = [];
afterAll(async () => {
  // the queues too: teardown through kedactl, from the folder each stack was made in
  // the last made first: the first stack's OIDC provider goes once no later stack's role uses it
  const once = new Map(made.map((m) => [m.stack, m.cwd]));
  for (const [stack, cwd] of [...once].reverse()) {
    const stop = namespaceController(rig, stack);
    await runCli(['teardown', '--stack', stack, '--kubeconfig', rig.kubeconfigPath, '--region', 'us-east-1', '--skip', 'keda', '--yes'], {
      cwd,
      env,
    }).finally(stop);
  }
  for (const d of folders) rmSync(d, { recursive: true, force: true });
});

function folder(): string {
  const d = mkdtempSync(join(tmpdir(), 'kedactl-cfg-'));
  folders.push(d);
  return d;
}

const fileIn = (cwd: string) => readFileSync(join(cwd, 'kedactl.yaml'), 'utf8');

async function init(cwd: string, stack: string | undefined, flags: string[]): Promise<CliRun> {
  if (stack) made.push({ stack, cwd });
  const r = await runCli(['init', ...(stack ? ['--stack', stack] : []), ...flags, ...run], { cwd, env });
  if (r.code !== 0) throw new Error(`init exited ${r.code}:\n${r.stderr}`);
  return r;
}

interface Names {
  stack?: string;
  queues: string[];
  namespaces: string[];
}

/** The names `kedactl plan` uses from this folder (with these flags): queues, and every Kubernetes namespace. */
async function planNames(cwd: string, flags: string[] = []): Promise<Names & { changed: string[] }> {
  const r = await runCli(['plan', ...flags, '--skip', 'keda', '-o', 'json'], { cwd, env });
  if (r.code !== 0) throw new Error(`plan exited ${r.code}:\n${r.stderr}`);
  const changes = JSON.parse(r.stdout).changes as Array<{ group: string; kind: string; name: string; namespace?: string; action: string }>;
  return {
    queues: changes.filter((c) => c.kind === 'SQS queue').map((c) => c.name),
    namespaces: [...new Set(changes.filter((c) => c.group === 'kubernetes').map((c) => (c.kind === 'Namespace' ? c.name : c.namespace!)))],
    changed: changes.filter((c) => c.action !== 'unchanged').map((c) => `${c.action} ${c.kind} ${c.name}`),
  };
}

describe('kedactl.yaml holds what the user chose', () => {
  it('first run, any number of re-runs, then a second stack from the same folder plans its own names', async () => {
    const here = folder();
    const alpha = uniqueStack('cfa');
    const beta = uniqueStack('cfb');
    // the flags: IRSA with the cluster's issuer (one of this test's own), no namespace, no queue name
    const issuer = `https://oidc.eks.us-east-1.amazonaws.com/id/${alpha.toUpperCase()}`;
    const flags = ['--region', 'us-east-1', '--oidc-issuer', issuer, '--kubeconfig', rig.kubeconfigPath];
    // AWS_ENDPOINT_URL is a variable the user set: theirs too
    const theirs = `${HEADER}\nstack: ${alpha}\nregion: us-east-1\nendpointUrl: ${endpoint}\noidcIssuer: ${issuer}\nkubeconfig: ${rig.kubeconfigPath}\n`;

    await init(here, alpha, [...flags, '--create-oidc-provider']);
    expect(fileIn(here)).toBe(theirs);
    for (let i = 0; i < 2; i++) {
      const again = await init(here, alpha, flags);
      expect(again.stdout).toContain(`stack "${alpha}" is up to date: nothing to do`);
      expect(fileIn(here)).toBe(theirs);
    }
    // and with no flags at all, the file alone
    await init(here, undefined, []);
    expect(fileIn(here)).toBe(theirs);
    expect(await planNames(here)).toEqual({ queues: [`${alpha}-queue`], namespaces: [alpha], changed: [] });

    // the third command: exit 2 before ("SQS queue alpha-queue already exists and is not part of stack beta")
    expect(await planNames(here, ['--stack', beta])).toMatchObject({ queues: [`${beta}-queue`], namespaces: [beta] });
    const second = await init(here, beta, flags);
    expect(second.stderr).toContain(
      `${join(here, 'kedactl.yaml')} names stack "${alpha}"; for stack "${beta}" it gives only what follows the folder (region, endpointUrl, oidcIssuer, kubeconfig)`,
    );
    expect(second.stderr.indexOf('names stack')).toBeLessThan(second.stderr.indexOf('SQS queue'));
    expect(second.stderr).toContain(`+ create    SQS queue ${beta}-queue`);
    expect(second.stderr).toContain(
      `${join(here, 'kedactl.yaml')} names stack "${alpha}" and stays as it is; later commands for "${beta}" need --stack ${beta}`,
    );
    expect(second.stdout).toContain(`kedactl status --stack ${beta}`);
    expect(Object.keys((await awsState(beta)).queues)).toEqual([`${beta}-queue`]);
    expect(fileIn(here)).toBe(theirs);
    expect(await planNames(here, ['--stack', beta])).toEqual({ queues: [`${beta}-queue`], namespaces: [beta], changed: [] });
    expect(await planNames(here)).toEqual({ queues: [`${alpha}-queue`], namespaces: [alpha], changed: [] });
  });

  it('a stack torn down, then another made in that folder: nothing of the first carries over', async () => {
    const here = folder();
    const gone = uniqueStack('cfg');
    const next = uniqueStack('cfn');
    const flags = ['--region', 'us-east-1', '--auth', 'static', '--kubeconfig', rig.kubeconfigPath, '--max-replicas', '20'];
    await init(here, gone, flags);
    await init(here, gone, flags);
    const theirs = `${HEADER}\nstack: ${gone}\nregion: us-east-1\nendpointUrl: ${endpoint}\nkubeconfig: ${rig.kubeconfigPath}\nmaxReplicas: 20\nauth: static\n`;
    expect(fileIn(here)).toBe(theirs);

    const stop = namespaceController(rig, gone);
    const down = await runCli(['teardown', '--skip', 'keda', '--yes'], { cwd: here, env }).finally(stop);
    expect(down.code).toBe(0);
    expect((await awsState(gone)).queues).toEqual({});

    // maxReplicas was chosen for the stack that is gone: the new one scales by its own (the default)
    const made = await init(here, next, ['--region', 'us-east-1']);
    expect(made.stderr).toMatch(
      new RegExp(
        `names stack "${gone}"; for stack "${next}" it gives only what follows the folder \\(region, endpointUrl, kubeconfig, auth\\); maxReplicas \\([^)]*kedactl\\.yaml:6\\) is "${gone}"'s and not used`,
      ),
    );
    expect(Object.keys((await awsState(next)).queues)).toEqual([`${next}-queue`]);
    expect(await planNames(here, ['--stack', next])).toEqual({ queues: [`${next}-queue`], namespaces: [next], changed: [] });
    const sj = (await admin(rig, 'GET', `/apis/keda.sh/v1alpha1/namespaces/${next}/scaledjobs/${next}-processor`)).json();
    expect(sj.spec.maxReplicaCount).toBe(100);
    expect(fileIn(here)).toBe(theirs);
  });

  it('a file written by hand keeps every line, comment and spelling; init adds only what it was given', async () => {
    const here = folder();
    const stack = uniqueStack('cfh');
    const mine = `# our team's stack\nstack: ${stack}\nregion: us-east-1   # N. Virginia\nqueue-name: ${stack}-jobs\nmaxReplicas: 7\n`;
    writeFileSync(join(here, 'kedactl.yaml'), mine);

    await init(here, undefined, ['--auth', 'static', '--kubeconfig', rig.kubeconfigPath]);
    made.push({ stack, cwd: here });
    const after = `# our team's stack\nstack: ${stack}\nregion: us-east-1 # N. Virginia\nqueue-name: ${stack}-jobs\nmaxReplicas: 7\nendpointUrl: ${endpoint}\nkubeconfig: ${rig.kubeconfigPath}\nauth: static\n`;
    expect(fileIn(here)).toBe(after);
    expect(await planNames(here)).toEqual({ queues: [`${stack}-jobs`], namespaces: [stack], changed: [] });

    // a re-run with nothing new leaves it byte for byte; a flag changes its line in place
    await init(here, undefined, []);
    expect(fileIn(here)).toBe(after);
    await init(here, undefined, ['--max-replicas', '9']);
    expect(fileIn(here)).toBe(after.replace('maxReplicas: 7', 'maxReplicas: 9'));
  });

  it('a file an older init pinned derived values in: every command names those lines, and init keeps them', async () => {
    const here = folder();
    const stack = uniqueStack('cfo');
    // what a re-run of the old init wrote: the record's every value, derived names and defaults included
    const old = `${LEGACY_HEADER}\nnamespace: ${stack}\nqueueName: ${stack}-queue\nmaxReplicas: 20\nimage: amazon/aws-cli:2.15.23\nauth: static\nkedaVersion: ${DEFAULT_KEDA_VERSION}\nregion: us-east-1\nendpointUrl: ${endpoint}\nkubeconfig: ${rig.kubeconfigPath}\nstack: ${stack}\n`;
    writeFileSync(join(here, 'kedactl.yaml'), old);
    const path = join(here, 'kedactl.yaml');
    const p = await runCli(['plan', '--skip', 'keda', '-o', 'json'], { cwd: here, env });
    expect(p.code).toBe(0);
    expect(p.stderr).toContain(
      [
        `warning: ${path} was written by an older kedactl init, which also saved values it had derived or taken from its defaults. These lines say what kedactl would use anyway; while they stay, they count as your choice (a later default, such as a newer KEDA or consumer image, does not reach this folder):`,
        `  ${path}:2  namespace: ${stack} (derived from stack)`,
        `  ${path}:3  queueName: ${stack}-queue (derived from stack)`,
        `  ${path}:5  image: amazon/aws-cli:2.15.23 (the default)`,
        `  ${path}:7  kedaVersion: ${DEFAULT_KEDA_VERSION} (the default)`,
        `Delete the lines you did not choose. Keep those you did, and delete the file's first line ("${LEGACY_HEADER}") to stop this warning. Or run kedactl init on a terminal: it asks.`,
      ].join('\n'),
    );
    expect(p.stderr).not.toContain(':4  maxReplicas'); // 20 is no default: the user chose it
    expect(p.stderr).not.toContain(':6  auth'); // static is no default either

    // nothing the user may have written is lost
    await init(here, undefined, []);
    made.push({ stack, cwd: here });
    expect(fileIn(here)).toBe(old);

    // done as told: the warning goes, and the names still follow the stack
    const tidy = old
      .split('\n')
      .filter((l) => !/^(#|namespace:|queueName:|image:|kedaVersion:)/.test(l))
      .join('\n');
    writeFileSync(path, tidy);
    const quiet = await runCli(['plan', '--skip', 'keda', '-o', 'json'], { cwd: here, env });
    expect(quiet.stderr).not.toContain('warning');
    expect(await planNames(here)).toEqual({ queues: [`${stack}-queue`], namespaces: [stack], changed: [] });
  });
});
