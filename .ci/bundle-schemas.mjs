// Part of `npm run build`, after tsc: bundles dist/core/kube-schemas.js with the model packages it
// imports (kubernetes-models, @kubernetes-models/keda and their ajv-compiled validators) into that one
// file. Those packages are then needed only to build: kedactl ships and loads a single ~0.6 MB file.
import { build } from 'rolldown';
import { createRequire } from 'node:module';
import { rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const file = fileURLToPath(new URL('../dist/core/kube-schemas.js', import.meta.url));
const out = await build({
  input: file,
  platform: 'node',
  // the npm package a validator requires, not Node's deprecated built-in of the same name
  resolve: { alias: { punycode: require.resolve('punycode/') } },
  output: { file, format: 'esm', minify: true, sourcemap: false },
  logLevel: 'warn',
});
rmSync(`${file}.map`, { force: true }); // tsc's map describes the file this replaced
const modules = Object.keys(out.output[0].modules).length;
console.log(`bundled ${modules} modules into dist/core/kube-schemas.js (${(statSync(file).size / 1024).toFixed(0)} KiB)`);
