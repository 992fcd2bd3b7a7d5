// kedactl's KEDA install, status, upgrade and uninstall through the REAL helm (4 and 3, built from the Go module
// proxy) with KEDA's real chart, against a kube-apiserver. Each helm major gets a rig of its own: the chart
// creates cluster-scoped objects (CRDs, ClusterRoles, an APIService, a webhook configuration) that would
// disturb the shared rig's KEDA CRDs other files rely on. No controllers run, so the operator never starts:
// what is checked is what the chart puts in the cluster (the ServiceAccount's IRSA annotation, the Deployment)
// and helm's release. The chart's APIService v1beta1.external.metrics.k8s.io has no backend here, as on a
// cluster whose metrics server is down: helm and kedactl's discovery must still work.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHelm } from '../../src/adapters/helm.ts';
import { createKube, loadKubeConfig } from '../../src/adapters/kube.ts';
import { desiredStack } from '../../src/core/stack/desired.ts';
import { installKeda, observeKeda, uninstallKedaIfUnused } from '../../src/core/keda/install.ts';
import { recordingProgress } from '../../src/core/progress.ts';
import { startKubeRig, type KubeRig } from '../support/kube-rig.ts';
import { admin, uniqueStack } from '../support/kube-test-rig.ts';
import { ensureHelm, HELM_VERSIONS, helmHome, KEDA_CHART_DIR, KEDA_CHART_VERSION, kedaSettings, namespaceGone } from '../support/helm.ts';
import { pollUntil } from '../support/poll.ts';

describe.each(HELM_VERSIONS)("the real helm %s with KEDA's chart", (helmVersion) => {
  let rig: KubeRig;
  let home: ReturnType<typeof helmHome>;
  let bin: string;
  beforeAll(async () => {
    bin = await ensureHelm(helmVersion);
    home = helmHome(bin);
    rig = await startKubeRig({ log: () => {} });
  });
  afterAll(async () => {
    await rig?.stop();
    home?.cleanup();
  });

  it("install, status, upgrade and uninstall: the chart's operator runs as the stack's IRSA role", async () => {
    const logged: string[] = [];
    const helm = createHelm({ bin, env: home.env, kubeconfig: rig.kubeconfigPath, log: (t) => logged.push(t) });
    const kube = createKube(loadKubeConfig({ kubeconfig: rig.kubeconfigPath, env: {} }));
    expect(await helm.version()).toBe(helmVersion);

    // install: from the chart folder, whose own version is the one installed
    const first = await desiredStack(kedaSettings({ stack: uniqueStack('helm'), kedaChart: KEDA_CHART_DIR }));
    expect(first.keda.version).toBe(KEDA_CHART_VERSION);
    const roleArn = first.keda.values['podIdentity.aws.irsa.roleArn']!;
    const progress = recordingProgress();
    expect(await installKeda(first, helm, kube, progress, { wait: false })).toEqual({ action: 'installed', version: KEDA_CHART_VERSION });
    expect(progress.steps.map((s) => s.title)).toContain(
      `Installing KEDA ${KEDA_CHART_VERSION} from ${KEDA_CHART_DIR} (helm release keda/keda)`,
    );
    expect(logged.filter((l) => / upgrade /.test(l))).toHaveLength(1);

    // what the chart made, read back from the cluster
    const sa = (await admin(rig, 'GET', '/api/v1/namespaces/keda/serviceaccounts/keda-operator')).json();
    expect(sa.metadata.annotations['eks.amazonaws.com/role-arn']).toBe(roleArn);
    expect(sa.metadata.labels['app.kubernetes.io/managed-by']).toBe('Helm');
    const operator = (await admin(rig, 'GET', '/apis/apps/v1/namespaces/keda/deployments/keda-operator')).json();
    expect(operator.spec.template.spec.serviceAccountName).toBe('keda-operator');
    expect((await admin(rig, 'GET', '/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.external.metrics.k8s.io')).status).toBe(200);
    // the chart's CRDs become served once the API server established them (kedactl's discovery beside the broken APIService)
    await pollUntil(
      'ScaledJob served',
      async () => ((await kube.served({ apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledJob' })) ? true : undefined),
      20_000,
    );
    const ns = (await admin(rig, 'GET', '/api/v1/namespaces/keda')).json();
    expect(ns.metadata.annotations).toMatchObject({ 'kedactl.io/installed-keda': 'true', 'kedactl.io/created-namespace': 'true' });

    // status: helm's release, with the values kedactl set
    const release = await helm.status('keda', 'keda');
    expect(release).toMatchObject({
      name: 'keda',
      namespace: 'keda',
      status: 'deployed',
      chart: `keda-${KEDA_CHART_VERSION}`,
      version: KEDA_CHART_VERSION,
      revision: 1,
    });
    expect(release!.values).toEqual({ 'podIdentity.aws.irsa.enabled': 'true', 'podIdentity.aws.irsa.roleArn': roleArn });
    const seen = await observeKeda(first, kube, helm);
    expect(seen).toMatchObject({ installed: true, version: KEDA_CHART_VERSION, installedByKedactl: true });
    expect(seen.unhealthy).toMatch(/^0\/1 replicas available; no controller has looked at it yet/); // no controllers: its Pods never come

    // upgrade: another role (the values differ), the same release, the annotation follows
    const second = await desiredStack(kedaSettings({ stack: uniqueStack('helm'), kedaChart: KEDA_CHART_DIR }));
    const newRole = second.keda.values['podIdentity.aws.irsa.roleArn']!;
    expect(newRole).not.toBe(roleArn);
    expect(await installKeda(second, helm, kube, recordingProgress(), { wait: false })).toEqual({
      action: 'upgraded',
      version: KEDA_CHART_VERSION,
    });
    expect(await helm.status('keda', 'keda')).toMatchObject({ status: 'deployed', revision: 2 });
    const sa2 = (await admin(rig, 'GET', '/api/v1/namespaces/keda/serviceaccounts/keda-operator')).json();
    expect(sa2.metadata.annotations['eks.amazonaws.com/role-arn']).toBe(newRole);

    // uninstall: the release, its objects and the namespace kedactl created; then "already gone"
    expect(await uninstallKedaIfUnused({ release: 'keda', namespace: 'keda' }, helm, kube, recordingProgress())).toBe('uninstalled');
    expect(await helm.status('keda', 'keda')).toBeUndefined();
    expect((await admin(rig, 'GET', '/apis/apps/v1/namespaces/keda/deployments/keda-operator')).status).toBe(404);
    // the chart's CRDs go with it (the API server finishes deleting a CRD on its own, shortly after helm returns)
    await pollUntil(
      'CRD scaledjobs.keda.sh deleted',
      async () =>
        (await admin(rig, 'GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/scaledjobs.keda.sh')).status === 404
          ? true
          : undefined,
      20_000,
    );
    await namespaceGone(rig, 'keda');
    expect(await helm.uninstall('keda', 'keda')).toBe(false);
  });
});
