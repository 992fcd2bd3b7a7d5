// The core owns its ports: nothing under src/core imports from src/adapters (or the UI, or the commands),
// so the use cases run on any adapter, a test's included, and an offline plan loads no client library.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(f) ? [p] : [];
  });
}

/** every module a file imports (static, re-exports and dynamic import('...')), resolved to a path under src */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]!);
  return specs.filter((s) => s.startsWith('.')).map((s) => relative(SRC, resolve(dirname(file), s)));
}

describe('architecture', () => {
  it('finds the imports it checks (the rule would pass vacuously otherwise)', () => {
    expect(importsOf(join(SRC, 'core', 'lifecycle.ts'))).toContain(join('core', 'plan.js'));
    expect(importsOf(join(SRC, 'adapters', 'kube.ts'))).toContain(join('core', 'kube-ports.js'));
  });

  it('src/core imports nothing from src/adapters, src/ui or src/commands', () => {
    const offending: string[] = [];
    for (const f of files(join(SRC, 'core')))
      for (const i of importsOf(f)) if (/^(adapters|ui|commands)\//.test(i)) offending.push(`${relative(SRC, f)} -> ${i}`);
    expect(offending).toEqual([]);
  });
});
