// kedactl doctor where the symptom comes from KEDA itself: the real KEDA operator (built from its Go module,
// run by the node agent as the keda-operator Pod), the real kube-controller-manager, a stand-in for EKS's pod
// identity webhook (the role in the operator Pod's spec, as EKS puts it), and a moto server of this file's
// own with IAM enforced, so KEDA reaches the queue only through its role chain. One irsa stack: healthy first
// (doctor finds nothing with a real operator), then the scaler role loses sqs:GetQueueAttributes; the real
// operator fails on it, and doctor must name that cause (check 6) with KEDA's own word as its evidence. Before
// that, the ScaledJob paused by annotation: KEDA's Paused condition, and doctor's check 22 alone.
// helm is a STATEFUL RECORDING STUB; the chart's objects are played by demo-cluster.ts's chartStandIn().
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import type { DemoCluster } from '../support/demo-cluster.ts';
import { kubeRequest } from '../support/kube-rig.ts';
import { MOTO_ENV, uniqueStack, type Moto } from '../support/moto.ts';
import { pollUntil } from '../support/poll.ts';
import { startIrsaRig, type IrsaRig } from '../support/demo-run.ts';
import { runCli, type CliRun } from '../support/run-cli.ts';

const MINUTE = 60_000;

const stack = uniqueStack('drl');
const eks = `eks-${stack}`;
const flags = ['--stack', stack, '--cluster', eks, '--max-replicas', '5', '--processing-time', '2', '--polling-interval', '3'];
let moto: Moto;
let cluster: DemoCluster;
let env: NodeJS.ProcessEnv;
let admin: { accessKeyId: string; secretAccessKey: string };

