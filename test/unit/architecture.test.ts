// The house's rules, checked on every import (static, re-exports, dynamic import('...')):
// - the core owns its ports: nothing under src/core imports src/adapters, src/ui or src/commands, so the use
//   cases run on any adapter, a test's included, and an offline plan loads no client library;
// - src/core is one folder per subject; loose files are only the floor every folder stands on;
// - the AWS side (aws/) and the cluster side (kube/, keda/) never import each other; beyond the ports'
//   vocabulary and the pure readers, only stack/ sees both sides;
// - simulate/ imports only the settings and the floor: it cannot reach AWS or a cluster;
// - doctor's pure parts (evidence, model, policy, checks, findings) import no module that reads through a port.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));
const CORE = join(SRC, 'core');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(f) ? [p] : [];
  });
}

/** src-relative path without extension: "core/aws/ports" */
const key = (p: string) => relative(SRC, p).replace(/\.(ts|tsx|js)$/, '');

/** every module a file imports (static, re-exports and dynamic import('...')), src-relative, without extension */
function importsOf(file: string, o: { types?: boolean } = { types: true }): string[] {
  const text = readFileSync(file, 'utf8');
  const found = [
    ...text.matchAll(/(?:^|\n)\s*(import|export)\s+(type\s+)?[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].flatMap((m) => (m[4] ? [m[4]] : o.types || !m[2] ? [m[3]!] : []));
  return found.filter((s) => s.startsWith('.')).map((s) => key(resolve(dirname(file), s)));
}

const coreFiles = files(CORE);
const folderOf = (k: string) => (k.startsWith('core/') ? k.split('/')[1]! : k.split('/')[0]!);
const violations = (from: (k: string) => boolean, bad: (target: string, k: string) => boolean, o?: { types?: boolean }) =>
  coreFiles
    .map(key)
    .filter(from)
    .flatMap((k) =>
      importsOf(join(SRC, `${k}.ts`), o)
        .filter((t) => bad(t, k))
        .map((t) => `${k} -> ${t}`),
    );

const AWS = (t: string) => t.startsWith('core/aws/');
const CLUSTER = (t: string) => t.startsWith('core/kube/') || t.startsWith('core/keda/');
/** what any folder may read of either side: the ports' vocabulary and the pure readers */
const SHARED = new Set([
  'core/aws/ports',
  'core/aws/queue-depth',
  'core/aws/validate-iam',
  'core/kube/ports',
  'core/kube/state',
  'core/keda/helm-ports',
  'core/keda/versions',
]);
const FLOOR = new Set(['core/errors', 'core/progress', 'core/parallel', 'core/package-root']);
/** known exceptions to the rules, each to be removed by moving code; a new edge is never added here */
const PENDING = new Set<string>([]);

describe('architecture', () => {
  it('finds the imports it checks (the rules would pass vacuously otherwise)', () => {
    expect(importsOf(join(CORE, 'stack', 'lifecycle.ts'))).toEqual(
      expect.arrayContaining(['core/stack/plan', 'core/aws/stack', 'core/kube/stack']),
    );
    expect(importsOf(join(SRC, 'adapters', 'kube.ts'))).toContain('core/kube/ports');
    expect(importsOf(join(CORE, 'simulate', 'run.ts'))).toContain('core/stack/settings');
    expect(coreFiles.length).toBeGreaterThan(60);
  });

  it('src/core imports nothing from src/adapters, src/ui or src/commands', () => {
    expect(
      violations(
        () => true,
        (t) => /^(adapters|ui|commands)\//.test(t),
      ),
    ).toEqual([]);
  });

  it('src/core has no loose file but the floor: every subject is a folder whose main file says what it owns', () => {
    const loose = readdirSync(CORE).filter((f) => statSync(join(CORE, f)).isFile());
    expect(loose.map((f) => `core/${f.replace(/\.tsx?$/, '')}`).filter((k) => !FLOOR.has(k))).toEqual([]);
    const main: Record<string, string> = {
      aws: 'stack.ts',
      kube: 'stack.ts',
      keda: 'install.ts',
      stack: 'lifecycle.ts',
      produce: 'produce.ts',
      producer: 'run.ts',
      simulate: 'run.ts',
      doctor: 'index.ts',
      watch: 'session.ts',
      workloads: 'index.ts',
    };
    const folders = readdirSync(CORE).filter((f) => statSync(join(CORE, f)).isDirectory());
    expect(folders.filter((f) => !main[f])).toEqual([]); // a new folder names its main file here
    for (const [folder, file] of Object.entries(main))
      expect(readFileSync(join(CORE, folder, file), 'utf8')).toMatch(new RegExp(`^// src/core/${folder}/ owns `));
  });

  it('the AWS side never imports the cluster side, and the reverse', () => {
    expect(violations(AWS, (t) => CLUSTER(t))).toEqual([]);
    expect(violations(CLUSTER, (t) => AWS(t))).toEqual([]);
  });

  it('beyond the ports and the pure readers, only stack/ sees both sides', () => {
    const seesBoth = new Map<string, { aws: boolean; cluster: boolean }>();
    for (const f of coreFiles) {
      const k = key(f);
      const folder = folderOf(k);
      const s = seesBoth.get(folder) ?? { aws: false, cluster: false };
      for (const t of importsOf(f, { types: false })) {
        if (SHARED.has(t) || folderOf(t) === folder || PENDING.has(`${k} -> ${t}`)) continue;
        if (AWS(t)) s.aws = true;
        if (CLUSTER(t)) s.cluster = true;
      }
      seesBoth.set(folder, s);
    }
    expect([...seesBoth].filter(([, s]) => s.aws && s.cluster).map(([f]) => f)).toEqual(['stack']);
  });

  it('simulate/ imports only itself, the settings and the floor, and nothing it reaches touches AWS or a cluster', () => {
    const ok = (t: string) => t.startsWith('core/simulate/') || t === 'core/stack/settings' || FLOOR.has(t);
    expect(
      violations(
        (k) => k.startsWith('core/simulate/'),
        (t) => !ok(t),
      ),
    ).toEqual([]);
    // followed through (what runs when simulate loads): no module of either side's I/O, no adapter
    const reached = new Set<string>();
    const visit = (k: string) => {
      if (reached.has(k)) return;
      reached.add(k);
      for (const t of importsOf(join(SRC, `${k}.ts`), { types: false })) visit(t);
    };
    for (const f of coreFiles.map(key).filter((k) => k.startsWith('core/simulate/'))) visit(f);
    expect(reached.size).toBeGreaterThan(6);
    const io = (t: string) =>
      /^(adapters|ui|commands)\//.test(t) || ((AWS(t) || t.startsWith('core/kube/')) && !SHARED.has(t)) || t === 'core/keda/install';
    expect([...reached].filter(io)).toEqual([]);
  });

  it("doctor's pure parts import no module that reads through a port", () => {
    const pure = (k: string) => /^core\/doctor\/(evidence|model|policy|finding|checks-[\w-]+)$/.test(k);
    const ok = (t: string) => pure(t) || SHARED.has(t) || FLOOR.has(t) || t === 'core/stack/names';
    const found = violations(pure, (t) => !ok(t), { types: false });
    expect(found.filter((v) => !PENDING.has(v))).toEqual([]);
  });

  it('every pending exception still exists (a resolved one is deleted from PENDING, not left to hide a new one)', () => {
    const all = new Set(
      violations(
        () => true,
        () => true,
        { types: false },
      ),
    );
    expect([...PENDING].filter((p) => !all.has(p))).toEqual([]);
  });
});
