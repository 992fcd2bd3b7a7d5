// kedactl doctor on the deployment workload, for real: KEDA's chart (2.20.2, ../shared/reference) installed by
// the real helm, whose operator, metrics server (the external metrics APIService, through the API server's
// aggregation layer) and webhooks the test node runs as the real binaries; the real HPA controller in the
// kube-controller-manager. A healthy `kedactl init --workload deployment` stack first (doctor finds nothing),
// then one thing broken at a time, each put back before the next: (a) the APIService pointed at a Service
// that does not exist, and (a') KEDA's metrics server scaled to 0: the real aggregator marks it not
// Available, and doctor names that with the aggregator's own words and nothing else; (b) the ScaledObject paused: KEDA deletes its HPA
// (scaledobject_controller.go handlePause) and does not make it again while paused: doctor names the
// missing HPA with the ScaledObject's Paused condition as evidence; (c) the credentials Secret loses a key the
// TriggerAuthentication names: KEDA's cached scaler keeps working, so only doctor's check 20 sees it; touching the
// ScaledObject makes KEDA rebuild its scaler and fail with its own words for the same thing; (d) the trigger
// pointed at another (existing) queue: KEDA takes it without a word, doctor's check 21 names it; (e) an HPA of
// someone else's on the consumer Deployment: check 22, and KEDA's webhook refuses the next change to the
// ScaledObject with its own words for it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEDA_CHART_DIR, KEDA_CHART_VERSION, type DemoCluster } from '../support/demo-cluster.ts';
import { startKedaChartRig, type KedaChartRig } from '../support/demo-run.ts';
import { kubeRequest } from '../support/kube-rig.ts';
import { CreateQueueCommand, DeleteQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { MOTO_ENV, motoEndpoint, uniqueStack } from '../support/moto.ts';
import { pollUntil } from '../support/poll.ts';
import { runBin, runCli, type CliRun } from '../support/run-cli.ts';

const MINUTE = 60_000;
const API = '/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.external.metrics.k8s.io';
const stack = uniqueStack('dso');
const flags = [
  '--stack',
  stack,
  '--auth',
  'static',
  '--workload',
  'deployment',
  '--max-replicas',
  '3',
  '--processing-time',
  '2',
  '--polling-interval',
  '5',
  '--keda-chart',
  KEDA_CHART_DIR,
  '--keda-version',
  KEDA_CHART_VERSION,
];
const so = `/apis/keda.sh/v1alpha1/namespaces/${stack}/scaledobjects/${stack}-processor`;
const hpaPath = `/apis/autoscaling/v2/namespaces/${stack}/horizontalpodautoscalers/keda-hpa-${stack}-processor`;

let cluster: DemoCluster;
let env: NodeJS.ProcessEnv;
let rig: KedaChartRig | undefined;

const operatorTail = () => cluster.operatorLog().split('\n').slice(-20).join('\n');
const fail = (r: CliRun) => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}\noperator (tail):\n${operatorTail()}`;
const get = async (path: string) => {
  const r = await kubeRequest(cluster.rig, 'GET', path);
  return r.status === 200 ? r.json() : undefined;
};
const merge = async (path: string, body: unknown) => {
  const r = await kubeRequest(cluster.rig, 'PATCH', path, { body, contentType: 'application/merge-patch+json' });
  expect(r.status, r.body).toBe(200);
};
const available = (a: any) => a?.status?.conditions?.find((c: any) => c.type === 'Available');
const apiServiceAvailable = (what: string) =>
  pollUntil(what, async () => (available(await get(API))?.status === 'True' ? true : undefined), 3 * MINUTE);

async function doctor() {
  const r = await runCli(['doctor', '--stack', stack, '-o', 'json'], { env });
  const report = JSON.parse(r.stdout);
  return {
    ...r,
    report,
    problems: report.findings.filter((f: any) => f.verdict === 'fail' || f.verdict === 'warn'),
    byId: (id: string) => report.findings.filter((f: any) => f.id === id),
  };
}

/**
 * Breaks the metrics path one way; once the aggregator marks the APIService not Available, doctor fails
 * check 18 and nothing else: `see` holds that finding to the aggregator's condition. Then puts it back and
 * sees doctor find nothing again.
 */
async function only18WhileBroken(
  o: { breakIt: () => Promise<void>; restore: () => Promise<void> },
  see: (finding: any, cond: any, d: Awaited<ReturnType<typeof doctor>>) => void,
) {
  await o.breakIt();
  try {
    const cond = await pollUntil(
      'APIService not Available',
      async () => {
        const c = available(await get(API));
        return c && c.status !== 'True' ? c : undefined;
      },
      3 * MINUTE,
    );
    const d = await doctor();
    expect(d.code, fail(d)).toBe(1);
    expect(d.problems.map((f: any) => `${f.check} ${f.verdict}`)).toEqual(['18 fail']);
    see(d.problems[0], cond, d);
  } finally {
    await o.restore();
  }
  await apiServiceAvailable('APIService Available again');
  expect((await doctor()).problems).toEqual([]);
}

beforeAll(async () => {
  rig = await startKedaChartRig();
  cluster = rig.cluster;
  env = rig.env;
}, 20 * MINUTE);
afterAll(() => rig?.stop(), 5 * MINUTE);

describe(`kedactl doctor on a ScaledObject stack (KEDA's chart ${KEDA_CHART_VERSION}, real metrics server and HPA controller)`, () => {
  it(
    'healthy: the ScaledObject Ready, its HPA, the APIService Available, the consumer Deployment; no ScaledJob checks',
    async () => {
      const init = await runBin(['init', ...flags, '--yes'], { env, timeoutMs: 10 * MINUTE });
      expect(init.code, fail(init)).toBe(0);
      await pollUntil(
        'ScaledObject Ready and its HPA made',
        async () => {
          const o = await get(so);
          const ready = o?.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');
          return ready && (await get(hpaPath)) ? true : undefined;
        },
        3 * MINUTE,
        operatorTail,
      );
      await apiServiceAvailable('APIService Available');
      const d = await doctor();
      expect(d.code, fail(d)).toBe(0);
      expect(d.problems).toEqual([]);
      expect(d.report.scaler).toEqual({ kind: 'ScaledObject', name: `${stack}-processor` });
      const checks = [...new Set(d.report.findings.map((f: any) => f.check))];
      expect(checks).toEqual(expect.arrayContaining([16, 17, 18, 19]));
      expect(checks.filter((c) => c === 9 || c === 10 || c === 11)).toEqual([]);
      expect(d.byId('metrics-api')[0]).toMatchObject({
        verdict: 'ok',
        summary:
          "APIService v1beta1.external.metrics.k8s.io is Available, served by KEDA's metrics server keda/keda-operator-metrics-apiserver:443",
      });
      expect(d.byId('hpa')[0].verdict).toBe('ok');
      expect(d.byId('scaledobject')[0].summary).toContain(`KEDA reports ScaledObject ${stack}/${stack}-processor Ready`);
      expect(d.byId('consumers')[0].verdict).toBe('ok');
      // the trigger's authentication is read from the ScaledObject
      expect(d.byId('trigger-auth')[0].verdict).toBe('ok');
    },
    15 * MINUTE,
  );

  it(
    "(a) the APIService pointed at a Service that does not exist: check 18 fails with the aggregator's words, nothing else",
    async () => {
      const before = (await get(API)).spec.service;
      await only18WhileBroken(
        {
          breakIt: () => merge(API, { spec: { service: { name: 'keda-metrics-nowhere' } } }),
          restore: () => merge(API, { spec: { service: before } }),
        },
        (f, cond, d) => {
          expect(f.summary).toContain(
            "points at keda/keda-metrics-nowhere:443, not KEDA's metrics server keda/keda-operator-metrics-apiserver and is not Available",
          );
          expect(f.summary).toContain(cond.reason);
          expect(f.evidence).toContain(`Available: False (${cond.reason}: ${cond.message})`);
          expect(f.evidence).toContain('Service keda/keda-metrics-nowhere does not exist');
          expect(f.fix).toContain('kubectl patch apiservice v1beta1.external.metrics.k8s.io');
          expect(d.stderr).toContain('doctor found 1 failing check for ScaledObject');
          process.stderr.write(`[doctor-scaledobject-real] the aggregator said: ${cond.reason}: ${cond.message}\n`);
        },
      );
    },
    10 * MINUTE,
  );

  it(
    "(a') KEDA's metrics server scaled to 0: the APIService, still KEDA's, is not Available; check 18 fails with the aggregator's words and no endpoints, nothing else",
    async () => {
      const dep = '/apis/apps/v1/namespaces/keda/deployments/keda-operator-metrics-apiserver';
      await only18WhileBroken(
        { breakIt: () => merge(dep, { spec: { replicas: 0 } }), restore: () => merge(dep, { spec: { replicas: 1 } }) },
        (f, cond) => {
          expect(f.summary).toBe(
            `APIService v1beta1.external.metrics.k8s.io is not Available (${cond.reason}${cond.message ? `: ${cond.message}` : ''}): the API server cannot reach KEDA's metrics server, so no HPA reads KEDA's metric and nothing scales the ScaledObject while it lasts`,
          );
          expect(f.evidence).toContain('endpoints: none ready');
          expect(f.fix).toContain('kubectl -n keda get deployment,pods,endpointslices -l app=keda-operator-metrics-apiserver');
          process.stderr.write(
            `[doctor-scaledobject-real] with the metrics server at 0, the aggregator said: ${cond.reason}: ${cond.message}\n`,
          );
        },
      );
    },
    10 * MINUTE,
  );

  it(
    '(b) the ScaledObject paused: KEDA deletes its HPA and does not make it again; doctor names the missing HPA',
    async () => {
      await merge(so, { metadata: { annotations: { 'autoscaling.keda.sh/paused': 'true' } } });
      try {
        await pollUntil('KEDA deleted the HPA', async () => ((await get(hpaPath)) ? undefined : true), 3 * MINUTE, operatorTail);
        // KEDA keeps it deleted: it is still gone a reconcile later
        await new Promise((r) => setTimeout(r, 10_000));
        expect(await get(hpaPath)).toBeUndefined();
        const d = await doctor();
        expect(d.code, fail(d)).toBe(1);
        expect(d.problems.map((f: any) => `${f.check} ${f.verdict}`)).toEqual(['17 fail', '16 warn']);
        const hpa = d.problems[0];
        expect(hpa.summary).toBe(
          `HPA ${stack}/keda-hpa-${stack}-processor does not exist: KEDA deleted it because the ScaledObject is paused, so nothing scales the consumers between 1 and maxReplicaCount 3`,
        );
        expect(hpa.evidence.join('\n')).toContain('Paused: True (ScaledObjectPaused: ScaledObject is paused)');
        expect(hpa.fix).toBe(
          `kubectl -n ${stack} annotate scaledobject ${stack}-processor autoscaling.keda.sh/paused- (KEDA re-creates the HPA)`,
        );
      } finally {
        await merge(so, { metadata: { annotations: { 'autoscaling.keda.sh/paused': null } } });
      }
      await pollUntil('KEDA made the HPA again', async () => ((await get(hpaPath)) ? true : undefined), 3 * MINUTE, operatorTail);
    },
    10 * MINUTE,
  );

  it(
    "(c) the credentials Secret without AWS_SECRET_ACCESS_KEY: only check 20 (KEDA's cached scaler still works); KEDA's rebuild fails in the same words",
    async () => {
      const secret = `/api/v1/namespaces/${stack}/secrets/${stack}-aws-credentials`;
      const key = (await get(secret)).data.AWS_SECRET_ACCESS_KEY;
      expect(key).toBeTruthy();
      await merge(secret, { data: { AWS_SECRET_ACCESS_KEY: null } });
      try {
        const d = await doctor();
        expect(d.code, fail(d)).toBe(1);
        expect(d.problems.map((f: any) => `${f.check} ${f.verdict}`)).toEqual(['20 fail']);
        expect(d.problems[0].summary).toBe(
          `TriggerAuthentication ${stack}/${stack}-aws secretTargetRef[1] (parameter awsSecretAccessKey): Secret ${stack}/${stack}-aws-credentials has no key AWS_SECRET_ACCESS_KEY, so KEDA resolves awsSecretAccessKey to ""; KEDA then fails the trigger with "awsSecretAccessKey not found"`,
        );
        // KEDA has not noticed: its scaler is cached
        expect(d.byId('scaledobject')[0].verdict).toBe('ok');

        // KEDA's next rebuild (a spec change makes it): its own word for the same thing
        await merge(so, { spec: { pollingInterval: 6 } });
        const said = await pollUntil(
          "KEDA's own word on the missing key",
          async () => {
            const events = (await kubeRequest(cluster.rig, 'GET', `/api/v1/namespaces/${stack}/events`)).json().items ?? [];
            const e = events.find((x: any) => x.type === 'Warning' && /awsSecretAccessKey not found/.test(x.message ?? ''));
            if (e) return `Warning event ${e.reason} on ${e.involvedObject.kind}: ${e.message}`;
            const line = cluster
              .operatorLog()
              .split('\n')
              .find((l) => l.includes(stack) && /awsSecretAccessKey not found/.test(l));
            return line ? `operator log: ${line.slice(0, 400)}` : undefined;
          },
          3 * MINUTE,
          operatorTail,
        );
        process.stderr.write(`[doctor-scaledobject-real] KEDA at its rebuild: ${said}\n`);
        const after = await doctor();
        expect(after.problems.find((f: any) => f.check === 20)?.summary).toBe(d.problems[0].summary);
      } finally {
        await merge(secret, { data: { AWS_SECRET_ACCESS_KEY: key } });
        await merge(so, { spec: { pollingInterval: 5 } });
      }
      await pollUntil(
        'ScaledObject Ready again, doctor clean',
        async () => ((await doctor()).problems.length === 0 ? true : undefined),
        3 * MINUTE,
        operatorTail,
      );
    },
    10 * MINUTE,
  );

  it(
    '(d) the trigger pointed at another queue that exists: KEDA reads it without a word; only check 21 names it',
    async () => {
      const sqs = new SQSClient({
        region: MOTO_ENV.AWS_REGION,
        endpoint: motoEndpoint(),
        credentials: { accessKeyId: MOTO_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: MOTO_ENV.AWS_SECRET_ACCESS_KEY },
      });
      const other = (await sqs.send(new CreateQueueCommand({ QueueName: `${stack}-other` }))).QueueUrl!;
      const before = (await get(so)).spec.triggers;
      await merge(so, { spec: { triggers: [{ ...before[0], metadata: { ...before[0].metadata, queueURL: other } }] } });
      try {
        // KEDA rebuilds its scaler on the other queue and stays Ready: nothing in the cluster says it is the wrong one
        await new Promise((r) => setTimeout(r, 8_000));
        const ready = (await get(so)).status.conditions.find((c: any) => c.type === 'Ready');
        expect(ready.status).toBe('True');
        const d = await doctor();
        expect(d.code, fail(d)).toBe(1);
        expect(d.problems.map((f: any) => `${f.check} ${f.verdict}`)).toEqual(['21 fail']);
        expect(d.problems[0].summary).toBe(
          `triggers[0].metadata: queueURL names queue ${stack}-other, not this stack's queue ${stack}-queue: KEDA scales on another queue's length`,
        );
        process.stderr.write(`[doctor-scaledobject-real] KEDA on another queue: Ready ${ready.status} (${ready.reason})\n`);
      } finally {
        await merge(so, { spec: { triggers: before } });
        await sqs.send(new DeleteQueueCommand({ QueueUrl: other }));
      }
      expect((await doctor()).problems).toEqual([]);
    },
    5 * MINUTE,
  );

  it(
    '(d\') queueLength "1.5": check 21 says KEDA cannot parse it, and KEDA\'s rebuild fails in the same words',
    async () => {
      const before = (await get(so)).spec.triggers;
      const since = Date.now() - 1000;
      await merge(so, { spec: { triggers: [{ ...before[0], metadata: { ...before[0].metadata, queueLength: '1.5' } }] } });
      try {
        const said = await pollUntil(
          "KEDA's word on queueLength",
          async () => {
            const events = (await kubeRequest(cluster.rig, 'GET', `/api/v1/namespaces/${stack}/events`)).json().items ?? [];
            const e = events.find(
              (x: any) =>
                x.type === 'Warning' &&
                /unable to set param "queueLength" value "1\.5"/.test(x.message ?? '') &&
                Date.parse(x.lastTimestamp ?? x.eventTime ?? 0) >= since - 1000,
            );
            return e ? `Warning event ${e.reason} on ${e.involvedObject.kind}: ${e.message}` : undefined;
          },
          3 * MINUTE,
          operatorTail,
        );
        const d = await doctor();
        expect(d.code, fail(d)).toBe(1);
        // the cause, once; 16 and 17 are KEDA's own report of it (the ScaledObject and its HPA)
        expect(d.problems.filter((f: any) => f.check !== 16 && f.check !== 17).map((f: any) => `${f.check} ${f.verdict}`)).toEqual([
          '21 fail',
        ]);
        expect(d.byId('trigger')[0].summary).toBe(
          'triggers[0].metadata: queueLength "1.5" is not a whole number: KEDA fails the trigger with "error parsing SQS queue metadata: unable to set param \\"queueLength\\" value \\"1.5\\""',
        );
        process.stderr.write(`[doctor-scaledobject-real] KEDA on queueLength "1.5": ${said}\n`);
      } finally {
        await merge(so, { spec: { triggers: before } });
      }
      await pollUntil(
        'doctor clean again',
        async () => ((await doctor()).problems.length === 0 ? true : undefined),
        3 * MINUTE,
        operatorTail,
      );
    },
    8 * MINUTE,
  );

  it(
    "(e) an HPA not KEDA's on the consumer Deployment: check 22; KEDA's webhook refuses the ScaledObject's next change in its own words",
    async () => {
      const hpas = `/apis/autoscaling/v2/namespaces/${stack}/horizontalpodautoscalers`;
      const created = await kubeRequest(cluster.rig, 'POST', hpas, {
        body: {
          apiVersion: 'autoscaling/v2',
          kind: 'HorizontalPodAutoscaler',
          metadata: { name: 'consumer-cpu' },
          spec: {
            scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `${stack}-processor` },
            minReplicas: 1,
            maxReplicas: 3,
            metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }],
          },
        },
      });
      expect(created.status, created.body).toBe(201);
      try {
        const d = await doctor();
        expect(d.code, fail(d)).toBe(1);
        expect(d.problems.map((f: any) => `${f.check} ${f.verdict}`)).toEqual(['22 fail']);
        expect(d.problems[0].summary).toContain(
          `HPA consumer-cpu, not KEDA's, scales the same Deployment ${stack}-processor: KEDA's webhook refuses the ScaledObject ("the workload '${stack}-processor' of type 'apps/v1.Deployment' is already managed by the hpa 'consumer-cpu'")`,
        );
        // KEDA's word: its webhook refuses a change to the ScaledObject once its informer has the other HPA
        let interval = 6;
        const refused = await pollUntil(
          "KEDA's webhook refusing a change to the ScaledObject",
          async () => {
            const r = await kubeRequest(cluster.rig, 'PATCH', so, {
              body: { spec: { pollingInterval: interval++ } },
              contentType: 'application/merge-patch+json',
            });
            return r.status >= 400 ? r : undefined;
          },
          MINUTE,
        );
        expect(refused.body).toContain(
          `the workload '${stack}-processor' of type 'apps/v1.Deployment' is already managed by the hpa 'consumer-cpu'`,
        );
        process.stderr.write(`[doctor-scaledobject-real] KEDA's webhook: ${refused.json().message}\n`);
      } finally {
        await kubeRequest(cluster.rig, 'DELETE', `${hpas}/consumer-cpu`);
        // the webhook lets the ScaledObject change again once its informer has seen the HPA go
        await pollUntil(
          'pollingInterval back to 5',
          async () => {
            const r = await kubeRequest(cluster.rig, 'PATCH', so, {
              body: { spec: { pollingInterval: 5 } },
              contentType: 'application/merge-patch+json',
            });
            return r.status === 200 ? true : undefined;
          },
          MINUTE,
        );
      }
      expect((await doctor()).problems).toEqual([]);
    },
    5 * MINUTE,
  );
});
