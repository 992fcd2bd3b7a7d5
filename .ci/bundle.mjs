// Part of `npm run build`, after tsc: bundles what kedactl runs into dist/main.js and dist/chunks/, the
// only parts of dist/ that are shipped (package.json `files`). Start-up is mostly finding, reading and
// compiling modules (bench/README.md), so:
// - kedactl's own modules and the packages in BUNDLED go into a few files: `--help` loads 6 of them,
//   `plan --offline` and `render` about a dozen, and no package from node_modules;
// - each command's modules stay behind the dynamic import that loads them (one chunk per command, and
//   chunks they share);
// - the Kubernetes schemas (core/kube/schemas.ts) are bundled with the model packages they come from;
// - the Kubernetes client is bundled (its ~1,000 files load in a quarter of the time and 45 MB less);
// - the other packages a command needs at run time (AWS SDK, ink and React, execa, inquirer) stay in
//   node_modules, loaded only by the commands that use them.
// The rest of dist/ is tsc's file-per-module output, which the benchmarks import.
import { build } from 'rolldown';
import { createRequire } from 'node:module';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** packages bundled into kedactl's files, with everything they import; the rest stay in node_modules */
const BUNDLED = ['commander', 'yaml', 'kubernetes-models', '@kubernetes-models/', '@kubernetes/client-node'];

const require = createRequire(import.meta.url);
const dist = fileURLToPath(new URL('../dist/', import.meta.url));

/**
 * Node built-ins that bundled packages require, taken with process.getBuiltinModule instead of an ES
 * import: an ES import of node:util, node:process or node:child_process builds a facade of every export
 * (2-3 ms each, measured), and commander needs child_process only to run executable subcommands,
 * which kedactl has none of (so it is loaded on first use).
 */
const lazyBuiltin = (id, importer) => importer?.includes('/node_modules/') && /^node:(util|process|child_process)$/.test(id);
const builtins = {
  name: 'kedactl-builtins',
  resolveId(id, importer) {
    if (lazyBuiltin(id, importer)) return `\0builtin:${id}`;
  },
  load(id) {
    if (!id.startsWith('\0builtin:')) return;
    const name = JSON.stringify(id.slice('\0builtin:'.length));
    if (id.endsWith('child_process'))
      return `let m; module.exports = new Proxy({}, { get: (_, k) => (m ??= process.getBuiltinModule(${name}))[k] });`;
    return `module.exports = process.getBuiltinModule(${name});`;
  },
};

const bare = (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0');
const bundled = (id) => BUNDLED.some((p) => id === p || id.startsWith(p.endsWith('/') ? p : `${p}/`));
const common = {
  platform: 'node',
  // what kedactl's own modules import from outside BUNDLED stays external; what a bundled package
  // imports is bundled with it
  external: (id, importer) =>
    bare(id) && !lazyBuiltin(id, importer) && (id.startsWith('node:') || (!importer?.includes('/node_modules/') && !bundled(id))),
  // the npm package a schema validator requires, not Node's deprecated built-in of the same name
  resolve: { alias: { punycode: require.resolve('punycode/') } },
  logLevel: 'warn',
};

if (readFileSync(`${dist}main.js`, 'utf8').includes('./chunks/'))
  throw new Error('dist/main.js is already a bundle: run `npm run build` (tsc first, then this)');
rmSync(`${dist}chunks`, { recursive: true, force: true });
rmSync(`${dist}bench`, { recursive: true, force: true });
const out = await build({
  ...common,
  input: { main: `${dist}main.js`, 'chunks/kube-schemas': `${dist}core/kube/schemas.js` },
  plugins: [builtins],
  output: {
    dir: dist,
    format: 'esm',
    entryFileNames: '[name].js',
    chunkFileNames: 'chunks/[name]-[hash].js',
    minify: true,
    sourcemap: false,
  },
});
rmSync(`${dist}main.js.map`, { force: true }); // tsc's map describes the file the bundle replaced

// bench/watch-child.mjs drives the watch's pieces directly; it gets them bundled the same way (not
// shipped: dist/bench/ is outside package.json `files`)
const benchWatch = '\0bench-watch';
const pieces = [
  'core/watch/session.js',
  'adapters/kube-watch.js',
  'adapters/kube.js',
  'ui/watch/lines.js',
  'ui/watch/screen.js',
  'ui/watch/memory.js',
];
await build({
  ...common,
  input: { watch: benchWatch },
  plugins: [
    builtins,
    {
      name: 'bench-watch',
      resolveId: (id) => (id === benchWatch ? id : undefined),
      load: (id) => (id === benchWatch ? pieces.map((m) => `export * from ${JSON.stringify(dist + m)};`).join('\n') : undefined),
    },
  ],
  output: {
    dir: `${dist}bench`,
    format: 'esm',
    entryFileNames: '[name].js',
    chunkFileNames: '[name]-[hash].js',
    minify: true,
    sourcemap: false,
  },
});

const files = readdirSync(`${dist}chunks`)
  .map((f) => `chunks/${f}`)
  .concat('main.js');
const kib = files.reduce((n, f) => n + statSync(dist + f).size, 0) / 1024;
const modules = out.output.reduce((n, c) => n + (c.type === 'chunk' ? Object.keys(c.modules).length : 0), 0);
console.log(`bundled ${modules} modules into dist/main.js and ${files.length - 1} chunks (${kib.toFixed(0)} KiB)`);
