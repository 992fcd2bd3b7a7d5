// What a cluster that is not empty puts in the way of installing KEDA with helm, found before anything
// changes, each named with its fix: a release stuck in pending-* (an interrupted helm), a release someone
// else installed with other values, and objects the chart would create that exist outside helm (helm
// refuses to adopt them: an operator ServiceAccount made by `eksctl create iamserviceaccount`, CRDs left by
// an earlier KEDA). helm's own refusal for any other object is worded the same way (adoptionRefused).
import type { HelmRelease } from './helm-ports.js';
import type { Kube, KubeObject } from '../kube/ports.js';
import { KEDA } from '../stack/names.js';

/** The chart's CRDs (keda.sh and eventing.keda.sh), in the order helm would create them. */
export const KEDA_CHART_CRDS = [
  'cloudeventsources.eventing.keda.sh',
  'clustercloudeventsources.eventing.keda.sh',
  'clustertriggerauthentications.keda.sh',
  'scaledjobs.keda.sh',
  'scaledobjects.keda.sh',
  'triggerauthentications.keda.sh',
];

export interface KedaConflict {
  /** what is in the way, naming the object */
  what: string;
  /** the commands or choice that clear it */
  fix: string;
  /** block init (helm would refuse or overwrite) or only warn (helm itself will refuse, with adoptionRefused's words) */
  blocks: boolean;
}

export const formatConflict = (c: KedaConflict) => `${c.what}\n  fix: ${c.fix}`;

const RELEASE_NAME = 'meta.helm.sh/release-name';
const RELEASE_NAMESPACE = 'meta.helm.sh/release-namespace';

/** whose helm release an object belongs to, by the ownership marks helm checks before adopting */
function owner(o: KubeObject): string | undefined {
  const a = o.metadata.annotations ?? {};
  const helmManaged = o.metadata.labels?.['app.kubernetes.io/managed-by'] === 'Helm';
  return helmManaged && a[RELEASE_NAME] && a[RELEASE_NAMESPACE] ? `${a[RELEASE_NAMESPACE]}/${a[RELEASE_NAME]}` : undefined;
}

const adoptCommands = (release: string, namespace: string, target: string) =>
  `kubectl label ${target} app.kubernetes.io/managed-by=Helm --overwrite && ` +
  `kubectl annotate ${target} ${RELEASE_NAME}=${release} ${RELEASE_NAMESPACE}=${namespace} --overwrite`;

export interface KedaSeen {
  release?: HelmRelease;
  /** the keda-operator Deployment exists (KEDA runs, with or without helm) */
  operator: boolean;
  installedByKedactl: boolean;
  /** the values the release has, when it differs from what the stack needs */
  differing: Array<{ key: string; have?: string; want: string }>;
}

