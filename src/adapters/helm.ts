// The one wrapper around the helm binary: every call goes through run(), which logs the command,
// turns "not installed" into a UsageError and a non-zero exit into an ExternalError with helm's stderr.
import { execa, type ExecaError } from 'execa';
import { CancelledError, ExternalError, UsageError } from '../core/errors.js';
import type { Helm, HelmRelease, InstallRequest } from '../core/keda/helm-ports.js';


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
  'helm is not installed: install helm 3 (https://helm.sh/docs/intro/install/, e.g. `brew install helm` or `curl -fsSL https://raw.githubusercontent.com/helm/helm/main/scripts/get-helm-3 | bash`), or pass --skip keda when KEDA is managed elsewhere';

export function createHelm(o: HelmOptions = {}): Helm {
  const bin = o.bin ?? 'helm';
  const kubeFlags = [...(o.kubeconfig ? ['--kubeconfig', o.kubeconfig] : []), ...(o.context ? ['--kube-context', o.context] : [])];

  async function run(args: string[], operation: string): Promise<string> {
    o.log?.(`${bin} ${args.map(quote).join(' ')}`);
    try {
      const r = await execa(bin, args, { env: o.env, extendEnv: o.env === undefined, cancelSignal: o.signal, stdin: 'ignore' });
      return r.stdout;
    } catch (e) {
      const err = e as ExecaError;
      if (err.code === 'ENOENT') throw new UsageError(HELM_INSTALL_HINT, 'install helm and run again, or pass --skip keda');
      if (err.isCanceled) throw new CancelledError(`cancelled while running helm ${operation}`);
      const stderr = String(err.stderr ?? '').trim();
      throw new ExternalError('helm', operation, `\`${bin} ${args.join(' ')}\` failed (exit ${err.exitCode ?? '?'}): ${stderr || err.shortMessage}`, helmNext(stderr), { cause: e });
    }
  }

  return {
    async repoAdd(name, url) {
      await run(['repo', 'add', name, url, '--force-update'], 'repo add');
    },
    async repoUpdate(name) {
      await run(['repo', 'update', name], 'repo update');
    },
    async upgradeInstall(r) {
      const sets = Object.keys(r.values)
        .sort()
        .flatMap((k) => ['--set', `${k}=${r.values[k]}`]);
      await run(
        [
          'upgrade', '--install', r.release, r.chart,
          '--version', r.version,
          '--namespace', r.namespace,
          '--create-namespace',
          ...sets,
          ...(r.wait ? ['--wait', '--timeout', `${r.timeoutSeconds ?? 300}s`] : []),
          ...kubeFlags,
        ],
        'upgrade --install',
      );
    },
    async status(release, namespace) {
      const out = await run(['list', '--namespace', namespace, '--filter', `^${escapeRegex(release)}$`, '--all', '--output', 'json', ...kubeFlags], 'list');
      const list = parseJson<Array<{ name: string; namespace: string; revision: string | number; status: string; chart: string; app_version?: string }>>(out, 'list') ?? [];
      const hit = list.find((x) => x.name === release);
      if (!hit) return undefined;
      const valuesOut = await run(['get', 'values', release, '--namespace', namespace, '--output', 'json', ...kubeFlags], 'get values');
      const values = flatten(parseJson<Record<string, unknown>>(valuesOut, 'get values') ?? {});
      return {
        name: hit.name,
        namespace: hit.namespace,
        status: hit.status,
        chart: hit.chart,
        version: /-(\d+\.\d+\.\d+.*)$/.exec(hit.chart)?.[1],
        appVersion: hit.app_version,
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
        if (e instanceof ExternalError && /release: not found/i.test(e.message)) return false;
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
    throw new ExternalError('helm', operation, `unexpected output (not JSON): ${out.slice(0, 200)}`, 'check `helm version` (kedactl needs helm 3)');
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
  if (/Kubernetes cluster unreachable/i.test(stderr)) return 'check that the cluster is reachable with the same --kubeconfig / --context (`kubectl cluster-info`)';
  if (/repo .* not found|no repo named|failed to download/i.test(stderr)) return 'check network access to https://kedacore.github.io/charts (`helm repo update kedacore`)';
  if (/another operation .* in progress/i.test(stderr)) return 'another helm operation on this release is running; wait for it (`helm -n keda status keda`) and run again';
  // only the authorizer's words mean a missing permission; other 403s are admission policies
  if (/\bcannot \S+ (resource|path) "/.test(stderr)) return 'the kube context lacks permission to install KEDA (cluster-admin is needed for its CRDs and RBAC)';
  if (/forbidden/i.test(stderr)) return "the cluster refused it by policy (admission), not for a missing permission: the message above names the policy; KEDA's chart values or the cluster's policy must change";
  return undefined;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
