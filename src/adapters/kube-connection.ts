// The connection to one API server, from a KubeConfig: its credentials (applied per request, so an exec
// plugin's token is refreshed), a keep-alive agent, 429 retries, and the peer named in messages.
// The REST adapter (kube.ts) and the watch transport (kube-watch.ts) each hold one.
import * as http from 'node:http';
import * as https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { UsageError } from '../core/errors.js';
import { noCredentials, refreshHint, unreachable, type KubePeer } from './kube-errors.js';

export interface KubeConnectionOptions {
  /** called once per HTTP request (tests and the benchmarks count them) */
  onRequest?: (method: string, path: string) => void;
  /** debug log */
  log?: (text: string) => void;
  /** per request, ms (default 30 s) */
  timeoutMs?: number;
  /** sockets per agent (default 8; watches hold theirs open) */
  maxSockets?: number;
}

export interface Sent {
  body?: string;
  contentType?: string;
  accept?: string;
  /** what kedactl was doing, for errors */
  op: string;
}

export interface KubeConnection {
  readonly peer: KubePeer;
  /** one request with the whole answer; 429 (throttled, or storage still initializing) is retried as Retry-After says */
  request(method: string, path: string, r: Sent): Promise<{ status: number; body: string }>;
  /** a GET whose answer is read as it comes (watch streams); socket errors reject as they are */
  stream(
    path: string,
    o: { signal: AbortSignal; timeoutMs: number; op: string },
  ): Promise<{ req: http.ClientRequest; res: http.IncomingMessage }>;
}

/** "?a=1&b=x" of the values that are set */
export function query(q: Record<string, string | number | boolean | undefined>): string {
  const parts = Object.entries(q)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

export function kubeConnection(kc: KubeConfig, opts: KubeConnectionOptions = {}): KubeConnection {
  const cluster = kc.getCurrentCluster();
  if (!cluster)
    throw new UsageError(`kube context "${kc.getCurrentContext()}" has no cluster`, 'fix the kubeconfig or pick another --context');
  const server = cluster.server.replace(/\/+$/, '');
  const peer: KubePeer = { server, context: kc.getCurrentContext(), refreshHint: refreshHint(kc.getCurrentUser()?.exec?.args ?? []) };
  const base = new URL(server);
  const secure = base.protocol === 'https:';
  const prefix = base.pathname.replace(/\/+$/, '');
  const maxSockets = opts.maxSockets ?? 8;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  let agent: http.Agent | undefined;

  /** the credentials, applied now; the agent is made once, with the first request's TLS material */
  async function prepare(op: string): Promise<https.RequestOptions> {
    const o: https.RequestOptions = { headers: {} };
    try {
      await kc.applyToHTTPSOptions(o);
    } catch (e) {
      throw noCredentials(peer, op, e);
    }
    agent ??= secure
      ? new https.Agent({
          keepAlive: true,
          maxSockets,
          ca: o.ca,
          cert: o.cert,
          key: o.key,
          rejectUnauthorized: o.rejectUnauthorized,
          servername: o.servername,
        })
      : new http.Agent({ keepAlive: true, maxSockets });
    return o;
  }

  async function once(method: string, path: string, r: Sent): Promise<{ status: number; body: string; retryAfter?: string }> {
    const o = await prepare(r.op);
    const headers: Record<string, string> = { ...(o.headers as Record<string, string>), Accept: r.accept ?? 'application/json' };
    if (r.body !== undefined) {
      headers['Content-Type'] = r.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(r.body));
    }
    opts.onRequest?.(method, path);
    opts.log?.(`${method} ${path}`);
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(
        { method, hostname: base.hostname, port: base.port, path: prefix + path, headers, agent, auth: o.auth, timeout: timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), retryAfter: res.headers['retry-after'] }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs / 1000}s`), { code: 'ETIMEDOUT' })));
      req.on('error', (e: NodeJS.ErrnoException) => reject(unreachable(peer, r.op, e)));
      if (r.body !== undefined) req.write(r.body);
      req.end();
    });
  }

  return {
    peer,
    async request(method, path, r) {
      for (let attempt = 1; ; attempt++) {
        const res = await once(method, path, r);
        if (res.status !== 429 || attempt >= 6) return res;
        const after = Number(res.retryAfter);
        await new Promise((done) => setTimeout(done, Number.isFinite(after) && after > 0 ? Math.min(after, 5) * 1000 : 200 * attempt));
      }
    },
    async stream(path, s) {
      const o = await prepare(s.op);
      opts.onRequest?.('GET', path);
      opts.log?.(`GET ${path}`);
      return new Promise((resolve, reject) => {
        const req = (secure ? https : http).request(
          {
            method: 'GET',
            hostname: base.hostname,
            port: base.port,
            path: prefix + path,
            agent,
            auth: o.auth,
            signal: s.signal,
            timeout: s.timeoutMs,
            headers: { ...(o.headers as Record<string, string>), Accept: 'application/json' },
          },
          (res) => resolve({ req, res }),
        );
        req.on('timeout', () =>
          req.destroy(Object.assign(new Error(`no answer within ${Math.round(s.timeoutMs / 1000)}s`), { code: 'ETIMEDOUT' })),
        );
        req.on('error', reject);
        req.end();
      });
    },
  };
}
