// The one wrapper around the helm binary: every call goes through run(), which logs the command,
// turns "not installed" into a UsageError and a non-zero exit into an ExternalError with helm's stderr.
import { execa, type ExecaError } from 'execa';
import { CancelledError, ExternalError, UsageError } from '../core/errors.js';
import { MIN_HELM_VERSION, type Helm } from '../core/keda/helm-ports.js';

export interface HelmOptions {
  /** the binary (default "helm" on PATH) */
  bin?: string;
  env?: NodeJS.ProcessEnv;
  kubeconfig?: string;
  context?: string;
  /** debug log of every command line */
  log?: (text: string) => void;
  signal?: AbortSignal;
}

export const HELM_INSTALL_HINT =
  'helm is not installed: install helm 3 or 4 (https://helm.sh/docs/intro/install/, e.g. `brew install helm`, or the script https://raw.githubusercontent.com/helm/helm/main/scripts/get-helm-4), or pass --skip keda when KEDA is managed elsewhere';

export function createHelm(o: HelmOptions = {}): Helm {
  const bin = o.bin ?? 'helm';
  const kubeFlags = [...(o.kubeconfig ? ['--kubeconfig', o.kubeconfig] : []), ...(o.context ? ['--kube-context', o.context] : [])];

  let supported: Promise<string> | undefined;
  /** `helm version --short` once, refusing a helm older than kedactl's flags need before any other command */
  function version(): Promise<string> {
    supported ??= exec(['version', '--short'], 'version').then((out) => {
      const v = /v?(\d+\.\d+\.\d+)/.exec(out)?.[1];
      if (!v)
        throw new ExternalError(
          'helm',
          'version',
          `\`${bin} version --short\` printed no version: ${out.slice(0, 200)}`,
          'check that `helm` on PATH is helm (3 or 4)',
        );
      if (compareVersions(v, MIN_HELM_VERSION) < 0)
        throw new UsageError(
          `helm ${v} (${bin}) is older than kedactl supports (helm ${MIN_HELM_VERSION} or newer, or helm 4)`,
          'install helm 3 or 4 (https://helm.sh/docs/intro/install/), or pass --skip keda when KEDA is managed elsewhere',
        );
      return v;
    });
    return supported;
  }

  async function run(args: string[], operation: string): Promise<string> {
    await version();
    return exec(args, operation);
  }

  async function exec(args: string[], operation: string): Promise<string> {
    o.log?.(`${bin} ${args.map(quote).join(' ')}`);
    try {
      const r = await execa(bin, args, { env: o.env, extendEnv: o.env === undefined, cancelSignal: o.signal, stdin: 'ignore' });
      return r.stdout;
    } catch (e) {
      const err = e as ExecaError;
      if (err.code === 'ENOENT') throw new UsageError(HELM_INSTALL_HINT, 'install helm and run again, or pass --skip keda');
      if (err.isCanceled) throw new CancelledError(`cancelled while running helm ${operation}`);
      const stderr = String(err.stderr ?? '').trim();
      throw new ExternalError(
        'helm',
        operation,
        `\`${bin} ${args.join(' ')}\` failed (exit ${err.exitCode ?? '?'}): ${stderr || err.shortMessage}`,
        helmNext(stderr),
        { cause: e },
      );
    }
  }

  return {
    version,
    async repoList() {
      try {
        return (
          parseJson<Array<{ name: string; url: string }>>(await run(['repo', 'list', '--output', 'json'], 'repo list'), 'repo list') ?? []
        );
      } catch (e) {
        // helm before 3.9 says so, with exit 1, when none is configured
        if (e instanceof ExternalError && /no repositories to show/.test(e.message)) return [];
        throw e;
      }
    },
    async repoAdd(name, url) {
      await run(['repo', 'add', name, url], 'repo add');
    },
    async repoUpdate(name) {
      await run(['repo', 'update', name], 'repo update');
    },
    async upgradeInstall(r) {
      const major = Number((await version()).split('.')[0]);
      const sets = Object.keys(r.values)
        .sort()
        .flatMap((k) => ['--set', `${k}=${r.values[k]}`]);
      await run(
        [
          'upgrade',
          '--install',
          r.release,
          r.chart,
          '--version',
          r.version,
          '--namespace',
          r.namespace,
          '--create-namespace',
          ...sets,
          ...(r.forceConflicts && major >= 4 ? ['--force-conflicts'] : []),
          ...(r.wait ? ['--wait', '--timeout', `${r.timeoutSeconds ?? 300}s`] : []),
          ...kubeFlags,
        ],
        'upgrade --install',
      );
    },
    async status(release, namespace) {
      // history (in helm 3 and 4 alike) names the newest revision's chart and status, pending ones included
      // (helm 4's list has no --all, and helm 3's list hides pending releases without it)
      let out: string;
      try {
        out = await run(['history', release, '--namespace', namespace, '--max', '1', '--output', 'json', ...kubeFlags], 'history');
      } catch (e) {
        if (e instanceof ExternalError && RELEASE_NOT_FOUND.test(e.message)) return undefined;
        throw e;
      }
      const hit = (parseJson<Array<{ revision: number; status: string; chart: string; app_version?: string }>>(out, 'history') ?? [])[0];
      if (!hit) return undefined;
      const valuesOut = await run(['get', 'values', release, '--namespace', namespace, '--output', 'json', ...kubeFlags], 'get values');
      const values = flatten(parseJson<Record<string, unknown>>(valuesOut, 'get values') ?? {});
      return {
        name: release,
        namespace,
        status: hit.status,
        chart: hit.chart,
        version: /-(\d+\.\d+\.\d+.*)$/.exec(hit.chart)?.[1],
        appVersion: hit.app_version || undefined,
        revision: Number(hit.revision),
        values,
      };
    },
    async uninstall(release, namespace) {
      try {
        await run(['uninstall', release, '--namespace', namespace, ...kubeFlags], 'uninstall');
        return true;
      } catch (e) {
        // only the release being gone is "already gone"; a context or kubeconfig "not found" is an error
        if (e instanceof ExternalError && RELEASE_NOT_FOUND.test(e.message)) return false;
        throw e;
      }
    },
  };
}

