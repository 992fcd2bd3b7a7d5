// The kedaChart setting: which values are accepted (checked before any remote call, exit 2 naming the field
// and the rule), how a local chart's own version meets kedaVersion, and what the plan and render show.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  describeKedaChart,
  helmChartCommand,
  helmChartRef,
  kedaChartProblem,
  kedaChartSource,
  localKedaChartVersion,
} from '../../src/core/keda/chart.ts';
import { loadSettings } from '../../src/core/stack/load-settings.ts';
import { SettingsError } from '../../src/core/errors.ts';
import { desiredStack } from '../../src/core/stack/desired.ts';
import { renderFiles } from '../../src/core/stack/render.ts';
import { recordObject } from '../../src/core/stack/recorded.ts';

const dir = mkdtempSync(join(tmpdir(), 'keda-chart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** a chart folder named keda (or another name) with a version, and its `tar czf` package */
function chart(name: string, version: string): { folder: string; tgz: string } {
  const root = mkdtempSync(join(dir, 'c-'));
  const folder = join(root, name);
  mkdirSync(join(folder, 'templates'), { recursive: true });
  writeFileSync(join(folder, 'Chart.yaml'), `apiVersion: v2\nname: ${name}\nversion: ${version}\n`);
  const tgz = join(root, `${name}-${version}.tgz`);
  execFileSync('tar', ['czf', tgz, '-C', root, name]);
  return { folder, tgz };
}

const load = (flags: Record<string, unknown>, cwd = dir) => loadSettings({ flags: { region: 'eu-west-1', ...flags }, env: {}, cwd });
const problems = (flags: Record<string, unknown>, cwd = dir) => {
  try {
    load(flags, cwd);
  } catch (e) {
    if (e instanceof SettingsError) return e.problems;
    throw e;
  }
  throw new Error('expected a SettingsError');
};

describe('kedaChart', () => {
  it('unset: the public repository kedacore/keda', () => {
    const s = load({}).settings;
    expect(s.kedaChart).toBeUndefined();
    expect(kedaChartSource(s.kedaChart)).toEqual({ kind: 'repository', url: 'https://kedacore.github.io/charts', chart: 'keda' });
    expect(describeKedaChart(kedaChartSource(undefined))).toBe('kedacore/keda (https://kedacore.github.io/charts)');
  });

  it('a local folder or .tgz: its own version becomes kedaVersion; a relative folder is taken from where kedactl runs', () => {
    const c = chart('keda', '2.20.2');
    expect(localKedaChartVersion(c.folder)).toBe('2.20.2');
    expect(localKedaChartVersion(c.tgz)).toBe('2.20.2');
    const fromFolder = load({ kedaChart: c.folder }).settings;
    expect(fromFolder).toMatchObject({ kedaChart: c.folder, kedaVersion: '2.20.2' });
    expect(load({ kedaChart: c.tgz }).settings).toMatchObject({ kedaChart: c.tgz, kedaVersion: '2.20.2' });
    const relative = load({ kedaChart: 'keda' }, join(c.folder, '..')).settings;
    expect(relative.kedaChart).toBe(c.folder);
    expect(kedaChartSource(c.tgz)).toEqual({ kind: 'local', path: c.tgz, packaged: true });
    expect(kedaChartSource(c.folder)).toEqual({ kind: 'local', path: c.folder, packaged: false });
  });

  it('a local chart and a kedaVersion that differs: exit 2 naming both', () => {
    const c = chart('keda', '2.20.2');
    const [p] = problems({ kedaChart: c.folder, kedaVersion: '2.21.0' });
    expect(p).toMatchObject({ setting: 'kedaVersion', value: '2.21.0', source: '--keda-version' });
    expect(p!.rule).toContain(`${c.folder} is 2.20.2, from --keda-chart`);
    expect(p!.rule).toContain('drop kedaVersion or point kedaChart at a 2.21.0 chart');
    expect(load({ kedaChart: c.folder, kedaVersion: '2.20.2' }).settings.kedaVersion).toBe('2.20.2');
  });

  it("a local chart of a KEDA kedactl does not support: kedaVersion's rule, naming the Chart.yaml", () => {
    const c = chart('keda', '2.15.0');
    const [p] = problems({ kedaChart: c.folder });
    expect(p).toMatchObject({ setting: 'kedaVersion', value: '2.15.0', source: `the Chart.yaml of ${c.folder}` });
    expect(p!.rule).toMatch(/must be a supported KEDA release/);
  });

  it('refuses, before any remote call, what cannot be a KEDA chart', () => {
    const other = chart('nginx', '1.0.0');
    const empty = mkdtempSync(join(dir, 'empty-'));
    const notTgz = join(dir, 'x.tgz');
    writeFileSync(notTgz, 'not gzip');
    const cases: Array<[string, RegExp]> = [
      [join(dir, 'missing'), /^no such chart folder or \.tgz: /],
      [empty, /is a folder without Chart\.yaml: not a helm chart$/],
      [notTgz, /is not a packaged helm chart \(\.tgz\)/],
      [other.folder, /must be KEDA's chart \(Chart\.yaml name "keda"\); .* holds the chart "nginx"/],
      ['oci://Registry.example.com/keda', /must be an OCI reference like oci:\/\/registry.example.com\/charts\/keda/],
      ['oci://registry.example.com/charts/keda:2.20.2', /no tag: the version comes from kedaVersion/],
      ['oci://registry.example.com', /must be an OCI reference/],
      ['http://charts.example.com', /a helm repository URL must use https \(got http\); for a registry use oci:\/\//],
      ['https://user:pw@charts.example.com', /credentials belong in helm's own configuration/],
      ['s3://bucket/charts', /a helm repository URL must use https \(got s3\)/],
    ];
    for (const [value, rule] of cases) {
      const [p] = problems({ kedaChart: value });
      expect(p, value).toMatchObject({ setting: 'kedaChart', source: '--keda-chart' });
      expect(p!.rule, value).toMatch(rule);
    }
    expect(kedaChartProblem('oci://127.0.0.1:5000/charts/keda')).toBeUndefined();
    expect(kedaChartProblem('https://charts.example.com/keda-mirror')).toBeUndefined();
  });

  it('from kedactl.yaml: a relative folder is beside the file; a folder recorded by another machine is not checked here', () => {
    const c = chart('keda', '2.20.2');
    const configDir = join(c.folder, '..');
    writeFileSync(join(configDir, 'kedactl.yaml'), 'kedaChart: ./keda\n');
    expect(
      loadSettings({ flags: { region: 'eu-west-1' }, env: {}, cwd: dir, configPath: join(configDir, 'kedactl.yaml') }).settings.kedaChart,
    ).toBe(c.folder);
    const recorded = {
      kedaChart: { value: '/elsewhere/keda', source: 'recorded in ConfigMap a/b', origin: 'recorded' as const },
      kedaVersion: { value: '2.20.2', source: 'recorded in ConfigMap a/b', origin: 'recorded' as const },
    };
    expect(loadSettings({ flags: { region: 'eu-west-1' }, env: {}, cwd: dir, recorded }).settings).toMatchObject({
      kedaChart: '/elsewhere/keda',
      kedaVersion: '2.20.2',
    });
  });

  it('the plan and render name the chart source', async () => {
    const d = await desiredStack(
      load({ kedaChart: 'oci://registry.example.com/charts/keda', accountId: '123456789012', oidcIssuer: 'https://oidc.example.com/id/X' })
        .settings,
    );
    expect(d.keda.source).toEqual({ kind: 'oci', ref: 'oci://registry.example.com/charts/keda' });
    expect((recordObject(d.settings) as unknown as { data: Record<string, string> }).data.kedaChart).toBe(
      'oci://registry.example.com/charts/keda',
    );
    const helmTxt = renderFiles(d).find((f) => f.path === 'keda/helm.txt')!.text;
    expect(helmTxt).toMatch(/^helm upgrade --install keda oci:\/\/registry.example.com\/charts\/keda --version 2.21.0 /);
    expect(helmChartCommand(kedaChartSource(undefined))).toEqual({
      setup: 'helm repo add kedacore https://kedacore.github.io/charts',
      chart: 'kedacore/keda',
    });
    expect(helmChartCommand(kedaChartSource('https://charts.example.com/m'))).toEqual({
      chart: 'keda --repo https://charts.example.com/m',
    });
  });

  it('a repository: the entry helm already has for its URL (with its credentials), else one added under a free name', async () => {
    const calls: string[][] = [];
    const helm = (repos: Array<{ name: string; url: string }>) => ({
      repoList: async () => repos,
      repoAdd: async (n: string, u: string) => void calls.push(['add', n, u]),
      repoUpdate: async (n: string) => void calls.push(['update', n]),
    });
    const mirror = kedaChartSource('https://charts.example.com/m');
    expect(await helmChartRef(mirror, helm([{ name: 'corp', url: 'https://charts.example.com/m/' }]))).toBe('corp/keda');
    expect(calls.splice(0)).toEqual([['update', 'corp']]);
    expect(await helmChartRef(kedaChartSource(undefined), helm([{ name: 'kedacore', url: 'https://mirror.example.com' }]))).toBe(
      'kedacore-2/keda',
    );
    expect(calls.splice(0)).toEqual([
      ['add', 'kedacore-2', 'https://kedacore.github.io/charts'],
      ['update', 'kedacore-2'],
    ]);
    expect(await helmChartRef(mirror, helm([]))).toBe('kedactl-keda/keda');
  });
});
