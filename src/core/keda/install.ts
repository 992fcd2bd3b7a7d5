// src/core/keda/ owns KEDA: how it is installed and found (install.ts, through the helm port: helm-ports.ts),
// which versions kedactl supports (versions.ts) and whether the installed CRDs accept what kedactl renders
// (crd-schema.ts). It may import kube/, the stack's model and the floor; never aws/.
//
// KEDA itself: is it installed (helm release or a KEDA someone else manages), and installing it with
// the pinned chart and the IRSA values, then waiting until its CRDs and its operator are ready.
import type { Helm, HelmRelease } from './helm-ports.js';
import { isAuthorizationDenied, type Kube } from '../kube/ports.js';
import type { DesiredStack } from '../stack/desired.js';
import { ExternalError, StateError, UsageError } from '../errors.js';
import { adoptionRefused, formatConflict, kedaConflicts, type KedaConflict } from './conflicts.js';
import type { Progress } from '../progress.js';
import { KEDA, MANAGER } from '../stack/names.js';
import { describeKedaChart, helmChartCommand, helmChartRef } from './chart.js';
import { crdNotEstablished, deploymentNotReady, waitUntil } from '../kube/wait.js';
import { crdSchema, schemaProblems } from './crd-schema.js';
import { kedaVersionOf, labelOf, objectLabel } from '../kube/state.js';

export const KEDA_CRDS = [
  'scaledjobs.keda.sh',
  'scaledobjects.keda.sh',
  'triggerauthentications.keda.sh',
  'clustertriggerauthentications.keda.sh',
];
export const KEDA_OPERATOR = 'keda-operator';
/** on the keda namespace: kedactl installed the release (so teardown may uninstall it) */
export const ANNOTATION_INSTALLED = 'kedactl.io/installed-keda';
/** on the keda namespace: kedactl created the namespace (so teardown may delete it) */
export const ANNOTATION_CREATED_NAMESPACE = 'kedactl.io/created-namespace';

export interface KedaObservation {
  installed: boolean;
  version?: string;
  values?: Record<string, string>;
  /** helm release, when helm was asked */
  release?: HelmRelease;
  /** why KEDA is not healthy; undefined when healthy (or not installed) */
  unhealthy?: string;
  /** kedactl installed it (teardown may remove it) */
  installedByKedactl: boolean;
  /** helm was asked but is not installed: what is known comes from the cluster */
  helmMissing?: boolean;
  /** what stands in the way of installing or upgrading KEDA for this stack (keda-conflicts.ts); read only when helm was */
  conflicts: KedaConflict[];
}

async function health(kube: Kube): Promise<string | undefined> {
  for (const crd of KEDA_CRDS.slice(0, 3)) {
    const r = await crdNotEstablished(kube, crd);
    if (r) return r;
  }
  return deploymentNotReady(kube, KEDA.namespace, KEDA_OPERATOR);
}

/** Is KEDA there, which version, with which values, and is it healthy? */
export async function observeKeda(desired: DesiredStack, kube: Kube, helm?: Helm): Promise<KedaObservation> {
  const ns = await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: desired.keda.namespace });
  const installedByKedactl = ns?.metadata.annotations?.[ANNOTATION_INSTALLED] === 'true';
  let release: HelmRelease | undefined;
  let helmMissing = false;
  try {
    release = helm ? await helm.status(desired.keda.release, desired.keda.namespace) : undefined;
  } catch (e) {
    // reading must not need helm (plan, status): look at the cluster instead; installing still does
    if (!(e instanceof UsageError)) throw e;
    helmMissing = true;
  }
  const operator = await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: desired.keda.namespace, name: KEDA_OPERATOR });
  const differing = Object.entries(desired.keda.values)
    .filter(([key, want]) => release?.values[key] !== want)
    .map(([key, want]) => ({ key, have: release?.values[key], want }));
  const conflicts =
    helm && !helmMissing
      ? await kedaConflicts(
          desired.keda,
          { release, operator: !!operator, installedByKedactl, differing },
          kube,
          helmChartCommand(desired.keda.source).chart,
        )
      : [];
  if (!release && !operator) return { installed: false, installedByKedactl, helmMissing, conflicts };
  let values = release?.values;
  if (!values) {
    // no helm (or KEDA managed elsewhere): the operator's service account tells the IRSA role
    const sa = await kube.get({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      namespace: desired.keda.namespace,
      name: KEDA.operatorServiceAccount,
    });
    const role = sa?.metadata.annotations?.['eks.amazonaws.com/role-arn'];
    values = role ? { 'podIdentity.aws.irsa.enabled': 'true', 'podIdentity.aws.irsa.roleArn': role } : {};
  }
  const version = release?.version ?? kedaVersionOf(operator);
  const unhealthy =
    release && release.status !== 'deployed'
      ? `helm release ${release.namespace}/${release.name} is ${release.status}`
      : await health(kube);
  return { installed: true, version, values, release, unhealthy, installedByKedactl, helmMissing, conflicts };
}

