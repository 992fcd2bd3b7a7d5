// A stack remembers what it was made with, on its cluster: later commands from any folder, with only
// the stack's name and its cluster, compare the cluster with what init applied, not with today's
// defaults; a flag that differs from the record is a change the plan shows. A non-interactive init
// saves kedactl.yaml too, unless told not to.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HEADER } from '../../src/core/stack/config-file.ts';
import { admin, uniqueStack } from '../support/kube-test-rig.ts';
import { rig, useKubeRig } from '../support/kube-file-rig.ts';
import { namespaceController } from '../support/controllers.ts';
import { runCli } from '../support/run-cli.ts';

useKubeRig();

const ids = [
  '--region',
  'eu-west-1',
  '--account-id',
  '123456789012',
  '--oidc-issuer',
  'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE',
];
const kubePart = ['--skip', 'aws', '--skip', 'keda'];

describe('what a stack was made with', () => {
  const stack = uniqueStack('rec');
  const ns = `${stack}-work`;

  it('init without a config file records its settings on the cluster; plan from another folder sees no drift', async () => {
    const here = mkdtempSync(join(tmpdir(), 'kedactl-rec-'));
    const init = await runCli(
      [
        'init',
        '--stack',
        stack,
        '-n',
        ns,
        ...ids,
        '--kubeconfig',
        rig.kubeconfigPath,
        ...kubePart,
        '--max-replicas',
        '20',
        '--polling-interval',
        '2',
        '--no-wait',
        '--yes',
        '--no-write-config',
      ],
      { cwd: here },
    );
    expect(init.stderr).not.toMatch(/error/i);
    expect(init.code).toBe(0);
    expect(existsSync(join(here, 'kedactl.yaml'))).toBe(false);
    const record = (await admin(rig, 'GET', `/api/v1/namespaces/${ns}/configmaps/${stack}-settings`)).json();
    expect(record.metadata.labels).toMatchObject({ 'kedactl.io/stack': stack, 'app.kubernetes.io/managed-by': 'kedactl' });
    expect(record.data).toMatchObject({ stack, namespace: ns, maxReplicas: '20', pollingInterval: '2', region: 'eu-west-1' });
    // where this machine connects from is not the stack's: never recorded
    expect(record.data).not.toHaveProperty('kubeconfig');

    // another folder, only the stack's name and the cluster: no namespace, no region, no tuning flags
    const plan = await runCli([
      'plan',
      '--stack',
      stack,
      '--kubeconfig',
      rig.kubeconfigPath,
      ...kubePart,
      '--account-id',
      '123456789012',
      '--oidc-issuer',
      'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE',
      '-o',
      'json',
    ]);
    expect(plan.code).toBe(0);
    const p = JSON.parse(plan.stdout);
    const kube = p.changes.filter((c: { group: string }) => c.group === 'kubernetes');
    expect(kube.length).toBeGreaterThan(0);
    expect(kube.filter((c: { action: string }) => c.action !== 'unchanged')).toEqual([]);
    expect(kube.every((c: { namespace?: string; kind: string }) => c.kind === 'Namespace' || c.namespace === ns)).toBe(true);
  });

  it('a flag that differs from the record is a change the plan shows, and init applies it (and records it)', async () => {
    const flags = [
      '--stack',
      stack,
      '--kubeconfig',
      rig.kubeconfigPath,
      ...kubePart,
      '--account-id',
      '123456789012',
      '--oidc-issuer',
      'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE',
    ];
    const plan = JSON.parse((await runCli(['plan', ...flags, '--max-replicas', '30', '-o', 'json'])).stdout);
    const sj = plan.changes.find((c: { kind: string }) => c.kind === 'ScaledJob');
    expect(sj).toMatchObject({ action: 'update', namespace: ns });
    expect(sj.details).toEqual(['spec.maxReplicaCount: 20 -> 30']);
    expect(
      plan.changes.find((c: { kind: string; name: string }) => c.kind === 'ConfigMap' && c.name === `${stack}-settings`).details,
    ).toEqual(['data.maxReplicas: 20 -> 30']);

    const here = mkdtempSync(join(tmpdir(), 'kedactl-rec-'));
    const init = await runCli(['init', ...flags, '--max-replicas', '30', '--no-wait', '--yes'], { cwd: here });
    expect(init.code).toBe(0);
    const sjLive = (await admin(rig, 'GET', `/apis/keda.sh/v1alpha1/namespaces/${ns}/scaledjobs/${stack}-processor`)).json();
    expect(sjLive.spec).toMatchObject({ maxReplicaCount: 30, pollingInterval: 2 });
    // a non-interactive init saves kedactl.yaml where it ran: what this run was given, not what it read from
    // the record (namespace, region, pollingInterval) nor anything derived
    expect(init.stderr).toContain(`settings saved to ${join(here, 'kedactl.yaml')}`);
    expect(readFileSync(join(here, 'kedactl.yaml'), 'utf8')).toBe(
      `${HEADER}\nstack: ${stack}\naccountId: "123456789012"\noidcIssuer: https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE\nkubeconfig: ${rig.kubeconfigPath}\nmaxReplicas: 30\n`,
    );
    // the file and the record together still make the stack: a plan from the folder with no flags changes nothing
    const fromFolder = JSON.parse((await runCli(['plan', ...kubePart, '-o', 'json'], { cwd: here })).stdout);
    expect(
      fromFolder.changes.filter((c: { group: string; action: string }) => c.group === 'kubernetes' && c.action !== 'unchanged'),
    ).toEqual([]);
    expect(fromFolder.changes.find((c: { kind: string }) => c.kind === 'ScaledJob')).toMatchObject({ namespace: ns });

    // running init again with only the name changes nothing: the record keeps 30, not the default 100
    const again = await runCli(['init', ...flags, '--no-wait', '--yes', '--no-write-config']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`stack "${stack}" is up to date: nothing to do`);
  });

  it('teardown with only the name finds the namespace from the record and removes the record with the rest', async () => {
    const stop = namespaceController(rig, ns);
    const down = await runCli([
      'teardown',
      '--stack',
      stack,
      '--kubeconfig',
      rig.kubeconfigPath,
      '--region',
      'eu-west-1',
      '--skip',
      'aws',
      '--yes',
    ]).finally(stop);
    expect(down.code).toBe(0);
    expect((await admin(rig, 'GET', `/api/v1/namespaces/${ns}/configmaps/${stack}-settings`)).status).toBe(404);
  });
});
