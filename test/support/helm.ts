// The real helm for tests: helm 4 and helm 3, the newest of each major, built from the Go module proxy by
// test/rig/helm.sh and cached in ~/.cache/kedactl-rig/helm-vX.Y.Z/helm (the global setup builds both before
// any test file runs, so no test's timeout covers a build).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runScript } from './demo-cluster.ts';
import { admin } from './kube-test-rig.ts';
import type { KubeRig } from './kube-rig.ts';
import { pollUntil } from './poll.ts';
import { loadSettings } from '../../src/core/stack/load-settings.ts';

/** newest helm 4 and helm 3, the two majors kedactl supports */
export const HELM_VERSIONS = ['4.3.2', '3.22.0'] as const;
export type HelmVersion = (typeof HELM_VERSIONS)[number];

/** KEDA's real chart (read, installed, never copied into the repo): ../shared/reference beside the clone */
export { KEDA_CHART_DIR, KEDA_CHART_VERSION } from './demo-cluster.ts';

const built = new Map<string, Promise<string>>();

/** the helm binary of a release, built once; rejects with the build's output when it cannot be had */
export function ensureHelm(version: HelmVersion | string): Promise<string> {
  let p = built.get(version);
  if (!p) {
    p = runScript('helm.sh', [version], `building helm ${version}`).then((dir) => path.join(dir, 'helm'));
    built.set(version, p);
  }
  return p;
}

/** a real helm older than kedactl supports (MIN_HELM_VERSION 3.8.0): the last release before it */
export const OLD_HELM_VERSION = '3.7.2';

export const ensureHelms = () => Promise.all([...HELM_VERSIONS, OLD_HELM_VERSION].map((v) => ensureHelm(v)));

/**
 * An environment for helm with its configuration, cache and data in a temp folder of the test's own (never
 * the user's ~/.config/helm), the real helm's folder first on PATH; `cleanup` removes the folder.
 */
export function helmHome(bin: string, extra: Record<string, string> = {}): { env: NodeJS.ProcessEnv; dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'kedactl-helm-'));
  const env: NodeJS.ProcessEnv = {
    PATH: `${path.dirname(bin)}:${process.env.PATH}`,
    HOME: dir,
    HELM_CONFIG_HOME: path.join(dir, 'config'),
    HELM_CACHE_HOME: path.join(dir, 'cache'),
    HELM_DATA_HOME: path.join(dir, 'data'),
    ...extra,
  };
  return { env, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const ISSUER = 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE';

/** an irsa stack's settings with its account and issuer given (nothing asks AWS) */
export const kedaSettings = (flags: Record<string, unknown>) =>
  loadSettings({ flags: { region: 'eu-west-1', accountId: '123456789012', oidcIssuer: ISSUER, ...flags }, env: {}, cwd: tmpdir() })
    .settings;

/** a namespace deleted in a rig without the namespace controller stays Terminating: finish it, as that controller would */
export async function namespaceGone(rig: KubeRig, ns: string): Promise<void> {
  await admin(rig, 'PUT', `/api/v1/namespaces/${ns}/finalize`, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: ns },
    spec: { finalizers: [] },
  });
  await pollUntil(
    `namespace ${ns} gone`,
    async () => ((await admin(rig, 'GET', `/api/v1/namespaces/${ns}`)).status === 404 ? true : undefined),
    20_000,
  );
}