export interface InstallKedaOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** wait for the CRDs and the operator (default true) */
  wait?: boolean;
  /** let helm 4 take over fields another manager set (init's --force-conflicts) */
  forceConflicts?: boolean;
}

export interface InstallKedaResult {
  action: 'installed' | 'upgraded' | 'unchanged';
  version?: string;
}

const valuesMatch = (want: Record<string, string>, have: Record<string, string> = {}) =>
  Object.entries(want).every(([k, v]) => have[k] === v);

/** helm upgrade --install of the pinned chart, unless a healthy KEDA with our values is already there. */
export async function installKeda(
  desired: DesiredStack,
  helm: Helm,
  kube: Kube,
  progress: Progress,
  opts: InstallKedaOptions = {},
): Promise<InstallKedaResult> {
  const k = desired.keda;
  const seen = await progress.step('Looking for KEDA', () => observeKeda(desired, kube, helm));
  const blocking = seen.conflicts.filter((c) => c.blocks);
  if (blocking.length > 0) throw conflictError(blocking);
  for (const c of seen.conflicts) progress.warn(formatConflict(c));
  let action: InstallKedaResult['action'] = 'unchanged';
  if (seen.installed && !seen.release) {
    progress.note(
      seen.helmMissing
        ? `KEDA ${seen.version ?? '(version unknown)'} is installed (helm is not, so its release was not read); kedactl leaves it alone`
        : `KEDA ${seen.version ?? '(version unknown)'} is installed without a helm release "${k.release}" in namespace ${k.namespace}; kedactl leaves it alone`,
    );
    if (!valuesMatch(k.values, seen.values))
      progress.warn(
        `KEDA's operator service account has no annotation eks.amazonaws.com/role-arn=${k.values['podIdentity.aws.irsa.roleArn']}; the ScaledJob cannot read the queue until it has`,
      );
  } else if (seen.installed && valuesMatch(k.values, seen.values) && !seen.unhealthy) {
    progress.note(`KEDA ${seen.version ?? ''} is already installed and healthy; skipped`.replace('  ', ' '));
    return { action: 'unchanged', version: seen.version };
  } else if (!seen.installed || !valuesMatch(k.values, seen.values) || seen.release?.status === 'failed') {
    // a failed release is run again: helm upgrades it, or installs it anew when no revision ever deployed
    const nsBefore = await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: k.namespace });
    const chart =
      k.source.kind === 'repository'
        ? await progress.step(`Updating the helm repository ${k.source.url}`, () => helmChartRef(k.source, helm))
        : await helmChartRef(k.source, helm);
    if (!seen.installed) {
      // mark it kedactl's before helm runs, on the cluster itself: a run killed after helm installed still
      // finds the release its own (and any teardown may undo it); undone below if helm installs nothing
      const annotations: Record<string, string> = {
        [ANNOTATION_INSTALLED]: 'true',
        ...(nsBefore ? {} : { [ANNOTATION_CREATED_NAMESPACE]: 'true' }),
      };
      await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: k.namespace, annotations } });
    }
    await progress.step(
      `${seen.installed ? 'Upgrading' : 'Installing'} KEDA ${k.version} from ${describeKedaChart(k.source)} (helm release ${k.namespace}/${k.release})`,
      () =>
        helm
          .upgradeInstall({
            release: k.release,
            chart,
            version: k.version,
            namespace: k.namespace,
            values: k.values,
            forceConflicts: opts.forceConflicts,
          })
          .catch(async (e: unknown) => {
            if (!seen.installed && !(await helm.status(k.release, k.namespace).catch(() => undefined))) {
              // helm installed nothing (it refused, or failed before storing a release): leave no mark, nor a namespace of ours
              if (nsBefore) await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: k.namespace } });
              else await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: k.namespace }, { propagation: 'Background' });
            }
            const refused = e instanceof ExternalError ? adoptionRefused(e.message, k) : undefined;
            throw refused ? conflictError([refused], e) : e;
          }),
    );
    action = seen.installed ? 'upgraded' : 'installed';
  }
  if (opts.wait !== false) {
    await progress.step("Waiting for KEDA's CRDs and operator", (update) =>
      waitUntil('KEDA', () => health(kube), {
        timeoutMs: opts.timeoutMs ?? 300_000,
        signal: opts.signal,
        update,
        next: `look at \`kubectl -n ${k.namespace} get pods\` and \`helm -n ${k.namespace} status ${k.release}\``,
      }),
    );
  }
  const version = action === 'unchanged' ? seen.version : k.version;
  if (action !== 'unchanged') progress.note(`KEDA ${version} ${action}`);
  return { action, version };
}

