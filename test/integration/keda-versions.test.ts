// Every KEDA release kedactl accepts takes every object kedactl renders: one real API server per release,
// with that release's CRDs from the KEDA Go module (test/rig/keda-crds.sh), `init --skip aws --skip keda`
// with the defaults, then every strategy in both auth modes through the server's own dry-run. A CRD
// that would refuse a rendered field is named by the plan, and init writes nothing.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startKubeRig, kubeRequest, type KubeRig } from '../support/kube-rig.ts';
import { kedaCrdsDir } from '../support/kube-test-rig.ts';
import { kubectlGet, STACK_KINDS } from '../support/stack-state.ts';
import { runCli } from '../support/run-cli.ts';
import { loadSettings } from '../../src/core/stack/load-settings.ts';
import { desiredStack } from '../../src/core/stack/desired.ts';
import { checkKedaCrds } from '../../src/core/keda/install.ts';
import { connectKube } from '../../src/adapters/kube.ts';
import { STRATEGIES, AUTH_MODES } from '../../src/core/stack/settings.ts';
import { DEFAULT_KEDA_VERSION, isSupportedKedaVersion } from '../../src/core/keda/versions.ts';

// every release of the supported minors the Go module proxy serves (2.20.0 and 2.20.1 list no "default" strategy)
const RELEASES = ['2.20.0', '2.20.1', '2.20.2', '2.21.0'];

const rigs: KubeRig[] = [];
afterAll(async () => {
  for (const r of rigs) await r.stop();
});

const flags = (stack: string, rig: KubeRig) => [
  '--stack',
  stack,
  '--region',
  'eu-west-1',
  '--account-id',
  '123456789012',
  '--oidc-issuer',
  'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE',
  '--kubeconfig',
  rig.kubeconfigPath,
];

/** a template override that spells out KEDA's default strategy (as a user's own copy might) */
function overrideWithDefaultStrategy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kedactl-tmpl-'));
  mkdirSync(join(dir, 'kubernetes'));
  const original = readFileSync(fileURLToPath(new URL('../../templates/kubernetes/scaled-job.yaml', import.meta.url)), 'utf8');
  const changed = original.replace('strategy: ${strategy}', 'strategy: default');
  if (changed === original) throw new Error('the ScaledJob template no longer has "strategy: ${strategy}": update this test');
  writeFileSync(join(dir, 'kubernetes', 'scaled-job.yaml'), changed);
  return dir;
}

describe('the supported KEDA releases', () => {
  it('covers the default release', () => {
    expect(RELEASES).toContain(DEFAULT_KEDA_VERSION);
    for (const v of RELEASES) expect(isSupportedKedaVersion(v), v).toBe(true);
  });

  for (const version of RELEASES) {
    it(`KEDA ${version}: init with the defaults applies every object; every strategy and both workloads in both auth modes pass the server's dry-run`, async () => {
      const rig = await startKubeRig({ crdsDir: kedaCrdsDir(version), log: () => {} });
      rigs.push(rig);
      const stack = `kv-${version.replace(/\./g, '')}`;
      const r = await runCli(['init', ...flags(stack, rig), '--skip', 'aws', '--skip', 'keda', '--no-wait', '--yes']);
      expect(r.stderr).not.toMatch(/error|invalid/i);
      expect(r.code).toBe(0);
      const objects = kubectlGet(rig.kubeconfigPath, STACK_KINDS, stack);
      expect(objects.map((o) => o.kind).sort()).toEqual([
        'ConfigMap',
        'ConfigMap',
        'Deployment',
        'Namespace',
        'ScaledJob',
        'Service',
        'ServiceAccount',
        'TriggerAuthentication',
      ]);

      const kube = connectKube({ kubeconfig: rig.kubeconfigPath, env: {} });
      const variants = [...STRATEGIES.map((strategy) => ({ strategy, workload: 'job' })), { strategy: 'default', workload: 'deployment' }];
      for (const auth of AUTH_MODES) {
        for (const { strategy, workload } of variants) {
          const settings = loadSettings({
            flags: {
              stack,
              region: 'eu-west-1',
              accountId: '123456789012',
              oidcIssuer: 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE',
              auth,
              strategy,
              workload,
              endpointUrl: auth === 'static' ? 'http://127.0.0.1:4566' : undefined,
            },
            env: {},
            cwd: tmpdir(),
          }).settings;
          const desired = await desiredStack(settings);
          // kedactl's own reading of the CRDs agrees with the server: nothing to refuse
          expect(await checkKedaCrds(desired, kube), `${auth}/${workload}/${strategy}`).toEqual({ problems: [], unread: [] });
          for (const { object } of desired.objects) {
            const accepted = await kube.apply(object, { dryRun: true }).then(
              () => 'accepted',
              (e: Error) => e.message,
            );
            expect(accepted, `${auth}/${workload}/${strategy}: ${object.kind} ${object.metadata.name}`).toBe('accepted');
          }
        }
      }
    });
  }

  it("names a field KEDA 2.20.0's CRD refuses in the plan, and init writes nothing", async () => {
    const rig = await startKubeRig({ crdsDir: kedaCrdsDir('2.20.0'), log: () => {} });
    rigs.push(rig);
    const stack = 'kv-refused';
    const templates = overrideWithDefaultStrategy();
    const plan = await runCli(['plan', ...flags(stack, rig), '--skip', 'aws', '--templates', templates]);
    expect(plan.stdout).toContain('blocked:');
    expect(plan.stdout).toContain(
      `ScaledJob ${stack}/${stack}-processor: spec.scalingStrategy.strategy "default" is not one of "custom", "accurate", "eager"`,
    );
    expect(plan.stdout).toContain('helm upgrade keda kedacore/keda -n keda --reuse-values --version');

    const init = await runCli([
      'init',
      ...flags(stack, rig),
      '--skip',
      'aws',
      '--skip',
      'keda',
      '--no-wait',
      '--yes',
      '--templates',
      templates,
    ]);
    expect(init.code).toBe(1);
    expect(init.stderr).toContain('spec.scalingStrategy.strategy');
    expect(init.stderr).toContain('nothing was changed');
    expect((await kubeRequest(rig, 'GET', `/api/v1/namespaces/${stack}`)).status).toBe(404);
    expect(kubectlGet(rig.kubeconfigPath, STACK_KINDS, stack)).toEqual([]);
  });
});
