// What a test run makes outside the repo belongs to the run and goes with it: the run's temporary folder
// (TMPDIR points into <tmp>/kedactl-run-<pid>-XXXXXX for the run and everything it starts, so every
// mkdtemp, Go build and log lands there), its network namespaces (kedactl-rig-<pid>-<tag>) and its
// processes (they inherit KEDACTL_TEST_RUN=<pid>). <pid> is the vitest process that owns the run. Its end,
// normal or by SIGINT / SIGTERM / SIGHUP, removes all three; a new run removes what a run whose owner is
// dead left (killed with SIGKILL, a machine that lost power), never what a live run beside it is using.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testCacheDir } from './venv.ts';

export const RUN_ENV = 'KEDACTL_TEST_RUN';
const TMP_PREFIX = 'kedactl-run-';
/** only the test rig names network namespaces so; the sweep recognises nothing else */
export const NETNS_PREFIX = 'kedactl-rig-';

/** The pid owning this run: the vitest process (workers and their children inherit it), else this process. */
export function runOwner(): number {
  const n = Number(process.env[RUN_ENV]);
  return Number.isInteger(n) && n > 0 ? n : process.pid;
}

/** A network namespace name the sweep can attribute: the prefix, the owner's pid, a tag unique in the run. */
export function netnsName(tag: string): string {
  return `${NETNS_PREFIX}${runOwner()}-${tag}`;
}

/** a process that exists and is not a zombie (an exited child nobody reaped yet is not a live owner) */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function pids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((p) => p !== process.pid);
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** every process below `root` in the process tree */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const p of pids()) {
    const parent = parentOf(p);
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), p]);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) out.push(c), walk(c);
  };
  walk(root);
  return out;
}

/** processes started by run `owner` (its marker in their environment) or working in one of `dirs` */
function processesOf(owner: number, dirs: string[]): number[] {
  const marker = `${RUN_ENV}=${owner}`;
  return pids().filter((p) => {
    try {
      if (readFileSync(`/proc/${p}/environ`, 'utf8').split('\0').includes(marker)) return true;
      const cwd = readlinkSync(`/proc/${p}/cwd`);
      return dirs.some((d) => cwd === d || cwd.startsWith(`${d}/`));
    } catch {
      return false; // gone meanwhile, or not ours to read
    }
  });
}

/** SIGTERM, up to `graceMs` to exit, then SIGKILL */
function stopAll(targets: number[], graceMs = 2000): void {
  const send = (p: number, s: NodeJS.Signals) => {
    try {
      process.kill(p, s);
    } catch {
      /* already gone */
    }
  };
  for (const p of targets) send(p, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  let left = targets.filter(alive);
  while (left.length && Date.now() < deadline) {
    sleepSync(50);
    left = left.filter(alive);
  }
  for (const p of left) send(p, 'SIGKILL');
}

function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** the rig's network namespaces and the pid that owns each */
function rigNamespaces(): Array<{ name: string; owner: number }> {
  let out: string;
  try {
    out = ip(['netns', 'list']);
  } catch {
    return []; // no iproute2 or no /run/netns: nothing of ours can exist
  }
  return out.split('\n').flatMap((line) => {
    const name = line.split(' ')[0] ?? '';
    const m = new RegExp(`^${NETNS_PREFIX}(\\d+)-`).exec(name);
    return m ? [{ name, owner: Number(m[1]) }] : [];
  });
}

/** stops what runs inside the namespace, then deletes it (the veth pair goes with it) */
function removeNamespace(name: string): void {
  let inside: number[] = [];
  try {
    inside = ip(['netns', 'pids', name]).split('\n').filter(Boolean).map(Number);
  } catch {
    /* gone meanwhile */
  }
  stopAll(inside, 500);
  try {
    ip(['netns', 'del', name]);
  } catch {
    /* gone meanwhile */
  }
}

/** the entries of `dir` whose name `pattern` matches, with the owner pid its first group captures */
function owned(dir: string, pattern: RegExp): Array<{ path: string; owner: number }> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    const m = pattern.exec(n);
    return m ? [{ path: join(dir, n), owner: Number(m[1]) }] : [];
  });
}

const leftoverDirs = (base: string) => owned(base, new RegExp(`^${TMP_PREFIX}(\\d+)-`));
/** moto's log of a run (test/support/moto.ts), kept in the test cache while the run lasts */
const leftoverLogs = (dir: string) => owned(dir, /^moto-(\d+)\.log$/);

/**
 * Removes what runs whose owner is dead left in `base`, in the network namespaces and in the test cache
 * (`logs`): their processes, namespaces, folders and moto's log. Returns what it removed, one line each.
 */
export function sweepDeadRuns(base: string = tmpdir(), logs: string = testCacheDir()): string[] {
  const removed: string[] = [];
  const dirs = leftoverDirs(base).filter((d) => !alive(d.owner));
  const netns = rigNamespaces().filter((n) => !alive(n.owner));
  const owners = new Set([...dirs.map((d) => d.owner), ...netns.map((n) => n.owner)]);
  for (const owner of owners) {
    const procs = processesOf(
      owner,
      dirs.filter((d) => d.owner === owner).map((d) => d.path),
    );
    stopAll(procs);
    if (procs.length) removed.push(`${procs.length} process(es) of dead run ${owner}`);
  }
  for (const n of netns) removeNamespace(n.name), removed.push(`network namespace ${n.name}`);
  for (const d of dirs) rmSync(d.path, { recursive: true, force: true, maxRetries: 3 }), removed.push(d.path);
  for (const l of leftoverLogs(logs).filter((l) => !alive(l.owner))) rmSync(l.path, { force: true }), removed.push(l.path);
  return removed;
}

export interface RunScope {
  /** the run's temporary folder (TMPDIR from now on) */
  dir: string;
  /** removes the run's namespaces, stray processes and folder; idempotent */
  end(): void;
}

/**
 * Call first thing in the global setup: sweeps dead runs' leftovers, makes the run's temporary folder and
 * points TMPDIR at it, marks every process the run starts, and removes all of it at the end of the run,
 * also when the run is interrupted.
 */
export function beginRun(log: (s: string) => void = () => {}): RunScope {
  const base = tmpdir();
  for (const r of sweepDeadRuns(base)) log(`removed what a killed run left: ${r}`);
  const dir = mkdtempSync(join(base, `${TMP_PREFIX}${process.pid}-`));
  process.env[RUN_ENV] = String(process.pid);
  process.env.TMPDIR = dir;

  let ended = false;
  const cleanup = (o: { killTree: boolean }) => {
    if (ended) return;
    ended = true;
    // interrupted: the rig, the workers and what they started are still below this process
    if (o.killTree) stopAll(descendants(process.pid));
    for (const n of rigNamespaces()) if (n.owner === process.pid) removeNamespace(n.name);
    // a process a test let go of (reparented, so no longer below this one) still carries the marker
    const below = new Set(descendants(process.pid));
    stopAll(processesOf(process.pid, [dir]).filter((p) => !below.has(p)));
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    rmSync(join(testCacheDir(), `moto-${process.pid}.log`), { force: true }); // moto's stop removes it too; not when interrupted
    process.env.TMPDIR = base;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    cleanup({ killTree: true });
    // vitest ends the process on these signals itself; should nothing have ended it a second later, end as
    // the signal would have
    setTimeout(() => {
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    }, 1000).unref();
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);
  process.once('exit', () => cleanup({ killTree: true }));
  return { dir, end: () => cleanup({ killTree: false }) };
}
