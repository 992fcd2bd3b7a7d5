// The HTTP side of the watch informers: paged lists and streaming watches (newline-delimited JSON)
// against the API server of a KubeConfig, over the same connection code as the REST adapter.
import type * as http from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeConnection, query } from './kube-connection.js';
import { statusLine } from './kube-errors.js';
import { WatchHttpError, type WatchEvent, type WatchTarget, type WatchTransport } from '../core/watch/informer.js';
import type { RawObject } from '../core/watch/state.js';

export interface KubeWatchOptions {
  /** called once per HTTP request (the benchmark counts them) */
  onRequest?: (method: string, path: string) => void;
  /** called with the number of watch streams open now */
  onWatchCount?: (open: number) => void;
  /** items per list page (default 500) */
  pageSize?: number;
  /** server-side watch timeout, seconds (default 300) */
  watchTimeoutSeconds?: number;
  /** a watch that sends nothing (not even a bookmark) for this long is dropped and resumed (ms, default 150 s) */
  idleMs?: number;
  /** list request timeout, ms (default 30 s) */
  requestTimeoutMs?: number;
}

export function kubeWatchTransport(kc: KubeConfig, o: KubeWatchOptions = {}): WatchTransport {
  // its own connection (and so its own agent): watches hold their sockets open for minutes
  const conn = kubeConnection(kc, { onRequest: o.onRequest, maxSockets: 16 });
  let openWatches = 0;
  const start = (path: string, signal: AbortSignal, timeoutMs: number) => conn.stream(path, { signal, timeoutMs, op: 'watch' });

  async function readAll(res: http.IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  return {
    async list(target: WatchTarget, signal: AbortSignal) {
      const items: RawObject[] = [];
      let cont: string | undefined;
      let resourceVersion = '';
      do {
        const path =
          target.path +
          query({ labelSelector: target.labelSelector, fieldSelector: target.fieldSelector, limit: o.pageSize ?? 500, continue: cont });
        const { res } = await start(path, signal, o.requestTimeoutMs ?? 30_000);
        const body = await readAll(res);
        if (res.statusCode !== 200) throw new WatchHttpError(res.statusCode ?? 0, statusLine(res.statusCode ?? 0, body));
        const list = JSON.parse(body) as { items: RawObject[] | null; metadata?: { continue?: string; resourceVersion?: string } };
        for (const it of list.items ?? []) items.push(it);
        if (!cont) resourceVersion = list.metadata?.resourceVersion ?? '';
        cont = list.metadata?.continue || undefined;
      } while (cont);
      return { items, resourceVersion };
    },

    async watch(target, resourceVersion, on, signal) {
      const path =
        target.path +
        query({
          watch: 1,
          labelSelector: target.labelSelector,
          fieldSelector: target.fieldSelector,
          resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: o.watchTimeoutSeconds ?? 300,
        });
      const idleMs = o.idleMs ?? 150_000;
      const { req, res } = await start(path, signal, idleMs);
      if (res.statusCode !== 200) throw new WatchHttpError(res.statusCode ?? 0, statusLine(res.statusCode ?? 0, await readAll(res)));
      openWatches++;
      o.onWatchCount?.(openWatches);
      try {
        on.open();
        let buf = '';
        res.setEncoding('utf8');
        for await (const chunk of res as AsyncIterable<string>) {
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (!line) continue;
            // on.event may throw (410 Gone, ERROR): that ends this watch and tells the informer why
            on.event(JSON.parse(line) as WatchEvent);
          }
        }
      } finally {
        openWatches--;
        o.onWatchCount?.(openWatches);
        req.destroy();
      }
    },
  };
}
