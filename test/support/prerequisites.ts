// What `npm test` needs of the machine beyond Node, checked before the global setup starts anything: one
// message listing everything missing and how to get it, instead of a build failing minutes in or a test
// failing deep inside. README.md (Development) lists the same things.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { netnsAvailable, NETNS_NEEDS } from './netns-backend.ts';

/** k8s.io/kubernetes v1.36, KEDA v2.20 and helm v3.22 / v4.3 declare `go 1.26.0` in their go.mod */
export const GO_MIN = [1, 26] as const;
/** moto 5 and PyPI's aws CLI */
export const PYTHON_MIN = [3, 9] as const;

export interface Missing {
  what: string;
  /** why the tests need it */
  why: string;
  /** how to get it */
  fix: string;
}

function runIn(cmd: string, args: string[], env: NodeJS.ProcessEnv): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000, env });
  } catch {
    return undefined;
  }
}

const atLeast = (v: number[], min: readonly number[]) => v[0]! > min[0]! || (v[0] === min[0] && v[1]! >= min[1]!);

/** where test/rig/*.sh look for go when it is not on PATH */
export const GO_FALLBACK = '/usr/local/go/bin/go';

const APT = (pkgs: string) => `apt-get install ${pkgs} (Debian/Ubuntu; .ci/run does it)`;

/** Everything missing, empty when the machine can run the whole suite. */
export function missingPrerequisites(env: NodeJS.ProcessEnv = process.env, goFallback = GO_FALLBACK): Missing[] {
  const missing: Missing[] = [];
  const need = (ok: boolean, m: Missing) => ok || missing.push(m);
  const run = (cmd: string, args: string[]) => runIn(cmd, args, env);

  const goOut = run('go', ['version']) ?? (existsSync(goFallback) ? run(goFallback, ['version']) : undefined);
  const goVersion = /go(\d+)\.(\d+)/.exec(goOut ?? '');
  need(!!goVersion && atLeast([Number(goVersion[1]), Number(goVersion[2])], GO_MIN), {
    what: `Go ${GO_MIN.join('.')} or newer${goVersion ? ` (found go${goVersion[1]}.${goVersion[2]})` : ''}`,
    why: 'builds kube-apiserver, etcd, kube-controller-manager, helm and the KEDA operator from the Go module proxy (once, cached in ~/.cache/kedactl-rig)',
    fix: 'https://go.dev/doc/install (on PATH or in /usr/local/go)',
  });

  const python = env.KEDACTL_TEST_PYTHON ?? 'python3';
  const pyVersion = /(\d+)\.(\d+)/.exec(run(python, ['--version']) ?? '');
  need(!!pyVersion && atLeast([Number(pyVersion[1]), Number(pyVersion[2])], PYTHON_MIN), {
    what: `Python ${PYTHON_MIN.join('.')} or newer (${python})`,
    why: "runs moto (the AWS server) and PyPI's aws CLI, each in a venv in ~/.cache/kedactl-test",
    fix: `${APT('python3')}, or set KEDACTL_TEST_PYTHON to one`,
  });
  // Debian and Ubuntu ship venv's pip bootstrap (ensurepip) in a package of its own
  if (pyVersion)
    need(run(python, ['-c', 'import venv, ensurepip']) !== undefined, {
      what: `Python's venv module with ensurepip (${python} -m venv)`,
      why: 'makes the venvs for moto and the aws CLI',
      fix: APT('python3-venv'),
    });

  const tools: Array<[string, string[], string, string]> = [
    [
      'kubectl',
      ['version', '--client'],
      'reads the cluster state the lifecycle tests compare with',
      'https://kubernetes.io/docs/tasks/tools/',
    ],
    ['ip', ['-V'], 'network namespaces for the analyzer stand-in the API server proxies to', APT('iproute2')],
    ['flock', ['--version'], "serialises the rig's builds", APT('util-linux')],
    ['setpriv', ['--version'], "ties the rig's processes to the test process (--pdeathsig)", APT('util-linux')],
    ['script', ['--version'], 'runs the terminal (pty) tests', APT('util-linux')],
    ['curl', ['--version'], 'what the consumer script runs on the test node', APT('curl')],
    ['openssl', ['version'], 'self-signed certificates for the KEDA operator and the webhooks', APT('openssl')],
    ['bash', ['--version'], 'the rig scripts and the consumer script', APT('bash')],
  ];
  for (const [cmd, args, why, fix] of tools) need(run(cmd, args) !== undefined, { what: cmd, why, fix });
  return missing;
}

/** The message the global setup stops with, naming each thing and how to get it. */
export function prerequisitesMessage(missing: Missing[]): string {
  return [
    `npm test cannot run on this machine: ${missing.length} prerequisite${missing.length === 1 ? ' is' : 's are'} missing (README.md, Development):`,
    ...missing.map((m) => `  - ${m.what}: ${m.why}\n    install: ${m.fix}`),
  ].join('\n');
}

/**
 * Throws, listing everything missing, before anything starts. A missing privilege for network namespaces
 * stops nothing: the tests that need one fail, saying so (test/support/netns-backend.ts); this warns once.
 */
export function checkPrerequisites(log: (s: string) => void = (s) => process.stderr.write(`${s}\n`)): void {
  const missing = missingPrerequisites();
  if (missing.length) throw new Error(prerequisitesMessage(missing));
  if (!netnsAvailable()) log(`[prerequisites] cannot create a network namespace: the tests that need one will fail. ${NETNS_NEEDS}`);
}
