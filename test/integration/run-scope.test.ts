// A test run leaves the machine as it found it: its temporary folder, network namespaces and processes go
// at its end, also when it is interrupted, and a new run removes what a killed run left, never what a live
// run beside it uses (test/support/run-scope.ts). Needs root for the namespaces, like the rig.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { NETNS_NEEDS, netnsAvailable } from '../support/netns-backend.ts';
import { pollUntil } from '../support/poll.ts';
import { alive, NETNS_PREFIX, RUN_ENV, sweepDeadRuns } from '../support/run-scope.ts';

const RUN_SCOPE = fileURLToPath(new URL('../support/run-scope.ts', import.meta.url));
const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const namespaces = () =>
  ip('netns', 'list')
    .split('\n')
    .map((l) => l.split(' ')[0]);
const started: ChildProcess[] = [];
const made: string[] = [];
const folders: string[] = [];

afterAll(() => {
  for (const c of started) c.kill('SIGKILL');
  for (const n of made) if (namespaces().includes(n)) ip('netns', 'del', n);
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});

/** the pid of a process that has exited: a run killed with SIGKILL */
async function deadPid(): Promise<number> {
  const c = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => c.once('exit', r));
  return c.pid!;
}

function sleeper(args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const c = spawn(args[0]!, [...args.slice(1)], { stdio: 'ignore', env });
  started.push(c);
  return c;
}

describe('what a test run leaves behind', () => {
  it('a new run removes the folders, network namespaces and processes of runs whose owner is dead, and nothing of a live run', async () => {
    if (!netnsAvailable()) throw new Error(NETNS_NEEDS);
    const base = mkdtempSync(join(tmpdir(), 'sweep-'));
    folders.push(base);
    const dead = await deadPid();
    const deadDir = join(base, `kedactl-run-${dead}-aaaaaa`);
    const liveDir = join(base, `kedactl-run-${process.pid}-bbbbbb`);
    const other = join(base, `kedactl-rundown-${dead}`);
    for (const d of [deadDir, liveDir, other]) mkdirSync(join(d, 'sub'), { recursive: true }), writeFileSync(join(d, 'sub', 'f'), 'x');
    const deadNs = `${NETNS_PREFIX}${dead}-t1`;
    const liveNs = `${NETNS_PREFIX}${process.pid}-t2`;
    for (const n of [deadNs, liveNs]) ip('netns', 'add', n), made.push(n);
    const inNs = sleeper(['ip', 'netns', 'exec', deadNs, 'sleep', '300']);
    const marked = sleeper(['sleep', '300'], { ...process.env, [RUN_ENV]: String(dead) });
    const live = sleeper(['sleep', '300'], { ...process.env, [RUN_ENV]: String(process.pid) });
    await pollUntil('the process in the namespace', async () => (ip('netns', 'pids', deadNs).trim() !== '' ? true : undefined), 5000);

    const logs = join(base, 'cache');
    mkdirSync(logs);
    for (const pid of [dead, process.pid]) writeFileSync(join(logs, `moto-${pid}.log`), 'x');

    const removed = sweepDeadRuns(base, logs);

    expect(removed).toContain(deadDir);
    expect(removed).toContain(`network namespace ${deadNs}`);
    expect(existsSync(deadDir)).toBe(false);
    expect(existsSync(join(logs, `moto-${dead}.log`))).toBe(false);
    expect(existsSync(join(logs, `moto-${process.pid}.log`))).toBe(true);
    expect(namespaces()).not.toContain(deadNs);
    await pollUntil("the dead run's processes to end", async () => (!alive(inNs.pid!) && !alive(marked.pid!) ? true : undefined), 5000);
    // a live run's folder and namespace, another name, a live run's process: untouched
    expect(existsSync(liveDir)).toBe(true);
    expect(existsSync(other)).toBe(true);
    expect(namespaces()).toContain(liveNs);
    expect(alive(live.pid!)).toBe(true);
  });

  it('an interrupted run (SIGTERM) removes its folder, namespaces and processes, those it let go of too, then ends', async () => {
    if (!netnsAvailable()) throw new Error(NETNS_NEEDS);
    // a stand-in for vitest's main process: begins a run, starts what the rig starts, waits to be killed
    const script = `
      import { spawn, execFileSync } from 'node:child_process';
      import { writeFileSync } from 'node:fs';
      import { join } from 'node:path';
      import { beginRun, netnsName } from ${JSON.stringify(RUN_SCOPE)};
      const run = beginRun();
      writeFileSync(join(process.env.TMPDIR, 'data'), 'x');
      const child = spawn('sleep', ['300'], { stdio: 'ignore' });
      const ns = netnsName('sig');
      execFileSync('ip', ['netns', 'add', ns]);
      spawn('ip', ['netns', 'exec', ns, 'sleep', '300'], { stdio: 'ignore' });
      // let go of: a grandchild whose parent exits, so it is no longer below this process
      const orphan = execFileSync('sh', ['-c', 'sleep 300 >/dev/null 2>&1 & echo $!'], { encoding: 'utf8' }).trim();
      console.log(JSON.stringify({ dir: run.dir, tmp: process.env.TMPDIR, ns, pids: [child.pid, Number(orphan)] }));
      setInterval(() => {}, 1000);
    `;
    const runner = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    started.push(runner);
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: runner.stdout! }).once('line', resolve);
      runner.once('exit', (code) => reject(new Error(`the run ended before it started (exit ${code})`)));
    });
    const { dir, tmp, ns, pids } = JSON.parse(line) as { dir: string; tmp: string; ns: string; pids: number[] };
    made.push(ns);
    expect(tmp).toBe(dir);
    expect(existsSync(join(dir, 'data'))).toBe(true);
    expect(namespaces()).toContain(ns);
    expect(pids.every((p) => alive(p))).toBe(true);

    const ended = new Promise<NodeJS.Signals | null>((r) => runner.once('exit', (_code, signal) => r(signal)));
    runner.kill('SIGTERM');
    expect(await ended).toBe('SIGTERM');
    expect(existsSync(dir)).toBe(false);
    expect(namespaces()).not.toContain(ns);
    await pollUntil("the run's processes to end", async () => (!pids.some((p) => alive(p)) ? true : undefined), 5000);
  });
});
