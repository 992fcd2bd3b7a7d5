// What real clusters throw at a KEDA install, each with the real helm 4 and 3 and KEDA's real chart against a
// rig of this file's own: an operator ServiceAccount made before (as `eksctl create iamserviceaccount` does),
// CRDs left by an earlier KEDA without a release, a release someone else installed with other values, and a
// release stuck in pending-install / pending-upgrade because helm was killed. Each is a clear error naming the
// object and the fix, with nothing installed or changed in KEDA; then the fix is applied and kedactl installs.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHelm } from '../../src/adapters/helm.ts';
import { createKube, loadKubeConfig } from '../../src/adapters/kube.ts';
import { desiredStack } from '../../src/core/stack/desired.ts';
import { StateError } from '../../src/core/errors.ts';
import { installKeda, observeKeda } from '../../src/core/keda/install.ts';
import { KEDA_CHART_CRDS } from '../../src/core/keda/conflicts.ts';
import { plan as buildPlan } from '../../src/core/stack/plan.ts';
import { observeKube } from '../../src/core/kube/stack.ts';
import { recordingProgress } from '../../src/core/progress.ts';
import { doctor } from '../../src/core/doctor/index.ts';
import type { Helm } from '../../src/core/keda/helm-ports.ts';
import type { Kube } from '../../src/core/kube/ports.ts';
import { startKubeRig, type KubeRig } from '../support/kube-rig.ts';
import { admin, kedaCrdsDir, uniqueStack } from '../support/kube-test-rig.ts';
import { ensureHelm, HELM_VERSIONS, helmHome, KEDA_CHART_DIR, kedaSettings, namespaceGone } from '../support/helm.ts';
import { pollUntil } from '../support/poll.ts';

const stackWithChart = async (prefix: string) => desiredStack(kedaSettings({ stack: uniqueStack(prefix), kedaChart: KEDA_CHART_DIR }));
const roleOf = (d: Awaited<ReturnType<typeof stackWithChart>>) => d.keda.values['podIdentity.aws.irsa.roleArn']!;
const ADOPT = {
  metadata: {
    labels: { 'app.kubernetes.io/managed-by': 'Helm' },
    annotations: { 'meta.helm.sh/release-name': 'keda', 'meta.helm.sh/release-namespace': 'keda' },
  },
};

