// kedaChart with the real helm 4 and 3: KEDA's real chart packaged by `helm package` (.tgz), pushed to a
// private OCI registry (the CNCF distribution registry) and indexed in a private https chart repository
// behind basic auth, each with TLS from a CA of its own that helm trusts through SSL_CERT_FILE (as a user's
// helm trusts a corporate CA). Nothing reaches the network. A rig per helm major,
// for the same reason as helm-real.test.ts (the chart's cluster-scoped objects).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHelm } from '../../src/adapters/helm.ts';
import { createKube, loadKubeConfig } from '../../src/adapters/kube.ts';
import { desiredStack } from '../../src/core/stack/desired.ts';
import { installKeda, uninstallKedaIfUnused } from '../../src/core/keda/install.ts';
import { ExternalError } from '../../src/core/errors.ts';
import { recordingProgress } from '../../src/core/progress.ts';
import { startKubeRig, type KubeRig } from '../support/kube-rig.ts';
import { admin, uniqueStack } from '../support/kube-test-rig.ts';
import { ensureHelm, HELM_VERSIONS, helmHome, KEDA_CHART_DIR, KEDA_CHART_VERSION, kedaSettings, namespaceGone } from '../support/helm.ts';
import { startOciRegistry, type OciRegistry } from '../support/oci-registry.ts';
import { startChartRepo, type ChartRepo } from '../support/chart-repo.ts';

