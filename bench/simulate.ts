// How fast `kedactl simulate` runs the loop: 100,000 messages over 24 h of virtual time (a steady
// profile), once per strategy, plus a 10,000-message burst; wall time of simulate() alone (median of N
// runs after one warm-up), and of the whole command as a user runs it (bin/kedactl, its own process).
// Goal: 100,000 messages over 24 h virtual in under a second. Run: npm run build && node bench/simulate.ts [runs]
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { SimStack } from '../src/core/simulate/sim.ts';

// the built code, as users run it (src/ imports .js paths that exist only in dist/)
const dist = <T>(p: string) => import(new URL(`../dist/${p}`, import.meta.url).href) as Promise<T>;
const { buildProfile, parseLoadSpec } = await dist<typeof import('../src/core/simulate/profile.ts')>('core/simulate/profile.js');
const { DEFAULT_WORLD, simulate } = await dist<typeof import('../src/core/simulate/sim.ts')>('core/simulate/sim.js');
const { DEFAULT_STACK, defaults } = await dist<typeof import('../src/core/stack/settings.ts')>('core/stack/settings.js');

const runs = Number(process.argv[2] ?? 7);
const bin = fileURLToPath(new URL('../bin/kedactl', import.meta.url));
// the defaults kedactl renders
const stack: SimStack = defaults(DEFAULT_STACK);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

console.log(
  `machine: ${cpus()[0]?.model} x${cpus().length}, node ${process.version}, ${new Date().toISOString().slice(0, 16)}Z, load ${loadavg()[0]!.toFixed(1)}, ${runs} runs each`,
);
for (const [name, spec] of [
  ['100,000 over 24 h', 'steady:count=100000,duration=24h'],
  ['10,000 at once', 'burst:count=10000'],
] as const) {
  const profile = buildProfile(parseLoadSpec(spec));
  for (const strategy of ['default', 'accurate', 'eager'] as const) {
    const times: number[] = [];
    let r: ReturnType<typeof simulate> | undefined;
    for (let i = 0; i <= runs; i++) {
      const t0 = performance.now();
      r = simulate({ ...stack, strategy }, profile, DEFAULT_WORLD);
      if (i > 0) times.push(performance.now() - t0); // the first run warms the JIT
    }
    console.log(
      `${name.padEnd(18)} ${strategy.padEnd(9)} simulate() median ${median(times).toFixed(0)} ms (min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)}); ` +
        `${r!.polls} polls, ${r!.jobsCreated} Jobs, drained ${r!.drained} at ${(r!.timeToDrain! / 3600).toFixed(2)} h virtual`,
    );
  }
}

// the whole command: Node start-up, settings, three runs of 100,000 messages, JSON out
const whole: number[] = [];
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  execFileSync(
    process.execPath,
    [bin, 'simulate', '--load', 'steady:count=100000,duration=24h', '--compare', 'strategy=default,accurate,eager', '-o', 'json'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  whole.push(performance.now() - t0);
}
console.log(
  `kedactl simulate --load steady:count=100000,duration=24h --compare strategy=default,accurate,eager -o json: median ${median(whole).toFixed(0)} ms (${whole.map((t) => t.toFixed(0)).join(' / ')})`,
);