/** Uninstall KEDA if kedactl installed it and nothing else in the cluster scales with it. */
export async function uninstallKedaIfUnused(
  desired: { release: string; namespace: string },
  helm: Helm,
  kube: Kube,
  progress: Progress,
): Promise<'uninstalled' | 'kept-in-use' | 'kept-not-ours' | 'absent'> {
  const ns = await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: desired.namespace });
  if (!ns) return 'absent';
  if (ns.metadata.annotations?.[ANNOTATION_INSTALLED] !== 'true') {
    progress.note(`KEDA in namespace ${desired.namespace} was not installed by ${MANAGER}; kept`);
    return 'kept-not-ours';
  }
  const users: string[] = [];
  for (const kind of ['ScaledJob', 'ScaledObject']) {
    if (!(await kube.served({ apiVersion: 'keda.sh/v1alpha1', kind }))) continue;
    const left = await kube.list({ apiVersion: 'keda.sh/v1alpha1', kind }, { metadataOnly: true, limit: 5 });
    users.push(...left.map((o) => objectLabel({ kind, namespace: o.metadata.namespace, name: o.metadata.name })));
  }
  if (users.length > 0) {
    progress.note(`KEDA kept: other workloads still use it (${users.join(', ')})`);
    return 'kept-in-use';
  }
  await progress.step(`Uninstalling KEDA (helm release ${desired.namespace}/${desired.release})`, () =>
    helm.uninstall(desired.release, desired.namespace),
  );
  if (ns.metadata.annotations?.[ANNOTATION_CREATED_NAMESPACE] === 'true') {
    await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: desired.namespace }, { propagation: 'Background' });
    progress.note(`namespace ${desired.namespace} deleted (kedactl created it)`);
  }
  return 'uninstalled';
}

function conflictError(conflicts: KedaConflict[], cause?: unknown): StateError {
  const e = new StateError(
    `KEDA cannot be installed over what the cluster holds; nothing was changed in KEDA:\n${conflicts.map((c) => `  - ${formatConflict(c).replace(/\n/g, '\n    ')}`).join('\n')}`,
    'clear it as the fix says, then run kedactl init again (`kedactl plan` shows what is in the way)',
  );
  if (cause !== undefined) e.cause = cause;
  return e;
}

export function kedaNotHealthy(seen: KedaObservation): StateError | undefined {
  return seen.unhealthy
    ? new StateError(`KEDA is installed but not healthy: ${seen.unhealthy}`, 'look at `kubectl -n keda get pods`')
    : undefined;
}

/** What the installed CRDs say of the stack's KEDA objects. */
export interface KedaCrdCheck {
  /** "ScaledJob video/video-processor: spec.x: rule", one per refused field */
  problems: string[];
  /** CRDs that could not be read (forbidden to this user): the API server still checks at apply time */
  unread: string[];
}

/**
 * Would the cluster's KEDA CRDs accept the objects kedactl renders? Read before anything is written,
 * so a KEDA too old (or a template override) for what is rendered is named in the plan, not halfway
 * through init.
 */
export async function checkKedaCrds(desired: Pick<DesiredStack, 'objects'>, kube: Kube): Promise<KedaCrdCheck> {
  const out: KedaCrdCheck = { problems: [], unread: [] };
  const crds = new Map<string, unknown>();
  for (const { object } of desired.objects) {
    const [group, version] = object.apiVersion.split('/');
    if (!version || !group?.endsWith('keda.sh')) continue;
    const name = `${object.kind.toLowerCase()}s.${group}`;
    if (!crds.has(name)) {
      try {
        crds.set(name, await kube.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name }));
      } catch (e) {
        if (!isAuthorizationDenied(e)) throw e;
        crds.set(name, undefined);
        out.unread.push(name);
      }
    }
    const crd = crds.get(name);
    if (!crd) continue; // not installed (KEDA comes first) or not readable
    const schema = crdSchema(crd, version);
    const where = labelOf(object);
    if (!schema) {
      out.problems.push(`${where}: the installed CRD ${name} does not serve ${object.apiVersion}`);
      continue;
    }
    for (const p of schemaProblems(object, schema)) out.problems.push(`${where}: ${p.path} ${p.rule}`);
  }
  return out;
}