function parseJson<T>(out: string, operation: string): T | undefined {
  if (!out.trim() || out.trim() === 'null') return undefined;
  try {
    return JSON.parse(out) as T;
  } catch {
    throw new ExternalError(
      'helm',
      operation,
      `unexpected output (not JSON): ${out.slice(0, 200)}`,
      'check `helm version` (kedactl needs helm 3 or 4)',
    );
  }
}

/** {"a":{"b":true}} -> {"a.b":"true"}, the shape of --set keys */
export function flatten(v: Record<string, unknown>, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (x && typeof x === 'object' && !Array.isArray(x)) Object.assign(out, flatten(x as Record<string, unknown>, key));
    else out[key] = Array.isArray(x) ? JSON.stringify(x) : String(x);
  }
  return out;
}

function helmNext(stderr: string): string | undefined {
  if (/Kubernetes cluster unreachable/i.test(stderr))
    return 'check that the cluster is reachable with the same --kubeconfig / --context (`kubectl cluster-info`)';
  if (
    /repo .* not found|no repo named|failed to download|looks like .* is not a valid chart repository|failed to fetch|failed to do request|x509|tls:|authentication required/i.test(
      stderr,
    )
  )
    return "check that this machine reaches the chart's source and trusts its certificate (helm uses SSL_CERT_FILE / the system CAs); credentials belong in helm's own configuration (`helm registry login HOST` for oci://, `helm repo add NAME URL --username ...` for a repository); or set kedaChart (--keda-chart) to a mirror or a local chart";
  if (/conflict occurred while applying object/i.test(stderr))
    return 'helm 4 applies server-side and another tool set the fields named above (objects adopted into the release, or changed by hand): run kedactl init again with --force-conflicts to let helm take them over';
  if (/another operation .* in progress/i.test(stderr))
    return 'another helm operation on this release is running; wait for it (`helm -n keda status keda`) and run again';
  // only the authorizer's words mean a missing permission; other 403s are admission policies
  if (/\bcannot \S+ (resource|path) "/.test(stderr))
    return 'the kube context lacks permission to install KEDA (cluster-admin is needed for its CRDs and RBAC)';
  if (/forbidden/i.test(stderr))
    return "the cluster refused it by policy (admission), not for a missing permission: the message above names the policy; KEDA's chart values or the cluster's policy must change";
  return undefined;
}

/** helm 3 and 4 both say "release: not found" (storage driver's ErrReleaseNotFound) */
const RELEASE_NOT_FOUND = /release: not found/i;

/** "3.8.0" vs "3.22.0" by number */
export function compareVersions(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}
const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
