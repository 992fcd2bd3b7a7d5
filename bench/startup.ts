// Start-up time of `kedactl --help` as a whole process, next to `node -e 0`, median of N runs.
// Run: npm run build && node bench/startup.ts [runs]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';

const runs = Number(process.argv[2] ?? 21);
const bin = fileURLToPath(new URL('../bin/kedactl', import.meta.url));

function median(cmd: string[]): number {
  const times: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, cmd, { stdio: 'ignore' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${cmd.join(' ')} exited ${r.status}`);
    if (i >= 2) times.push(ms); // two warm-up runs fill the page cache
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const base = median(['-e', '0']);
const help = median([bin, '--help']);
const planHelp = median([bin, 'plan', '--help']);
console.log(`machine: ${cpus()[0]?.model} x${cpus().length}, node ${process.version}, ${new Date().toISOString().slice(0, 10)}, ${runs} runs each`);
console.log(`node -e 0             median ${base.toFixed(1)} ms`);
console.log(`kedactl --help        median ${help.toFixed(1)} ms (+${(help - base).toFixed(1)} ms)`);
console.log(`kedactl plan --help   median ${planHelp.toFixed(1)} ms (+${(planHelp - base).toFixed(1)} ms)`);
