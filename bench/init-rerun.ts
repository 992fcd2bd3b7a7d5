// Re-running `init` on a finished stack: how many AWS and Kubernetes requests (reads vs writes) and
// how long, against the local servers (moto + the real kube-apiserver rig). Goal: reads only, < 3 s.
// Run: npm run build && node bench/init-rerun.ts [runs]
import { cpus } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { startKubeRig } from '../test/support/kube-rig.ts';
import { kedaCrdsDir } from '../test/support/kube-test-rig.ts';
import { startMoto, MOTO_ENV } from '../test/support/moto.ts';
// the built modules (dist/), typed from their sources, so Node runs this file without a TypeScript loader
const dist = <T>(p: string) => import(new URL(`../dist/${p}`, import.meta.url).href) as Promise<T>;
const { createAws } = await dist<typeof import('../src/adapters/aws.ts')>('adapters/aws.js');
const { createKube, loadKubeConfig } = await dist<typeof import('../src/adapters/kube.ts')>('adapters/kube.js');
const { createHelm } = await dist<typeof import('../src/adapters/helm.ts')>('adapters/helm.js');
const { initStack } = await dist<typeof import('../src/core/stack/lifecycle.ts')>('core/stack/lifecycle.js');
const { loadSettings } = await dist<typeof import('../src/core/stack/load-settings.ts')>('core/stack/load-settings.js');
const { recordingProgress } = await dist<typeof import('../src/core/progress.ts')>('core/progress.js');

const RUNS = Number(process.argv[2] ?? 5);
const STUB = fileURLToPath(new URL('../test/fixtures/helm-stateful-stub', import.meta.url));
const WRITE = /^(Create|Put|Update|Delete|Set|Tag|Untag|Detach|Attach|Send)/;

const moto = await startMoto();
const rig = await startKubeRig({ crdsDir: kedaCrdsDir(), log: () => {} });
try {
  const creds = { accessKeyId: MOTO_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: MOTO_ENV.AWS_SECRET_ACCESS_KEY };
  await new EKSClient({ region: MOTO_ENV.AWS_REGION, endpoint: moto.endpoint, credentials: creds }).send(
    new CreateClusterCommand({ name: 'bench', roleArn: 'arn:aws:iam::123456789012:role/eks', resourcesVpcConfig: { subnetIds: [] } }),
  );
  const settings = loadSettings({
    flags: { stack: 'bench', cluster: 'bench', region: MOTO_ENV.AWS_REGION, endpointUrl: moto.endpoint },
    env: {},
    cwd: process.cwd(),
  }).settings;
  const aws: string[] = [];
  const kubeReqs: string[] = [];
  const helmCalls: string[] = [];
  const ports = {
    aws: createAws({
      region: MOTO_ENV.AWS_REGION,
      endpointUrl: moto.endpoint,
      env: { ...MOTO_ENV },
      decorate: (c: any) =>
        c.middlewareStack.add(
          (next: any, ctx: any) => (args: any) => (aws.push(String(ctx.commandName).replace(/Command$/, '')), next(args)),
          { step: 'initialize', name: 'count' },
        ),
    }),
    kube: createKube(loadKubeConfig({ kubeconfig: rig.kubeconfigPath, env: {} }), {
      onRequest: (m: string, p: string) => kubeReqs.push(`${m} ${p}`),
    }),
    helm: createHelm({
      env: { PATH: `${STUB}:${process.env.PATH}`, HELM_STUB_STATE: mkdtempSync(join(tmpdir(), 'bench-helm-')) },
      kubeconfig: rig.kubeconfigPath,
      log: (t: string) => helmCalls.push(t),
    }),
  };
  const opts = { skip: new Set<never>(), createOidcProvider: true, wait: false, approve: async () => true };
  const first = await initStack(settings, ports, recordingProgress(), opts);
  if (!first.applied) throw new Error('the first init applied nothing');
  // what the chart would start: KEDA's operator, available (the rig has no kubelet)
  const { kubeRequest } = await import('../test/support/kube-rig.ts');
  const labels = { app: 'keda-operator', 'app.kubernetes.io/version': '2.20.0' };
  await kubeRequest(rig, 'POST', '/apis/apps/v1/namespaces/keda/deployments', {
    body: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'keda-operator', labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'keda-operator' } },
        template: { metadata: { labels }, spec: { containers: [{ name: 'k', image: 'ghcr.io/kedacore/keda:2.20.0' }] } },
      },
    },
  });
  await kubeRequest(rig, 'PATCH', '/apis/apps/v1/namespaces/keda/deployments/keda-operator/status', {
    body: {
      status: {
        observedGeneration: 1,
        replicas: 1,
        updatedReplicas: 1,
        readyReplicas: 1,
        availableReplicas: 1,
        conditions: [{ type: 'Available', status: 'True' }],
      },
    },
    contentType: 'application/merge-patch+json',
  });

  const times: number[] = [];
  let last = { aws: [] as string[], kube: [] as string[], helm: [] as string[] };
  for (let i = 0; i < RUNS; i++) {
    aws.length = 0;
    kubeReqs.length = 0;
    helmCalls.length = 0;
    const t0 = performance.now();
    const r = await initStack(settings, ports, recordingProgress(), opts);
    times.push(performance.now() - t0);
    if (r.applied) throw new Error('re-run applied something');
    last = { aws: [...aws], kube: [...kubeReqs], helm: [...helmCalls] };
  }
  times.sort((a, b) => a - b);
  const awsWrites = last.aws.filter((c) => WRITE.test(c));
  const kubeWrites = last.kube.filter((r) => !r.startsWith('GET') && !/dryRun=All/.test(r));
  console.log(
    `machine: ${cpus()[0]?.model} x${cpus().length}, node ${process.version}, ${new Date().toISOString().slice(0, 10)}, ${RUNS} re-runs`,
  );
  console.log(
    `wall time: median ${times[Math.floor(times.length / 2)]!.toFixed(0)} ms, min ${times[0]!.toFixed(0)} ms, max ${times[times.length - 1]!.toFixed(0)} ms`,
  );
  console.log(
    `AWS requests: ${last.aws.length} (writes: ${awsWrites.length}) ${JSON.stringify(Object.fromEntries([...new Set(last.aws)].map((c) => [c, last.aws.filter((x) => x === c).length])))}`,
  );
  console.log(
    `Kubernetes requests: ${last.kube.length} (GET ${last.kube.filter((r) => r.startsWith('GET')).length}, dry-run PATCH ${last.kube.filter((r) => /dryRun=All/.test(r)).length}, writes ${kubeWrites.length})`,
  );
  console.log(`helm commands: ${last.helm.length} (${last.helm.map((h) => h.split(' ')[1]).join(', ')})`);
  if (awsWrites.length || kubeWrites.length) console.log(`WRITES: ${[...awsWrites, ...kubeWrites].join(', ')}`);
} finally {
  await rig.stop();
  await moto.stop();
}
