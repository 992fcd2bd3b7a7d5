// simulate reads the settings a stack recorded on its cluster, like every other command: from a folder with
// no kedactl.yaml, `simulate --stack NAME` simulates the ScaledJob the stack was applied with, not the
// defaults; a flag still wins over the record.
import { describe, expect, it } from 'vitest';
import { admin, uniqueStack } from '../support/kube-test-rig.ts';
import { rig, useKubeRig } from '../support/kube-file-rig.ts';
import { runCli } from '../support/run-cli.ts';

useKubeRig();

describe('simulate and the stack record', () => {
  it('simulates with the recorded settings; a flag wins over the record; --compare keeps the record under each run', async () => {
    const stack = uniqueStack('simrec');
    const ns = `${stack}-work`;
    const labels = { 'app.kubernetes.io/managed-by': 'kedactl', 'kedactl.io/stack': stack };
    expect(
      (await admin(rig, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels } })).status,
    ).toBe(201);
    // the record as init writes it (src/core/stack/recorded.ts): one key per setting, labelled with the stack
    const record = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `${stack}-settings`, namespace: ns, labels: { ...labels, 'kedactl.io/record': 'settings' } },
      data: { stack, namespace: ns, maxReplicas: '7', processingTime: '10' },
    };
    expect((await admin(rig, 'POST', `/api/v1/namespaces/${ns}/configmaps`, record)).status).toBe(201);

    const sim = async (...args: string[]) => {
      const r = await runCli(['simulate', '--stack', stack, '--kubeconfig', rig.kubeconfigPath, '--count', '100', '-o', 'json', ...args]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout);
    };
    const recorded = await sim();
    expect(recorded.runs[0].stack).toMatchObject({ maxReplicas: 7, processingTime: 10, visibilityTimeout: 70 });
    expect(recorded.runs[0].result.peakJobs).toBe(7);

    expect((await sim('--max-replicas', '3')).runs[0].result.peakJobs).toBe(3);

    const compared = await sim('--compare', 'strategy=default,eager');
    expect(compared.runs.map((r: { stack: { maxReplicas: number; strategy: string } }) => [r.stack.strategy, r.stack.maxReplicas])).toEqual(
      [
        ['default', 7],
        ['eager', 7],
      ],
    );

    // without the cluster (no kubeconfig) the same command simulates the defaults
    const bare = await runCli(['simulate', '--stack', stack, '--count', '100', '-o', 'json']);
    expect(bare.code).toBe(0);
    expect(JSON.parse(bare.stdout).runs[0].stack.maxReplicas).not.toBe(7);
  });
});