describe.each(HELM_VERSIONS)('a cluster that is not empty, with the real helm %s', (helmVersion) => {
  let rig: KubeRig;
  let home: ReturnType<typeof helmHome>;
  let bin: string;
  let helm: Helm;
  let kube: Kube;
  const helmCli = (args: string[]) => [...args, '--kubeconfig', rig.kubeconfigPath];
  /** helm run by someone else (not kedactl): resolves with its exit code and stderr */
  const runHelm = (args: string[]) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const c = spawn(bin, helmCli(args), { env: home.env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      c.stderr.on('data', (d) => (stderr += d));
      c.on('close', (code) => resolve({ code, stderr }));
    });

  beforeAll(async () => {
    bin = await ensureHelm(helmVersion);
    home = helmHome(bin);
    rig = await startKubeRig({ log: () => {} });
    helm = createHelm({ bin, env: home.env, kubeconfig: rig.kubeconfigPath });
    kube = createKube(loadKubeConfig({ kubeconfig: rig.kubeconfigPath, env: {} }));
  });
  afterAll(async () => {
    await rig?.stop();
    home?.cleanup();
  });
  // each case starts from an empty cluster: no release, no CRDs, no keda namespace
  afterEach(async () => {
    await helm.uninstall('keda', 'keda');
    // a namespace finished by hand here keeps its objects in storage: remove what a case made itself
    await admin(rig, 'DELETE', '/api/v1/namespaces/keda/serviceaccounts/keda-operator');
    for (const crd of KEDA_CHART_CRDS) await admin(rig, 'DELETE', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd}`);
    await admin(rig, 'DELETE', '/api/v1/namespaces/keda');
    await namespaceGone(rig, 'keda');
    for (const crd of KEDA_CHART_CRDS)
      await pollUntil(
        `CRD ${crd} deleted`,
        async () =>
          (await admin(rig, 'GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd}`)).status === 404 ? true : undefined,
        20_000,
      );
  });

  /** doctor's findings on KEDA's release (from the cluster alone, no helm), as "verdict: summary" */
  const doctorSays = async () =>
    (await doctor({ namespace: 'default', scaledJob: 'none' }, { kube, awsUnavailable: 'not needed here' })).findings
      .filter((f) => f.id === 'keda-release')
      .map((f) => `${f.verdict}: ${f.summary}`);

  /**
   * nothing of KEDA was installed: no release, no operator, and the namespace either not marked as kedactl's
   * or (when kedactl created it for the install) being deleted; here no namespace controller finishes that
   */
  async function nothingInstalled(): Promise<void> {
    expect(await helm.status('keda', 'keda')).toBeUndefined();
    expect((await admin(rig, 'GET', '/apis/apps/v1/namespaces/keda/deployments/keda-operator')).status).toBe(404);
    const ns = await admin(rig, 'GET', '/api/v1/namespaces/keda');
    if (ns.status !== 200) return;
    const meta = ns.json().metadata;
    if (meta.deletionTimestamp) await namespaceGone(rig, 'keda');
    else expect(meta.annotations?.['kedactl.io/installed-keda']).toBeUndefined();
  }

  it('an operator ServiceAccount eksctl made: blocked in the plan and at install, naming it and the fix; installs once adopted', async () => {
    await admin(rig, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'keda' } });
    const eksctlRole = 'arn:aws:iam::123456789012:role/eksctl-demo-addon-iamserviceaccount-keda-Role1-ABC';
    expect(
      (
        await admin(rig, 'POST', '/api/v1/namespaces/keda/serviceaccounts', {
          apiVersion: 'v1',
          kind: 'ServiceAccount',
          metadata: {
            name: 'keda-operator',
            labels: { 'app.kubernetes.io/managed-by': 'eksctl' },
            annotations: { 'eks.amazonaws.com/role-arn': eksctlRole },
          },
        })
      ).status,
    ).toBe(201);
    const desired = await stackWithChart('sa');

    const plan = buildPlan(desired, await observeKube(desired, kube, { helm }));
    expect(plan.blockers).toHaveLength(1);
    expect(plan.blockers[0]).toContain(
      `ServiceAccount keda/keda-operator already exists, made by eksctl (app.kubernetes.io/managed-by) with eks.amazonaws.com/role-arn ${eksctlRole}, and helm refuses to adopt it into release keda/keda`,
    );
    expect(plan.blockers[0]).toContain(
      'fix: let helm adopt it: kubectl label -n keda serviceaccount keda-operator app.kubernetes.io/managed-by=Helm --overwrite && kubectl annotate -n keda serviceaccount keda-operator meta.helm.sh/release-name=keda meta.helm.sh/release-namespace=keda --overwrite eks.amazonaws.com/role-arn- (the chart then sets the role annotation',
    );
    expect(plan.blockers[0]).toContain('`eksctl delete iamserviceaccount` also deletes the role');

    const err = await installKeda(desired, helm, kube, recordingProgress(), { wait: false }).catch((e) => e);
    expect(err).toBeInstanceOf(StateError);
    expect(err.message).toMatch(
      /^KEDA cannot be installed over what the cluster holds; nothing was changed in KEDA:\n {2}- ServiceAccount keda\/keda-operator already exists/,
    );
    await nothingInstalled();
    expect(await doctorSays()).toEqual([`fail: ${plan.blockers[0]!.split('\n')[0]}`]);

    // helm itself refuses it too (what kedactl's check spares the user), and kedactl words that refusal the same way
    const helmSays = await runHelm(['upgrade', '--install', 'keda', KEDA_CHART_DIR, '-n', 'keda']);
    expect(helmSays.code).not.toBe(0);
    expect(helmSays.stderr).toMatch(
      /ServiceAccount "keda-operator" in namespace "keda" exists and cannot be imported into the current release/,
    );
    await nothingInstalled();

    // the fix as the message gives it; then the chart's operator runs as the stack's role, not eksctl's
    await admin(
      rig,
      'PATCH',
      '/api/v1/namespaces/keda/serviceaccounts/keda-operator',
      { metadata: { ...ADOPT.metadata, annotations: { ...ADOPT.metadata.annotations, 'eks.amazonaws.com/role-arn': null } } },
      'application/merge-patch+json',
    );
    expect((await installKeda(desired, helm, kube, recordingProgress(), { wait: false })).action).toBe('installed');
    const sa = (await admin(rig, 'GET', '/api/v1/namespaces/keda/serviceaccounts/keda-operator')).json();
    expect(sa.metadata.annotations['eks.amazonaws.com/role-arn']).toBe(roleOf(desired));
  });

  it("CRDs left by an earlier KEDA without a release: a warning in the plan, helm's refusal in kedactl's words; installs once adopted", async () => {
    const dir = kedaCrdsDir(); // KEDA's own CRDs from its Go module, applied without helm (as `kubectl apply -f keda.yaml` does)
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml')))
      expect(
        (
          await admin(
            rig,
            'POST',
            '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
            readFileSync(path.join(dir, f), 'utf8'),
            'application/yaml',
          )
        ).status,
      ).toBe(201);
    const desired = await stackWithChart('crds');

    const plan = buildPlan(desired, await observeKube(desired, kube, { helm }));
    expect(plan.blockers).toEqual([]);
    const warning = plan.warnings.find((w) => w.startsWith('CRDs '))!;
    expect(warning).toContain(`CRDs ${KEDA_CHART_CRDS.join(', ')} exist from an earlier KEDA`);
    expect(warning).toContain(`kubectl label crd ${KEDA_CHART_CRDS.join(' ')} app.kubernetes.io/managed-by=Helm --overwrite`);
    expect(warning).toContain('then run kedactl init with --force-conflicts (helm 4 applies server-side');
    expect(await doctorSays()).toEqual([`warn: ${warning.split('\n')[0]}`]);

    const err = await installKeda(desired, helm, kube, recordingProgress(), { wait: false }).catch((e) => e);
    expect(err).toBeInstanceOf(StateError);
    expect(err.message).toMatch(
      /- CustomResourceDefinition \S+\.keda\.sh already exists outside helm release keda\/keda, and helm refuses to adopt it; nothing was installed\n\s+fix: let helm adopt it: kubectl label customresourcedefinition \S+ app.kubernetes.io\/managed-by=Helm --overwrite && kubectl annotate customresourcedefinition \S+ meta.helm.sh\/release-name=keda meta.helm.sh\/release-namespace=keda --overwrite/,
    );
    expect((err.cause as Error).message).toContain('exists and cannot be imported into the current release'); // helm's own words, kept
    await nothingInstalled();

    for (const crd of KEDA_CHART_CRDS)
      await admin(rig, 'PATCH', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd}`, ADOPT, 'application/merge-patch+json');
    if (helmVersion.startsWith('4.')) {
      // helm 4 applies server-side: the fields the earlier tool set are refused, the release is left failed...
      const refused = await installKeda(desired, helm, kube, recordingProgress(), { wait: false }).catch((e) => e);
      expect(refused.message).toMatch(
        /conflict occurred while applying object \/\S+\.keda\.sh apiextensions\.k8s\.io\/v1, Kind=CustomResourceDefinition/,
      );
      expect(refused.next).toMatch(/run kedactl init again with --force-conflicts to let helm take them over/);
      expect(await helm.status('keda', 'keda')).toMatchObject({ status: 'failed' });
      // ...and init --force-conflicts runs the failed release again, taking the fields over
      expect((await installKeda(desired, helm, kube, recordingProgress(), { wait: false, forceConflicts: true })).action).toBe('upgraded');
    } else {
      // helm 3 merges client-side: the adoption is enough
      expect((await installKeda(desired, helm, kube, recordingProgress(), { wait: false })).action).toBe('installed');
    }
    expect(await helm.status('keda', 'keda')).toMatchObject({ status: 'deployed' });
    const crd = (await admin(rig, 'GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/scaledjobs.keda.sh')).json();
    expect(crd.metadata.labels['app.kubernetes.io/part-of']).toBe('keda-operator'); // now the chart's own
  });

  it('a release someone else installed with other values: blocked, naming the release, the values and the fix; helm is not run', async () => {
    const theirs = 'arn:aws:iam::123456789012:role/platform-team-keda';
    const installed = await runHelm([
      'upgrade',
      '--install',
      'keda',
      KEDA_CHART_DIR,
      '-n',
      'keda',
      '--create-namespace',
      '--set',
      'podIdentity.aws.irsa.enabled=true',
      '--set',
      `podIdentity.aws.irsa.roleArn=${theirs}`,
    ]);
    expect(installed.stderr).not.toMatch(/Error/);
    const desired = await stackWithChart('other');
    const seen = await observeKeda(desired, kube, helm);
    expect(seen.conflicts.map((c) => c.blocks)).toEqual([true]);
    const err = await installKeda(desired, helm, kube, recordingProgress(), { wait: false }).catch((e) => e);
    expect(err).toBeInstanceOf(StateError);
    expect(err.message).toContain(
      'helm release keda/keda (chart keda-2.20.2) was installed by someone else (namespace keda has no kedactl.io/installed-keda annotation) with other values: ',
    );
    expect(err.message).toContain(`podIdentity.aws.irsa.roleArn is ${theirs}, this stack needs ${roleOf(desired)}`);
    expect(err.message).toContain(
      `fix: have its owner set them (helm -n keda upgrade keda ${KEDA_CHART_DIR} --version 2.20.2 --reuse-values --set podIdentity.aws.irsa.roleArn=${roleOf(desired)})`,
    );
    expect(err.message).toContain('or pass --skip keda');
    expect(await helm.status('keda', 'keda')).toMatchObject({ revision: 1, values: { 'podIdentity.aws.irsa.roleArn': theirs } });
  });

  it('a release stuck in pending-install or pending-upgrade (helm killed mid-way): blocked with the undo that works', async () => {
    /** helm waiting for an operator that never becomes ready here, killed once the release says `status` */
    async function interrupted(args: string[], status: string): Promise<void> {
      const c = spawn(bin, helmCli([...args, '--wait', '--timeout', '10m']), { env: home.env, stdio: 'ignore' });
      try {
        await pollUntil(
          `release ${status}`,
          async () => ((await helm.status('keda', 'keda'))?.status === status ? true : undefined),
          60_000,
        );
      } finally {
        c.kill('SIGKILL');
      }
    }
    const desired = await stackWithChart('pending');
    await interrupted(['upgrade', '--install', 'keda', KEDA_CHART_DIR, '-n', 'keda', '--create-namespace'], 'pending-install');
    let err = await installKeda(desired, helm, kube, recordingProgress(), { wait: false }).catch((e) => e);
    expect(err).toBeInstanceOf(StateError);
    expect(err.message).toContain(
      'helm release keda/keda is stuck in pending-install (revision 1): a helm run was interrupted before it finished',
    );
    expect(err.message).toContain(
      'fix: make sure no helm is still running on it, then helm -n keda uninstall keda (the interrupted install is removed',
    );
    // the undo the message names works, and kedactl installs after it
    expect((await runHelm(['uninstall', 'keda', '-n', 'keda'])).code).toBe(0);
    expect((await installKeda(desired, helm, kube, recordingProgress(), { wait: false })).action).toBe('installed');

    await interrupted(
      ['upgrade', 'keda', KEDA_CHART_DIR, '-n', 'keda', '--reuse-values', '--set', 'operator.replicaCount=2'],
      'pending-upgrade',
    );
    err = await installKeda(desired, helm, kube, recordingProgress(), { wait: false }).catch((e) => e);
    expect(err.message).toContain('helm release keda/keda is stuck in pending-upgrade (revision 2)');
    expect(err.message).toContain('then helm -n keda rollback keda (back to the last deployed revision), and run kedactl init again');
    // doctor sees it from helm's release Secrets alone
    expect(await doctorSays()).toEqual([
      expect.stringMatching(/^fail: helm release keda\/keda is stuck in pending-upgrade \(revision 2\)/),
    ]);
    expect((await runHelm(['rollback', 'keda', '-n', 'keda'])).code).toBe(0);
    expect(await helm.status('keda', 'keda')).toMatchObject({ status: 'deployed', revision: 3 });
    expect((await installKeda(desired, helm, kube, recordingProgress(), { wait: false })).action).toBe('unchanged');
    expect(await doctorSays()).toEqual([]);
  });
});
