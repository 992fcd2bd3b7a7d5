// Start-up of kedactl's light commands as whole processes, next to `node -e 0` in the same run:
// `--help`, `plan --help`, `plan --offline`, `render`. Wall time is the median of N runs (after 2
// warm-up runs, which also fill Node's compile cache); peak RSS and CPU come from a second, separate
// pass in which each child reports its own process.resourceUsage() at exit. Another build's bin/kedactl
// (e.g. main's, built in a scratch copy) can be measured in the same run, for before/after ratios.
// Run: npm run build && node bench/startup.ts [runs] [other/bin/kedactl]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 21);
const bin = fileURLToPath(new URL('../bin/kedactl', import.meta.url));
const other = process.argv[3];
const out = mkdtempSync(join(tmpdir(), 'kedactl-bench-startup-'));
const usageFile = join(out, 'usage.json');
// writes the child's own peak RSS and CPU when it exits (loaded only in the RSS/CPU pass)
const reporter = `data:text/javascript,import{writeFileSync}from"node:fs";process.on("exit",()=>{const u=process.resourceUsage();writeFileSync(${JSON.stringify(usageFile)},JSON.stringify({rss:u.maxRSS,cpu:(u.userCPUTime+u.systemCPUTime)/1000}))})`;

const commands = (b: string, label: string): Array<[string, string[]]> => [
  [`${label} --help`, [b, '--help']],
  [`${label} plan --help`, [b, 'plan', '--help']],
  [`${label} plan --offline`, [b, 'plan', '--offline', '--region', 'eu-west-1']],
  [
    `${label} render`,
    [
      b,
      'render',
      '--out',
      join(out, label.replace(/\W/g, '')),
      '--region',
      'eu-west-1',
      '--account-id',
      '123456789012',
      '--oidc-issuer',
      'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE',
    ],
  ],
];
const cases: Array<[string, string[]]> = [
  ['node -e 0', ['-e', '0']],
  ...commands(bin, 'kedactl'),
  ...(other ? commands(other, 'other') : []),
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function run(args: string[], extra: string[] = []): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [...extra, ...args], {
    stdio: 'ignore',
    env: { ...process.env, KUBECONFIG: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true' },
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
  return ms;
}

const load0 = loadavg()[0]!;
const wall = new Map<string, number[]>(cases.map(([n]) => [n, []]));
// interleaved, so a burst of load from elsewhere hits every case alike
for (let i = 0; i < runs + 2; i++)
  for (const [name, args] of cases) {
    const ms = run(args);
    if (i >= 2) wall.get(name)!.push(ms);
  }
const usage = new Map<string, { rss: number[]; cpu: number[] }>(cases.map(([n]) => [n, { rss: [], cpu: [] }]));
for (let i = 0; i < Math.max(3, Math.ceil(runs / 3)); i++)
  for (const [name, args] of cases) {
    run(args, ['--import', reporter]);
    const u = JSON.parse(readFileSync(usageFile, 'utf8')) as { rss: number; cpu: number };
    usage.get(name)!.rss.push(u.rss / 1024);
    usage.get(name)!.cpu.push(u.cpu);
  }
rmSync(out, { recursive: true, force: true });

const base = median(wall.get('node -e 0')!);
const baseCpu = median(usage.get('node -e 0')!.cpu);
if (other) console.log(`other = ${other}`);
console.log(
  `machine: ${cpus()[0]?.model} x${cpus().length}, node ${process.version}, ${new Date().toISOString().slice(0, 16)}Z, load average ${load0.toFixed(1)} -> ${loadavg()[0]!.toFixed(1)}, ${runs} runs each`,
);
console.log('| command | wall median | x node -e 0 | CPU median | x node -e 0 | peak RSS median |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const [name] of cases) {
  const w = median(wall.get(name)!);
  const c = median(usage.get(name)!.cpu);
  console.log(
    `| \`${name}\` | ${w.toFixed(1)} ms | ${(w / base).toFixed(2)} | ${c.toFixed(1)} ms | ${(c / baseCpu).toFixed(2)} | ${median(usage.get(name)!.rss).toFixed(1)} MB |`,
  );
}