const operatorTail = () => cluster.operatorLog().split('\n').slice(-20).join('\n');
const fail = (r: CliRun) => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}\noperator (tail):\n${operatorTail()}`;

async function doctor() {
  const r = await runCli(['doctor', '-o', 'json'], { env, cwd: dir });
  const report = JSON.parse(r.stdout);
  return { ...r, report, problems: report.findings.filter((f: any) => f.verdict === 'fail' || f.verdict === 'warn') };
}

let rig: IrsaRig | undefined;
/** the file's own folder (the CLI's working directory) */
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kedactl-doctor-real-'));
  rig = await startIrsaRig(eks);
  ({ moto, admin, cluster, env } = rig);
}, 20 * MINUTE);
afterAll(async () => {
  await rig?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 5 * MINUTE);

describe('kedactl doctor with the real KEDA operator', () => {
  it(
    "healthy, then the scaler role without sqs:GetQueueAttributes (check 6, with KEDA's word), then no route to STS (check 23, with KEDA's log line)",
    async () => {
      const init = await runCli(['init', ...flags, '--create-oidc-provider', '--yes'], { env, cwd: dir });
      expect(init.code, fail(init)).toBe(0);
      const sjPath = `/apis/keda.sh/v1alpha1/namespaces/${stack}/scaledjobs/${stack}-processor`;
      await pollUntil(
        'KEDA marks the ScaledJob Ready',
        async () => {
          const sj = (await kubeRequest(cluster.rig, 'GET', sjPath)).json();
          return sj.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True') ? true : undefined;
        },
        3 * MINUTE,
        operatorTail,
      );

      // healthy, with a real operator: nothing to warn about (its Pod carries the role, as on EKS)
      const healthy = await doctor();
      expect(healthy.problems, fail(healthy)).toEqual([]);
      expect(healthy.code).toBe(0);
      expect(healthy.report.findings.find((f: any) => f.check === 4)).toMatchObject({ verdict: 'ok' });

      // paused by annotation: KEDA stops its scale loop and says so in its Paused condition; doctor's check 22 alone
      const merge = (body: unknown) => kubeRequest(cluster.rig, 'PATCH', sjPath, { body, contentType: 'application/merge-patch+json' });
      const pausedCondition = async () =>
        (await kubeRequest(cluster.rig, 'GET', sjPath)).json().status?.conditions?.find((c: any) => c.type === 'Paused');
      expect((await merge({ metadata: { annotations: { 'autoscaling.keda.sh/paused': 'true' } } })).status).toBe(200);
      const paused = await pollUntil(
        "KEDA's Paused condition",
        async () => ((await pausedCondition())?.status === 'True' ? await pausedCondition() : undefined),
        2 * MINUTE,
        operatorTail,
      );
      const p = await doctor();
      expect(
        p.problems.map((f: any) => `${f.check} ${f.verdict}`),
        fail(p),
      ).toEqual(['22 warn']);
      expect(p.problems[0].summary).toBe(
        `ScaledJob ${stack}/${stack}-processor is paused (annotation autoscaling.keda.sh/paused: "true"): KEDA starts no Job for the queue while it stays`,
      );
      expect(p.problems[0].evidence).toContain(`Paused: True (${paused.reason}: ${paused.message})`);
      process.stderr.write(`[doctor-real] KEDA paused: ${paused.reason}: ${paused.message}\n`);
      expect((await merge({ metadata: { annotations: { 'autoscaling.keda.sh/paused': null } } })).status).toBe(200);
      await pollUntil('KEDA unpaused', async () => ((await pausedCondition())?.status === 'False' ? true : undefined), 2 * MINUTE);
      const again = await doctor();
      expect(again.problems, fail(again)).toEqual([]);

      // break: the scaler role may no longer read the queue's attributes
      const iam = new IAMClient({ region: MOTO_ENV.AWS_REGION, endpoint: moto.endpoint, credentials: admin });
      const role = `kedactl-${stack}-scaler`;
      const [name] = (await iam.send(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames!;
      const before = JSON.parse(
        decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: name! }))).PolicyDocument!),
      );
      const brokenAt = Math.floor(Date.now() / 1000) * 1000;
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: role,
          PolicyName: name!,
          PolicyDocument: JSON.stringify({
            ...before,
            Statement: before.Statement.map((st: any) => ({ ...st, Action: 'sqs:ListQueueTags' })),
          }),
        }),
      );

      // KEDA's own answer, at two polls (a lasting failure, not a one-off): Warning events on the ScaledJob
      // (moto's 403 reaches KEDA's SDK as "StatusCode: 403"; each carries its own request id)
      const denied = /GetQueueAttributes.*(StatusCode: 403|AccessDenied|not authorized)/is;
      await pollUntil(
        "KEDA's Warning about GetQueueAttributes at two polls",
        async () => {
          const items =
            (
              await kubeRequest(cluster.rig, 'GET', `/api/v1/namespaces/${stack}/events?fieldSelector=involvedObject.kind%3DScaledJob`)
            ).json().items ?? [];
          const seen = items.filter(
            (e: any) => e.type === 'Warning' && denied.test(e.message ?? '') && Date.parse(e.lastTimestamp ?? e.eventTime ?? 0) >= brokenAt,
          );
          return seen.reduce((n: number, e: any) => n + (e.count ?? 1), 0) >= 2 ? true : undefined;
        },
        3 * MINUTE,
        operatorTail,
      );

      const r = await doctor();
      expect(r.code, fail(r)).toBe(1);
      // the cause, once; everything else doctor says is KEDA's own report of that same cause (check 11)
      const cause = r.problems.filter((f: any) => f.check !== 11);
      expect(cause.map((f: any) => `${f.check} ${f.verdict}`)).toEqual(['6 fail']);
      expect(cause[0].summary).toBe(`KEDA cannot sqs:GetQueueAttributes on ${stack}-queue: ${role}'s policies do not allow it`);
      expect(cause[0].fix).toContain('"Action": "sqs:GetQueueAttributes"');
      // KEDA's word, as the evidence of the cause
      expect(
        cause[0].evidence.some((e: string) => e.startsWith("KEDA's Warning event KEDAScalerFailed") && denied.test(e)),
        cause[0].evidence.join('\n'),
      ).toBe(true);
      // check 11 is KEDA's word on it: its Ready condition, its Warning event, its operator's log (pods/log)
      const word = r.problems.filter((f: any) => f.check === 11).map((f: any) => `${f.verdict} ${f.summary}`);
      const said = word.join('\n');
      const all11 = r.report.findings
        .filter((f: any) => f.check === 11)
        .map((f: any) => `${f.verdict} ${f.summary}`)
        .join('\n');
      expect(said).toMatch(new RegExp(`^fail KEDA says ScaledJob ${stack}/${stack}-processor is not Ready: TriggerError`, 'm'));
      expect(said).toMatch(
        /^warn KEDA reported \d+ Warning event\(s\) on ScaledJob .*, the last: KEDAScalerFailed: .*GetQueueAttributes.*StatusCode: 403/m,
      );
      expect(said, all11).toMatch(
        /^warn KEDA's operator keeps logging an error about ScaledJob .* \(\d+ times in the last 500 lines of pod keda\/keda-operator-.*GetQueueAttributes.*StatusCode: 403/m,
      );
      expect(word.length, said).toBe(3);

      // then the operator loses its route to STS (AWS_ENDPOINT_URL_STS on a closed port, as a cluster without a
      // NAT or an STS endpoint): a new operator Pod cannot assume any role; KEDA logs the SDK's network error, and
      // doctor adds exactly check 23, quoting that line (the policy break above stays, and so does check 6)
      const opPath = '/apis/apps/v1/namespaces/keda/deployments/keda-operator';
      const stsEnv = (env: unknown) =>
        kubeRequest(cluster.rig, 'PATCH', opPath, {
          body: { spec: { template: { spec: { containers: [{ name: 'keda-operator', env: [env] }] } } } },
          contentType: 'application/strategic-merge-patch+json',
        });
      const before23 = r.problems.filter((f: any) => f.check !== 11).map((f: any) => `${f.check} ${f.verdict}`);
      const sorted = (xs: string[]) => [...xs].sort();
      expect((await stsEnv({ name: 'AWS_ENDPOINT_URL_STS', value: 'http://127.0.0.1:9' })).status).toBe(200);
      await pollUntil(
        "KEDA's operator failing to reach STS",
        async () =>
          cluster
            .operatorLog()
            .split('\n')
            .find((l) => l.includes(`${stack}-processor`) && /operation error STS.*connection refused/i.test(l)),
        4 * MINUTE,
        operatorTail,
      );
      const sts = await doctor();
      const after23 = sts.problems.filter((f: any) => f.check !== 11);
      expect(sorted(after23.map((f: any) => `${f.check} ${f.verdict}`)), fail(sts)).toEqual(sorted([...before23, '23 warn']));
      const f23 = after23.find((f: any) => f.check === 23);
      expect(f23.summary).toBe(
        "KEDA's operator could not reach STS at http://127.0.0.1:9: its pod identity cannot get credentials while that lasts",
      );
      expect(f23.evidence.some((e: string) => /operation error STS.*connection refused/i.test(e))).toBe(true);
      process.stderr.write(`[doctor-real] KEDA said: ${f23.evidence.find((e: string) => /operation error STS/.test(e))}\n`);
    },
    20 * MINUTE,
  );
});
