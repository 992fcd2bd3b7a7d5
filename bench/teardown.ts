// Teardown of a stack with 1,000 finished Jobs (and their Pods) in the real kube-apiserver rig: kedactl's
// delete-collection per kind against the naive one DELETE per object, in the same run.
// Run: npm run build && node bench/teardown.ts [jobs]
import { cpus } from 'node:os';
import { startKubeRig, kubeRequest } from '../test/support/kube-rig.ts';
import { kedaCrdsDir, createFinishedJobs } from '../test/support/kube-test-rig.ts';
import { namespaceController } from '../test/support/controllers.ts';
// the built modules (dist/), so Node runs this file without a TypeScript loader (dist has no .d.ts: untyped)
const load = (m: string): Promise<any> => import(new URL(`../dist/${m}`, import.meta.url).href);
const { createKube, loadKubeConfig } = await load('adapters/kube.js');
const { desiredStack } = await load('core/stack/desired.js');
const { applyKube, teardownKube, TEARDOWN_PHASES } = await load('core/kube/stack.js');
const { loadSettings } = await load('core/stack/load-settings.js');
const { recordingProgress } = await load('core/progress.js');
const { stackSelector } = await load('core/stack/names.js');

const JOBS = Number(process.argv[2] ?? 1000);

/** The naive way: list each kind by label, then one DELETE per object, then wait until gone. */
async function naiveTeardown(kube: any, stack: string, parallel: number): Promise<void> {
  const selector = stackSelector(stack);
  const kinds = TEARDOWN_PHASES.flatMap((p: any) => p.kinds);
  for (const k of kinds) {
    const items = await kube.list(k, { labelSelector: selector, metadataOnly: true });
    let i = 0;
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (i < items.length) {
          const o = items[i++];
          await kube.delete({ ...k, name: o.metadata.name, namespace: o.metadata.namespace }, { propagation: k.propagation });
        }
      }),
    );
  }
  for (const k of kinds)
    while ((await kube.list(k, { labelSelector: selector, metadataOnly: true, limit: 1 })).length)
      await new Promise((r) => setTimeout(r, 100));
  await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: stack });
  while ((await kube.list({ apiVersion: 'v1', kind: 'Namespace' }, { labelSelector: selector, metadataOnly: true })).length)
    await new Promise((r) => setTimeout(r, 100));
}

const rig = await startKubeRig({ crdsDir: kedaCrdsDir(), log: () => {} });
try {
  const settings = (stack: string) =>
    loadSettings({
      flags: { stack, region: 'eu-west-1', accountId: '123456789012', oidcIssuer: 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE' },
      env: {},
      cwd: process.cwd(),
    }).settings;
  let requests = 0;
  const kube = createKube(loadKubeConfig({ kubeconfig: rig.kubeconfigPath, env: {} }), { onRequest: () => requests++ });
  // warm-up: the first request to a CRD's storage right after start may be told to wait (429, Retry-After 1)
  for (const k of TEARDOWN_PHASES.flatMap((p: any) => p.kinds)) await kube.list(k, { limit: 1 });
  const rows: string[] = [];
  const run = async (label: string, stack: string, fn: () => Promise<void>) => {
    await applyKube(await desiredStack(settings(stack)), kube, recordingProgress(), { wait: false });
    const t0 = Date.now();
    await createFinishedJobs(rig, stack, stack, JOBS);
    const seeded = Date.now() - t0;
    const stopNs = namespaceController(rig, stack);
    requests = 0;
    const t1 = process.hrtime.bigint();
    await fn();
    const ms = Number(process.hrtime.bigint() - t1) / 1e6;
    stopNs();
    const left = (await kubeRequest(rig, 'GET', `/apis/batch/v1/jobs?labelSelector=${encodeURIComponent(stackSelector(stack))}`)).json()
      .items.length;
    rows.push(`| ${label} | ${JOBS} + ${JOBS} | ${requests} | ${(ms / 1000).toFixed(2)} s | ${left} |`);
    console.error(
      `${label}: ${requests} requests, ${(ms / 1000).toFixed(2)} s (seeding ${JOBS} Jobs + Pods took ${(seeded / 1000).toFixed(1)} s)`,
    );
  };
  await run('kedactl (delete-collection per kind)', 'bench-a', async () => {
    await teardownKube('bench-a', kube, undefined, recordingProgress(), { intervalMs: 100 });
  });
  await run('naive, one DELETE per object (sequential)', 'bench-b', () => naiveTeardown(kube, 'bench-b', 1));
  await run('naive, one DELETE per object (8 in parallel)', 'bench-c', () => naiveTeardown(kube, 'bench-c', 8));
  console.log(
    `machine: ${cpus()[0]?.model} x${cpus().length}, node ${process.version}, kube-apiserver rig, ${new Date().toISOString().slice(0, 10)}`,
  );
  console.log('| way | Jobs + Pods | API requests | wall time | Jobs left |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(r);
} finally {
  await rig.stop();
}
