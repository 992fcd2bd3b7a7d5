// A live HTTP backend the API server's service proxy can reach: the proxy refuses loopback addresses, so the
// server runs in a network namespace of its own, joined to the host by a veth pair (needs root / CAP_NET_ADMIN).
import { execFileSync, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { netnsName } from './run-scope.ts';

export interface NetnsBackend {
  ip: string;
  port: number;
  stop(): Promise<void>;
}

const ip = (args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });

/** why a test that needs a network namespace cannot have one, and what to do */
export const NETNS_NEEDS =
  'this test needs a network namespace: run the tests as root (or with CAP_SYS_ADMIN and CAP_NET_ADMIN, e.g. `sudo -E npm test`) with iproute2 installed; see README.md, Development';

export function netnsAvailable(): boolean {
  try {
    const probe = netnsName(`probe${process.pid}`);
    ip(['netns', 'add', probe]);
    ip(['netns', 'del', probe]);
    return true;
  } catch {
    return false;
  }
}

/** Start `script` (a Node program reading PORT) inside a fresh network namespace; resolves once it listens. */
export async function startNetnsBackend(script: string, port = 8080): Promise<NetnsBackend> {
  const id = `${process.pid % 10000}${randomInt(100, 999)}`;
  // named for the run, so the run's end (or the next run, should this one be killed) removes it
  const ns = netnsName(id);
  const host = `kh${id}`;
  const peer = `kp${id}`;
  const subnet = `10.${randomInt(100, 250)}.${randomInt(0, 250)}`;
  const hostIp = `${subnet}.1`;
  const backendIp = `${subnet}.2`;
  try {
    ip(['netns', 'add', ns]);
  } catch (e) {
    throw new Error(`${NETNS_NEEDS}\n(ip netns add ${ns}: ${String((e as { stderr?: unknown }).stderr ?? (e as Error).message).trim()})`);
  }
  const cleanup = () => {
    try {
      ip(['link', 'del', host]);
    } catch {
      /* gone with the namespace */
    }
    try {
      ip(['netns', 'del', ns]);
    } catch {
      /* already gone */
    }
  };
  try {
    ip(['link', 'add', host, 'type', 'veth', 'peer', 'name', peer]);
    ip(['link', 'set', peer, 'netns', ns]);
    ip(['addr', 'add', `${hostIp}/30`, 'dev', host]);
    ip(['link', 'set', host, 'up']);
    ip(['netns', 'exec', ns, 'ip', 'addr', 'add', `${backendIp}/30`, 'dev', peer]);
    ip(['netns', 'exec', ns, 'ip', 'link', 'set', peer, 'up']);
    ip(['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
  } catch (e) {
    cleanup();
    throw e;
  }
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], {
    env: { ...process.env, PORT: String(port), HOST: backendIp },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('netns backend did not start')), 10_000);
    child.stdout!.once('data', () => (clearTimeout(t), resolve()));
    child.once('exit', (code) => (clearTimeout(t), reject(new Error(`netns backend exited ${code}`))));
  });
  return {
    ip: backendIp,
    port,
    async stop() {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await gone;
      }
      cleanup();
    },
  };
}

/** The result analyzer's HTTP surface (as described in shared/reference/README.md), counts in memory. */
export const FAKE_ANALYZER = `
const http = require('node:http');
let events = [];
let processed = 0, killed = 0;
const stamp = (d) => d.toISOString().replace('T', ' ').slice(0, 19);
const seed = (process.env.SEED || '').split(',').filter(Boolean);
for (const s of seed) { const [what, at] = s.split('@'); if (what === 'p') events.push(at + ' - processed count ' + (++processed)); else events.push(at + ' - kill count ' + (++killed)); }
http.createServer((req, res) => {
  const json = (o) => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify(o)); };
  if (req.method === 'GET' && req.url === '/get/count') return json(events);
  if (req.method === 'POST' && req.url === '/create/count') { events.push(stamp(new Date()) + ' - processed count ' + (++processed)); return json({ message: 'Count incremented' }); }
  if (req.method === 'POST' && req.url === '/kill/count') { events.push(stamp(new Date()) + ' - kill count ' + (++killed)); return json({ message: 'Kill incremented' }); }
  if (req.method === 'POST' && req.url === '/reset') { events = []; processed = 0; killed = 0; return json({ message: 'Reset Successfully' }); }
}).listen(Number(process.env.PORT), process.env.HOST, () => process.stdout.write('listening\\n'));
`;