describe.each(HELM_VERSIONS)('kedaChart with the real helm %s', (helmVersion) => {
  let rig: KubeRig;
  let registry: OciRegistry;
  let repo: ChartRepo;
  let helmCli: (args: string[]) => Promise<string>;
  let home: ReturnType<typeof helmHome>;
  let bin: string;
  let tgz: string;
  const work = mkdtempSync(path.join(tmpdir(), 'kedactl-chart-'));
  beforeAll(async () => {
    bin = await ensureHelm(helmVersion);
    [rig, registry, repo] = await Promise.all([
      startKubeRig({ log: () => {} }),
      startOciRegistry(),
      startChartRepo(work, 'ci', 'chart-secret'),
    ]);
    const bundle = path.join(work, 'ca-bundle.pem'); // the machine's extra CAs: the registry's and the repository's
    writeFileSync(bundle, readFileSync(registry.caFile, 'utf8') + readFileSync(repo.caFile, 'utf8'));
    home = helmHome(bin, { SSL_CERT_FILE: bundle });
    // the chart as a release ships it, in a registry mirror and in a chart repository, made with this helm itself
    // asynchronously: the chart repository answers from this same process
    helmCli = async (args: string[]) => (await promisify(execFile)(bin, args, { env: home.env, encoding: 'utf8' })).stdout;
    await helmCli(['package', KEDA_CHART_DIR, '--destination', work]);
    tgz = path.join(work, `keda-${KEDA_CHART_VERSION}.tgz`);
    await helmCli(['push', tgz, `oci://${registry.host}/charts`]);
    await helmCli(['repo', 'index', work, '--url', repo.url]);
  });
  afterAll(async () => {
    await Promise.all([rig?.stop(), registry?.stop(), repo?.stop()]);
    home?.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('installs from a .tgz, upgrades from the OCI mirror, and names the registry when helm cannot have the chart', async () => {
    const helm = createHelm({ bin, env: home.env, kubeconfig: rig.kubeconfigPath });
    const kube = createKube(loadKubeConfig({ kubeconfig: rig.kubeconfigPath, env: {} }));

    const fromTgz = await desiredStack(kedaSettings({ stack: uniqueStack('tgz'), kedaChart: tgz }));
    expect(fromTgz.settings.kedaVersion).toBe(KEDA_CHART_VERSION); // read from the package's Chart.yaml
    const p1 = recordingProgress();
    expect(await installKeda(fromTgz, helm, kube, p1, { wait: false })).toEqual({ action: 'installed', version: KEDA_CHART_VERSION });
    expect(p1.steps.map((s) => s.title)).toContain(`Installing KEDA ${KEDA_CHART_VERSION} from ${tgz} (helm release keda/keda)`);
    const sa = (await admin(rig, 'GET', '/api/v1/namespaces/keda/serviceaccounts/keda-operator')).json();
    expect(sa.metadata.annotations['eks.amazonaws.com/role-arn']).toBe(fromTgz.keda.values['podIdentity.aws.irsa.roleArn']);

    const ref = `oci://${registry.host}/charts/keda`;
    const fromOci = await desiredStack(kedaSettings({ stack: uniqueStack('oci'), kedaChart: ref, kedaVersion: KEDA_CHART_VERSION }));
    const p2 = recordingProgress();
    expect(await installKeda(fromOci, helm, kube, p2, { wait: false })).toEqual({ action: 'upgraded', version: KEDA_CHART_VERSION });
    expect(p2.steps.map((s) => s.title)).toContain(`Upgrading KEDA ${KEDA_CHART_VERSION} from ${ref} (helm release keda/keda)`);
    expect(await helm.status('keda', 'keda')).toMatchObject({ status: 'deployed', revision: 2, chart: `keda-${KEDA_CHART_VERSION}` });
    const sa2 = (await admin(rig, 'GET', '/api/v1/namespaces/keda/serviceaccounts/keda-operator')).json();
    expect(sa2.metadata.annotations['eks.amazonaws.com/role-arn']).toBe(fromOci.keda.values['podIdentity.aws.irsa.roleArn']);

    // a helm that does not trust the mirror's CA: helm's words, and what to do about it; the release is untouched
    const untrusting = helmHome(bin);
    try {
      const other = await desiredStack(kedaSettings({ stack: uniqueStack('oci'), kedaChart: ref, kedaVersion: KEDA_CHART_VERSION }));
      const err = await installKeda(
        other,
        createHelm({ bin, env: untrusting.env, kubeconfig: rig.kubeconfigPath }),
        kube,
        recordingProgress(),
        { wait: false },
      ).catch((e) => e);
      expect(err).toBeInstanceOf(ExternalError);
      expect(err.message).toMatch(/x509|certificate/);
      expect(err.next).toMatch(/trusts its certificate \(helm uses SSL_CERT_FILE/);
      expect(await helm.status('keda', 'keda')).toMatchObject({ revision: 2 });
    } finally {
      untrusting.cleanup();
    }

    expect(await uninstallKedaIfUnused({ release: 'keda', namespace: 'keda' }, helm, kube, recordingProgress())).toBe('uninstalled');
    await namespaceGone(rig, 'keda');
  });

  it("an https chart repository behind basic auth: helm's own entry for it (with its credentials) is used; without one, helm's refusal and where credentials go", async () => {
    const helm = createHelm({ bin, env: home.env, kubeconfig: rig.kubeconfigPath });
    const kube = createKube(loadKubeConfig({ kubeconfig: rig.kubeconfigPath, env: {} }));
    const desired = await desiredStack(kedaSettings({ stack: uniqueStack('repo'), kedaChart: repo.url, kedaVersion: KEDA_CHART_VERSION }));

    // no entry in helm's configuration: kedactl adds one without credentials, and the repository says no
    const err = await installKeda(desired, helm, kube, recordingProgress(), { wait: false }).catch((e) => e);
    expect(err).toBeInstanceOf(ExternalError);
    expect(err.message).toMatch(/helm repo add: .* failed \(exit 1\): .*401/);
    expect(err.next).toMatch(
      /credentials belong in helm's own configuration \(`helm registry login HOST` for oci:\/\/, `helm repo add NAME URL --username \.\.\.` for a repository\)/,
    );
    expect(await helm.status('keda', 'keda')).toBeUndefined();

    // the user's own entry, with credentials kedactl never sees
    await helmCli(['repo', 'add', 'corp-mirror', repo.url, '--username', 'ci', '--password', 'chart-secret']);
    const p = recordingProgress();
    expect(await installKeda(desired, helm, kube, p, { wait: false })).toEqual({ action: 'installed', version: KEDA_CHART_VERSION });
    expect(p.steps.map((s) => s.title)).toContain(`Installing KEDA ${KEDA_CHART_VERSION} from keda (${repo.url}) (helm release keda/keda)`);
    // the index read with the entry's credentials (helm 4 may take the package itself from its content cache)
    expect(repo.requests.filter((r) => r.endsWith(' 200'))).toContain('/charts/index.yaml 200');
    const sa = (await admin(rig, 'GET', '/api/v1/namespaces/keda/serviceaccounts/keda-operator')).json();
    expect(sa.metadata.annotations['eks.amazonaws.com/role-arn']).toBe(desired.keda.values['podIdentity.aws.irsa.roleArn']);
    expect(await helmCli(['repo', 'list', '-o', 'json'])).not.toContain('kedactl-keda');

    expect(await uninstallKedaIfUnused({ release: 'keda', namespace: 'keda' }, helm, kube, recordingProgress())).toBe('uninstalled');
    await namespaceGone(rig, 'keda');
  });
});
