// Where KEDA's helm chart comes from (the kedaChart setting): the public chart repository by default, a
// chart folder or .tgz on this machine, an OCI reference (a registry mirror) or another https helm
// repository. Credentials stay in helm's own configuration (`helm registry login`, `helm repo add
// --username`): kedactl never sees them. A local chart's own version is what gets installed.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'yaml';
import { KEDA } from '../stack/names.js';
import type { Helm } from './helm-ports.js';

export type KedaChartSource =
  /** an https helm repository (the public one unless kedaChart says another); the chart "keda" in it */
  | { kind: 'repository'; url: string; chart: 'keda' }
  /** a chart folder or packaged .tgz on this machine */
  | { kind: 'local'; path: string; packaged: boolean }
  /** oci://host/path/keda: a registry (mirror) holding the chart */
  | { kind: 'oci'; ref: string };

// a function, not a constant: settings.ts imports this module while stack.ts (KEDA) is still loading
const publicKedaChart = (): KedaChartSource => ({ kind: 'repository', url: KEDA.repoUrl, chart: 'keda' });

/** "scheme://": a reference, not a path */
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
const OCI = /^oci:\/\/([a-z0-9.-]+|\[[0-9a-f:]+\])(:\d{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)+$/;

/** the source a kedaChart value names (unset: the public repository); the value is checked first */
export function kedaChartSource(value: string | undefined): KedaChartSource {
  if (!value) return publicKedaChart();
  if (value.startsWith('oci://')) return { kind: 'oci', ref: value };
  if (/^https?:\/\//.test(value)) return { kind: 'repository', url: value.replace(/\/+$/, ''), chart: 'keda' };
  return { kind: 'local', path: value, packaged: !isFolder(value) };
}

/** "kedacore/keda (https://kedacore.github.io/charts)", "/x/keda", "oci://…": for the plan */
export function describeKedaChart(s: KedaChartSource): string {
  if (s.kind === 'repository') return s.url === KEDA.repoUrl ? `${KEDA.chart} (${KEDA.repoUrl})` : `keda (${s.url})`;
  if (s.kind === 'local') return s.path;
  return s.ref;
}

/** A relative folder or .tgz is taken from where kedactl runs; other values are kept as given. */
export function absoluteKedaChart(value: string, cwd: string): string {
  return SCHEME.test(value) || isAbsolute(value) ? value : resolve(cwd, value);
}

/** The rule a kedaChart value breaks, or undefined. Reads a local chart's Chart.yaml; calls no server. */
export function kedaChartProblem(value: string): string | undefined {
  if (value.startsWith('oci://'))
    return OCI.test(value)
      ? undefined
      : 'must be an OCI reference like oci://registry.example.com/charts/keda (lowercase host and path, no tag: the version comes from kedaVersion)';
  if (SCHEME.test(value)) {
    let u: URL;
    try {
      u = new URL(value);
    } catch {
      return 'must be a chart folder, a .tgz, oci://host/path/keda or an https:// helm repository URL';
    }
    if (u.protocol !== 'https:')
      return `a helm repository URL must use https (got ${u.protocol.replace(':', '')}); for a registry use oci://`;
    if (u.search || u.hash || u.username || u.password)
      return "a helm repository URL carries no query, fragment or credentials (credentials belong in helm's own configuration: helm repo add NAME URL --username ...)";
    return undefined;
  }
  const chart = readLocalChart(value);
  if ('problem' in chart) return chart.problem;
  if (chart.name !== 'keda') return `must be KEDA's chart (Chart.yaml name "keda"); ${value} holds the chart "${chart.name}"`;
  return undefined;
}

/** the version in a local KEDA chart's Chart.yaml, or undefined when it is not one (kedaChart's rule says why) */
export function localKedaChartVersion(path: string): string | undefined {
  const chart = readLocalChart(path);
  return 'problem' in chart || chart.name !== 'keda' ? undefined : chart.version;
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function readLocalChart(path: string): { name: string; version: string } | { problem: string } {
  if (!existsSync(path))
    return { problem: `no such chart folder or .tgz: ${path} (a path, oci://host/path/keda or an https:// helm repository URL)` };
  let text: string | undefined;
  if (isFolder(path)) {
    const file = join(path, 'Chart.yaml');
    if (!existsSync(file)) return { problem: `${path} is a folder without Chart.yaml: not a helm chart` };
    text = readFileSync(file, 'utf8');
  } else {
    try {
      text = chartYamlInTgz(readFileSync(path));
    } catch (e) {
      return { problem: `${path} is not a packaged helm chart (.tgz): ${(e as Error).message}` };
    }
    if (text === undefined) return { problem: `${path} holds no <chart>/Chart.yaml: not a packaged helm chart` };
  }
  let meta: { name?: unknown; version?: unknown };
  try {
    meta = (parse(text) ?? {}) as typeof meta;
  } catch (e) {
    return { problem: `the Chart.yaml in ${path} does not parse as YAML: ${(e as Error).message.split('\n')[0]}` };
  }
  if (typeof meta.name !== 'string' || meta.version === undefined) return { problem: `the Chart.yaml in ${path} has no name or version` };
  return { name: meta.name, version: String(meta.version) };
}

/** Chart.yaml of the chart at the top of a `helm package` .tgz (ustar: 512-byte headers, octal sizes) */
function chartYamlInTgz(gz: Buffer): string | undefined {
  const tar = gunzipSync(gz);
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) return undefined;
    const field = (from: number, to: number) => header.subarray(from, to).toString('utf8').replace(/\0.*$/s, '');
    const posix = header.subarray(257, 263).toString('latin1') === 'ustar\0'; // only POSIX ustar has a name prefix
    const name = [posix ? field(345, 500) : '', field(0, 100)].filter(Boolean).join('/');
    const size = parseInt(field(124, 136).trim() || '0', 8);
    const body = at + 512;
    if (/^[^/]+\/Chart\.yaml$/.test(name)) return tar.subarray(body, body + size).toString('utf8');
    at = body + Math.ceil(size / 512) * 512;
  }
  return undefined;
}

/**
 * The chart argument helm installs from. A repository is used under the name helm's configuration already
 * gives its URL (so a user's credentials for it apply); otherwise it is added, under "kedacore" for the
 * public one or a name of kedactl's that no existing entry uses.
 */
export async function helmChartRef(s: KedaChartSource, helm: Pick<Helm, 'repoList' | 'repoAdd' | 'repoUpdate'>): Promise<string> {
  if (s.kind === 'local') return s.path;
  if (s.kind === 'oci') return s.ref;
  const repos = await helm.repoList();
  const same = (url: string) => url.replace(/\/+$/, '') === s.url;
  let name = repos.find((r) => same(r.url))?.name;
  if (!name) {
    const taken = new Set(repos.map((r) => r.name));
    const base = s.url === KEDA.repoUrl ? KEDA.repoName : 'kedactl-keda';
    name = base;
    for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
    await helm.repoAdd(name, s.url);
  }
  await helm.repoUpdate(name);
  return `${name}/${s.chart}`;
}

/** the helm command line that installs from the source, for files a user runs themselves */
export function helmChartCommand(s: KedaChartSource): { setup?: string; chart: string } {
  if (s.kind === 'local') return { chart: s.path };
  if (s.kind === 'oci') return { chart: s.ref };
  if (s.url === KEDA.repoUrl) return { setup: `helm repo add ${KEDA.repoName} ${KEDA.repoUrl}`, chart: KEDA.chart };
  return { chart: `${s.chart} --repo ${s.url}` };
}
