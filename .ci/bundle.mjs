// Part of `npm run build`, after tsc: bundles what kedactl runs into dist/main.js and dist/chunks/, the
// only parts of dist/ that are shipped (package.json `files`). Start-up is mostly finding, reading and
// compiling modules (bench/README.md), so:
// - kedactl's own modules, commander and yaml go into a few files: `--help` loads one, `plan --offline`
//   and `render` a handful;
// - each command's modules stay behind the dynamic import that loads them (one chunk per command, and
//   chunks they share);
// - the Kubernetes schemas (core/kube-schemas.ts) are bundled with the model packages they come from;
// - the big packages a command needs at run time (AWS SDK, Kubernetes client, ink and React, execa,
//   inquirer) stay in node_modules, loaded only by the commands that use them.
// The rest of dist/ is tsc's file-per-module output, which the benchmarks import.
import { build } from 'rolldown';
import { createRequire } from 'node:module';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** packages bundled into kedactl's files; everything else is imported from node_modules */
export const BUNDLED = ['commander', 'yaml', 'kubernetes-models', '@kubernetes-models/', '@kubernetes/client-node'];

const require = createRequire(import.meta.url);
const dist = fileURLToPath(new URL('../dist/', import.meta.url));
if (readFileSync(`${dist}main.js`, 'utf8').includes('./chunks/')) throw new Error('dist/main.js is already a bundle: run `npm run build` (tsc first, then this)');
rmSync(`${dist}chunks`, { recursive: true, force: true });
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
const out = await build({
  input: { main: `${dist}main.js`, 'chunks/kube-schemas': `${dist}core/kube-schemas.js` },
  platform: 'node',
  plugins: [builtins],
  // what kedactl's own modules import from outside BUNDLED stays external; what a bundled package
  // imports is bundled with it
  external: (id, importer) =>
    bare(id) && !lazyBuiltin(id, importer) && (id.startsWith('node:') || (!importer?.includes('/node_modules/') && !BUNDLED.some((p) => id === p || id.startsWith(p.endsWith('/') ? p : `${p}/`)))),
  // the npm package a schema validator requires, not Node's deprecated built-in of the same name
  resolve: { alias: { punycode: require.resolve('punycode/') } },
  output: { dir: dist, format: 'esm', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js', minify: true, sourcemap: false },
  logLevel: 'warn',
});
rmSync(`${dist}main.js.map`, { force: true }); // tsc's map describes the file the bundle replaced
const files = readdirSync(`${dist}chunks`).map((f) => `chunks/${f}`).concat('main.js');
const kib = files.reduce((n, f) => n + statSync(dist + f).size, 0) / 1024;
const modules = out.output.reduce((n, c) => n + (c.type === 'chunk' ? Object.keys(c.modules).length : 0), 0);
console.log(`bundled ${modules} modules into dist/main.js and ${files.length - 1} chunks (${kib.toFixed(0)} KiB)`);