/** Everything in the way of `helm upgrade --install` of KEDA for this stack. */
export async function kedaConflicts(
  k: { release: string; namespace: string },
  seen: KedaSeen,
  kube: Kube,
  chartCommand: string,
): Promise<KedaConflict[]> {
  const out: KedaConflict[] = [];
  const r = seen.release;
  const where = `${k.namespace}/${k.release}`;
  if (r?.status.startsWith('pending-')) {
    const undo =
      r.status === 'pending-install'
        ? `helm -n ${k.namespace} uninstall ${k.release} (the interrupted install is removed; nothing kedactl made depends on it)`
        : `helm -n ${k.namespace} rollback ${k.release} (back to the last deployed revision)`;
    out.push({
      what: `helm release ${where} is stuck in ${r.status} (revision ${r.revision}): a helm run was interrupted before it finished, and helm refuses every other operation on the release until it is cleared`,
      fix: `make sure no helm is still running on it, then ${undo}, and run kedactl init again`,
      blocks: true,
    });
    return out;
  }
  if (r && !seen.installedByKedactl && seen.differing.length > 0) {
    const sets = seen.differing.map((d) => `--set ${d.key}=${d.want}`).join(' ');
    out.push({
      what:
        `helm release ${where} (chart ${r.chart}) was installed by someone else (namespace ${k.namespace} has no kedactl.io/installed-keda annotation) with other values: ` +
        seen.differing.map((d) => `${d.key} is ${d.have ?? '(unset)'}, this stack needs ${d.want}`).join('; ') +
        '; kedactl does not change a KEDA it did not install',
      fix: `have its owner set them (helm -n ${k.namespace} upgrade ${k.release} ${chartCommand} --version ${r.version ?? '<its version>'} --reuse-values ${sets}), or pass --skip keda to leave KEDA as it is (the ScaledJob cannot read the queue until the operator runs as the stack's role)`,
      blocks: true,
    });
  }
  if (r || seen.operator) return out; // an installed KEDA owns what it made; kedactl leaves a KEDA without helm alone

  const sa = await kube.get({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: k.namespace, name: KEDA.operatorServiceAccount });
  if (sa && owner(sa) !== where) {
    const by = owner(sa)
      ? `helm release ${owner(sa)}`
      : sa.metadata.labels?.['app.kubernetes.io/managed-by']
        ? `${sa.metadata.labels['app.kubernetes.io/managed-by']} (app.kubernetes.io/managed-by)`
        : 'someone, outside helm';
    const role = sa.metadata.annotations?.['eks.amazonaws.com/role-arn'];
    out.push({
      what: `ServiceAccount ${k.namespace}/${KEDA.operatorServiceAccount} already exists, made by ${by}${role ? ` with eks.amazonaws.com/role-arn ${role}` : ''}, and helm refuses to adopt it into release ${where}`,
      fix:
        `let helm adopt it: ${adoptCommands(k.release, k.namespace, `-n ${k.namespace} serviceaccount ${KEDA.operatorServiceAccount}`)}` +
        `${role ? ' eks.amazonaws.com/role-arn-' : ''} (the chart then sets the role annotation to the stack's${role ? '; removing the old one keeps helm 4 from refusing a field another tool set' : ''}); or delete it (kubectl -n ${k.namespace} delete serviceaccount ${KEDA.operatorServiceAccount}${by.startsWith('eksctl') ? '; `eksctl delete iamserviceaccount` also deletes the role eksctl made for it' : ''})`,
      blocks: true,
    });
  }
  const left: string[] = [];
  let version: string | undefined;
  for (const name of KEDA_CHART_CRDS) {
    const crd = await kube.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name });
    if (crd && owner(crd) !== where) {
      left.push(name);
      version ??= crd.metadata.labels?.['app.kubernetes.io/version'];
    }
  }
  if (left.length > 0)
    out.push({
      what: `CRD${left.length === 1 ? '' : 's'} ${left.join(', ')} exist${left.length === 1 ? 's' : ''} from an earlier KEDA${version ? ` ${version}` : ''} that no helm release ${where} owns, and helm refuses to adopt ${left.length === 1 ? 'it' : 'them'}`,
      fix: `let helm adopt them (the chart then upgrades them): ${adoptCommands(k.release, k.namespace, `crd ${left.join(' ')}`)}, then run kedactl init with --force-conflicts (helm 4 applies server-side and otherwise refuses the fields the earlier KEDA's tool set; helm 3 needs nothing more); do not delete them while ScaledObjects or ScaledJobs exist, which would delete those too`,
      // a warning, not a block: helm's own refusal says the same at install time (adoptionRefused)
      blocks: false,
    });
  return out;
}

/**
 * The newest revision of a release as helm stores it (Secrets labelled owner=helm, name=<release>, with its
 * status and version), read from the cluster without helm: for doctor, which asks only the cluster.
 */
export async function storedRelease(kube: Kube, release: string, namespace: string): Promise<HelmRelease | undefined> {
  const secrets = await kube.list(
    { apiVersion: 'v1', kind: 'Secret' },
    { namespace, labelSelector: `owner=helm,name=${release}`, metadataOnly: true },
  );
  const newest = secrets.map((s) => s.metadata.labels ?? {}).sort((a, b) => Number(b.version) - Number(a.version))[0];
  if (!newest?.status) return undefined;
  return { name: release, namespace, status: newest.status, chart: '', revision: Number(newest.version), values: {} };
}

/**
 * helm's refusal to take over an object it did not create ("X exists and cannot be imported into the current
 * release: invalid ownership metadata"), in kedactl's words with the fix; undefined for other failures.
 */
export function adoptionRefused(stderr: string, k: { release: string; namespace: string }): KedaConflict | undefined {
  const m = /(\w+) "([^"]+)" in namespace "([^"]*)" exists and cannot be imported into the current release/i.exec(stderr);
  if (!m) return undefined;
  const [, kind, name, ns] = m as unknown as [string, string, string, string];
  const target = `${ns ? `-n ${ns} ` : ''}${kind.toLowerCase()} ${name}`;
  return {
    what: `${kind} ${ns ? `${ns}/` : ''}${name} already exists outside helm release ${k.namespace}/${k.release}, and helm refuses to adopt it; nothing was installed`,
    fix: `let helm adopt it: ${adoptCommands(k.release, k.namespace, target)}, then run kedactl init again (with --force-conflicts on helm 4, whose server-side apply otherwise refuses fields another tool set); or delete it if nothing else uses it`,
    blocks: true,
  };
}
