// Self-check for the kube test rig:  node test/rig/smoke.ts
//
// Starts the rig twice: the first start includes building/locating the
// binaries (cold if the cache is empty), the second is warm. The second rig
// gets the KEDA CRDs and the checks below. Exits non-zero on failure.
//
//   KEDACTL_RIG_CRDS  CRD dir (default: the CRDs of the KEDA kedactl installs, from test/rig/keda-crds.sh)

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { startKubeRig, kubeRequest } from '../support/kube-rig.ts';
import type { KubeRig } from '../support/kube-rig.ts';
import { kedaCrdsDir } from '../support/kube-test-rig.ts';

function findCrds(): string | undefined {
  if (process.env.KEDACTL_RIG_CRDS) return existsSync(process.env.KEDACTL_RIG_CRDS) ? process.env.KEDACTL_RIG_CRDS : undefined;
  return kedaCrdsDir();
}

function findKubectl(): string | undefined {
  for (const d of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(d, 'kubectl');
    if (d && existsSync(p)) return p;
  }
  return undefined;
}

let passed = 0;
let failed = 0;
function check(name: string, ok: boolean, detail = ''): void {
  if (ok) {
    passed++;
    console.log(`ok   ${name}`);
  } else {
    failed++;
    console.log(`FAIL ${name}${detail ? `: ${detail}` : ''}`);
  }
}

function expectStatus(name: string, r: { status: number; body: string }, want: number): void {
  check(`${name} -> ${want}`, r.status === want, `got ${r.status} ${r.body.slice(0, 300)}`);
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const v = await fn();
  return [v, (performance.now() - t) / 1000];
}

async function main(): Promise<void> {
  const log = (s: string) => process.stderr.write(`[rig] ${s}\n`);

  // 1) first start (cold if the binaries are not cached yet), then stop
  const [rig1, first] = await timed(() => startKubeRig({ log }));
  await rig1.stop();
  check('stop() removed the rig dir', !existsSync(rig1.dir));

  // 2) warm start with CRDs
  const crds = findCrds();
  const [rig, warm] = await timed(() => startKubeRig({ log, crdsDir: crds }));
  try {
    await exercise(rig, crds);
  } finally {
    await rig.stop();
  }

  console.log(`\nstartKubeRig first start: ${first.toFixed(1)}s (includes kube-binaries.sh; a build if the cache was empty)`);
  console.log(`startKubeRig warm start:  ${warm.toFixed(1)}s (incl. ${crds ? 'applying CRDs' : 'no CRDs'})`);
  console.log(`${passed} passed, ${failed} failed`);
  if (failed) process.exitCode = 1;
}

async function exercise(rig: KubeRig, crds: string | undefined): Promise<void> {
  const admin = (method: string, p: string, body?: unknown) => kubeRequest(rig, method, p, { body });

  // kubectl, if available
  const kubectl = findKubectl();
  if (kubectl) {
    const out = execFileSync(kubectl, ['--kubeconfig', rig.kubeconfigPath, 'get', 'ns', '-o', 'name'], {
      encoding: 'utf8',
    });
    check('kubectl get ns lists namespace/default', out.split('\n').includes('namespace/default'), out);
    if (crds) {
      const sj = execFileSync(kubectl, ['--kubeconfig', rig.kubeconfigPath, 'get', 'scaledjobs', '-A'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      check('kubectl get scaledjobs -A works', true, sj);
    }
  } else {
    console.log('skip kubectl checks (kubectl not on PATH)');
  }

  if (crds) {
    const r = await admin('GET', '/apis/keda.sh/v1alpha1');
    expectStatus('GET /apis/keda.sh/v1alpha1', r, 200);
    const kinds = r.status === 200 ? r.json().resources.map((x: { name: string }) => x.name) : [];
    check(
      'keda resources served',
      ['scaledjobs', 'scaledobjects', 'triggerauthentications', 'clustertriggerauthentications'].every((k) => kinds.includes(k)),
      kinds.join(','),
    );
  }

  // namespace + Job + Pod
  const ns = 'smoke';
  expectStatus('create namespace', await admin('POST', '/api/v1/namespaces', { metadata: { name: ns } }), 201);
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'smoke-job' },
    spec: {
      backoffLimit: 0,
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'c', image: 'busybox:1.36', command: ['true'] }],
        },
      },
    },
  };
  const jr = await admin('POST', `/apis/batch/v1/namespaces/${ns}/jobs`, job);
  expectStatus('create Job', jr, 201);
  const jobUid = jr.status === 201 ? jr.json().metadata.uid : 'none';
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'smoke-job-abcde',
      labels: { 'batch.kubernetes.io/job-name': 'smoke-job', 'job-name': 'smoke-job' },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'smoke-job', uid: jobUid, controller: true }],
    },
    spec: job.spec.template.spec,
  };
  expectStatus('create Pod', await admin('POST', `/api/v1/namespaces/${ns}/pods`, pod), 201);
  const ps = await admin('PATCH', `/api/v1/namespaces/${ns}/pods/smoke-job-abcde/status`, {
    status: {
      phase: 'Failed',
      containerStatuses: [
        {
          name: 'c',
          image: 'busybox:1.36',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode: 1, reason: 'Error', message: 'boom' } },
        },
      ],
    },
  });
  expectStatus('PATCH pod status (Failed)', ps, 200);
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const js = await admin('PATCH', `/apis/batch/v1/namespaces/${ns}/jobs/smoke-job/status`, {
    status: { startTime: now, active: 1 },
  });
  expectStatus('PATCH job status (active=1)', js, 200);
  const gp = await admin('GET', `/api/v1/namespaces/${ns}/pods/smoke-job-abcde`);
  check('pod status persisted', gp.status === 200 && gp.json().status.phase === 'Failed', gp.body.slice(0, 200));

  // restricted -> 403, expired -> 401
  const forb = await kubeRequest(rig, 'GET', `/api/v1/namespaces/${ns}/pods`, { token: rig.restrictedToken });
  expectStatus('restricted user lists pods', forb, 403);
  const unauth = await kubeRequest(rig, 'GET', `/api/v1/namespaces/${ns}/pods`, { token: rig.expiredToken });
  expectStatus('expired token lists pods', unauth, 401);
  if (kubectl) {
    const run = (kc: string): string => {
      try {
        execFileSync(kubectl, ['--kubeconfig', kc, 'get', 'pods', '-n', ns], { encoding: 'utf8', stdio: 'pipe' });
        return 'exit 0';
      } catch (e) {
        return String((e as { stderr?: string }).stderr ?? e);
      }
    };
    const f = run(rig.restrictedKubeconfigPath);
    check('kubectl with restricted kubeconfig: Forbidden', /forbidden/i.test(f), f);
    const u = run(rig.expiredKubeconfigPath);
    check('kubectl with expired kubeconfig: Unauthorized', /unauthorized|must be logged in/i.test(u), u);
  }

  // restart apiserver
  const [, restartSecs] = await timed(() => rig.restartApiServer());
  console.log(`     (restartApiServer took ${restartSecs.toFixed(1)}s)`);
  const after = await admin('GET', `/api/v1/namespaces/${ns}/pods/smoke-job-abcde`);
  check('after restart: pod still there (same etcd)', after.status === 200, `${after.status}`);
  if (kubectl) {
    const out = execFileSync(kubectl, ['--kubeconfig', rig.kubeconfigPath, 'get', 'ns', ns, '-o', 'name'], {
      encoding: 'utf8',
    });
    check('after restart: kubectl works with the same kubeconfig (same CA/port)', out.trim() === `namespace/${ns}`, out);
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
