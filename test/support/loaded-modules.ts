// Which files and packages a kedactl command loads, recorded in the real process: bin/kedactl runs with
// a module hook (--import) that notes every module Node loads, ES or CommonJS, and writes the list when
// the process exits. Used by test/e2e/loaded-modules.test.ts and bench/modules.ts.
// Plain TypeScript that Node runs as is (types only), so the benchmark can import it.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/kedactl');

export interface Loaded {
  code: number | null;
  stderr: string;
  /** the kedactl files loaded (bin/, dist/), relative to the repo */
  own: string[];
  /** package name -> number of its files loaded from node_modules */
  packages: Map<string, number>;
}

/** the hook: module.registerHooks sees every module load, import and require alike */
function recorder(out: string): string {
  const src = `import { registerHooks } from 'node:module';
import { writeFileSync } from 'node:fs';
const seen = new Set();
registerHooks({ load(url, context, next) { seen.add(url); return next(url, context); } });
process.on('exit', () => writeFileSync(${JSON.stringify(out)}, [...seen].join('\\n')));`;
  return `data:text/javascript,${encodeURIComponent(src)}`;
}

/** Runs `kedactl ...argv` as a process and returns what it loaded. */
export async function loadedBy(argv: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; bin?: string } = {}): Promise<Loaded> {
  const dir = mkdtempSync(join(tmpdir(), 'kedactl-loaded-'));
  const out = join(dir, 'loaded.txt');
  try {
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', recorder(out), opts.bin ?? BIN, ...argv], {
        env: opts.env ?? process.env,
        cwd: opts.cwd ?? dir,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('close', (c) => resolve({ code: c, stderr }));
    });
    const urls = readFileSync(out, 'utf8')
      .split('\n')
      .filter((u) => u.startsWith('file:'));
    const own: string[] = [];
    const packages = new Map<string, number>();
    for (const u of urls) {
      const path = fileURLToPath(u);
      const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1];
      if (pkg) packages.set(pkg, (packages.get(pkg) ?? 0) + 1);
      else own.push(path.startsWith(ROOT) ? path.slice(ROOT.length) : path);
    }
    return { code, stderr, own, packages: new Map([...packages].sort((a, b) => b[1] - a[1])) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
