// Which packages each kedactl command loads, and how many files, from the built kedactl as users run it
// (bin/kedactl, dist/). Commands that need AWS or a cluster run without either (no credentials, no
// kubeconfig): they load their modules, then stop at the first remote step, which is what is counted.
// Run: npm run build && node bench/modules.ts [path/to/another/bin/kedactl to compare]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadedBy } from '../test/support/loaded-modules.ts';

const ISSUER = 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE';
const env: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  NO_COLOR: '1',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONFIG_FILE: '/nonexistent/kedactl-bench/config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/kedactl-bench/credentials',
  KUBECONFIG: '/nonexistent/kedactl-bench/kubeconfig',
};
const out = mkdtempSync(join(tmpdir(), 'kedactl-bench-modules-'));
const commands: string[][] = [
  ['--help'],
  ['plan', '--offline', '--region', 'eu-west-1'],
  ['render', '--out', join(out, 'stack'), '--region', 'eu-west-1', '--account-id', '123456789012', '--oidc-issuer', ISSUER],
  ['plan', '--region', 'eu-west-1'],
  ['produce', '--region', 'eu-west-1', '--count', '1'],
  ['status', '--region', 'eu-west-1'],
  ['results'],
  ['watch', '--once'],
  ['teardown', '--region', 'eu-west-1', '--yes'],
  ['init', '--region', 'eu-west-1', '--yes'],
];
const bins = [undefined, process.argv[2]].filter((b, i) => i === 0 || b);
for (const bin of bins) {
  console.log(`\n${bin ?? 'this build'}:`);
  console.log('| command | exit | files (kedactl + node_modules) | packages (files) |');
  console.log('| --- | --- | --- | --- |');
  for (const argv of commands) {
    const r = await loadedBy(argv, { env, bin });
    const nm = [...r.packages.values()].reduce((a, b) => a + b, 0);
    const shown = argv.map((a) => (a.startsWith(out) ? 'DIR' : a === ISSUER ? 'ISSUER' : a)).join(' ');
    const pk = [...r.packages].map(([p, n]) => `${p} (${n})`);
    console.log(
      `| \`kedactl ${shown}\` | ${r.code} | ${r.own.length} + ${nm} | ${pk.length ? (pk.length > 12 ? `${pk.slice(0, 12).join(', ')}, … ${pk.length - 12} more` : pk.join(', ')) : 'none'} |`,
    );
  }
}
