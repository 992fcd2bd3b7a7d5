// A stack switching workload kinds against the real API server (KEDA's CRDs installed, no controllers):
// the plan names what goes (the old kind's objects, with what that does to work in progress) and what
// comes, init deletes the old kind before it applies the new one (two workloads never consume one queue
// at once), a re-run plans nothing for the cluster, and teardown leaves nothing of either kind.
import { describe, expect, it } from 'vitest';
import { createKube, loadKubeConfig } from '../../src/adapters/kube.ts';
import type { Kube } from '../../src/core/kube/ports.ts';
import { desiredStack } from '../../src/core/stack/desired.ts';
import { applyKube, observeKube } from '../../src/core/kube/stack.ts';
import { teardownKube } from '../../src/core/kube/teardown.ts';
import { plan } from '../../src/core/stack/plan.ts';
import { planText } from '../../src/ui/plan-text.ts';
import { recordingProgress } from '../../src/core/progress.ts';
import { rig, settings, useKubeRig } from '../support/kube-file-rig.ts';
import { uniqueStack } from '../support/kube-test-rig.ts';
import { namespaceController } from '../support/controllers.ts';

useKubeRig();

const exists = async (kube: Kube, kind: string, apiVersion: string, ns: string, name: string) =>
  Boolean(await kube.get({ apiVersion, kind, namespace: ns, name }));

describe('switching a stack between the job and deployment workloads', () => {
  it('plans the old kind away, deletes it before applying the new one, and tears both kinds down', async () => {
    const stack = uniqueStack('switch');
    const kube = createKube(loadKubeConfig({ kubeconfig: rig.kubeconfigPath, env: {} }));
    const as = (workload: 'job' | 'deployment') => desiredStack(settings({ stack, workload }));

    // a job stack, applied
    const job = await as('job');
    await applyKube(job, kube, recordingProgress(), { wait: false });
    expect(await exists(kube, 'ScaledJob', 'keda.sh/v1alpha1', stack, `${stack}-processor`)).toBe(true);

    // switching to deployment: the plan shows the ScaledJob going and the Deployment + ScaledObject coming
    const dep = await as('deployment');
    const p = plan(dep, await observeKube(dep, kube));
    const kubeChanges = p.changes.filter((c) => c.group === 'kubernetes' && c.action !== 'unchanged');
    expect(kubeChanges.map((c) => `${c.action} ${c.kind}/${c.name}`).sort()).toEqual(
      [
        `create Deployment/${stack}-processor`,
        `create ScaledObject/${stack}-processor`,
        `delete ScaledJob/${stack}-processor`,
        // the consumer script's ConfigMap now holds the loop
        `update ConfigMap/${stack}-consumer-script`,
        // the record of the settings says workload: deployment
        `update ConfigMap/${stack}-settings`,
      ].sort(),
    );
    expect(planText(p, false)).toMatch(/- delete +ScaledJob .*\n.*the job workload's; the stack now runs the deployment workload/);

    const progress = recordingProgress();
    const r = await applyKube(dep, kube, progress, { wait: false });
    expect(r.deleted).toEqual([`ScaledJob ${stack}/${stack}-processor`]);
    expect(await exists(kube, 'ScaledJob', 'keda.sh/v1alpha1', stack, `${stack}-processor`)).toBe(false);
    expect(await exists(kube, 'ScaledObject', 'keda.sh/v1alpha1', stack, `${stack}-processor`)).toBe(true);
    expect(await exists(kube, 'Deployment', 'apps/v1', stack, `${stack}-processor`)).toBe(true);
    // the old kind went before anything of the new kind was written
    const steps = progress.steps.map((s) => s.title);
    const deleteAt = steps.findIndex((s) => s.startsWith('Deleting the job workload'));
    const applyAt = steps.findIndex((s) => s.startsWith('Applying'));
    expect(deleteAt).toBeGreaterThanOrEqual(0);
    expect(deleteAt).toBeLessThan(applyAt);

    // converged: a re-run plans nothing
    const again = plan(dep, await observeKube(dep, kube));
    expect(again.changes.filter((c) => c.group === 'kubernetes' && c.action !== 'unchanged')).toEqual([]);

    // and back: the ScaledObject and the consumer Deployment go, the ScaledJob comes
    const back = await as('job');
    const p2 = plan(back, await observeKube(back, kube));
    expect(p2.changes.filter((c) => c.action === 'delete').map((c) => `${c.kind}/${c.name}`)).toEqual([
      `ScaledObject/${stack}-processor`,
      `Deployment/${stack}-processor`,
    ]);
    await applyKube(back, kube, recordingProgress(), { wait: false });
    expect(await exists(kube, 'ScaledObject', 'keda.sh/v1alpha1', stack, `${stack}-processor`)).toBe(false);
    expect(await exists(kube, 'Deployment', 'apps/v1', stack, `${stack}-processor`)).toBe(false);
    expect(await exists(kube, 'ScaledJob', 'keda.sh/v1alpha1', stack, `${stack}-processor`)).toBe(true);

    // one more switch, then teardown: nothing of either kind is left
    await applyKube(await as('deployment'), kube, recordingProgress(), { wait: false });
    const stop = namespaceController(rig, stack);
    try {
      await teardownKube(stack, kube, undefined, recordingProgress(), { timeoutMs: 30_000, namespaceTimeoutMs: 20_000, intervalMs: 200 });
    } finally {
      stop();
    }
    for (const [kind, apiVersion] of [
      ['ScaledObject', 'keda.sh/v1alpha1'],
      ['ScaledJob', 'keda.sh/v1alpha1'],
      ['Deployment', 'apps/v1'],
    ] as const)
      expect(await exists(kube, kind, apiVersion, stack, `${stack}-processor`), kind).toBe(false);
  });
});
