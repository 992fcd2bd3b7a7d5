// A private helm chart repository for tests (an index.yaml and chart packages over HTTPS, behind basic
// auth), as an enterprise mirror serves charts: TLS from a CA of its own (give helm SSL_CERT_FILE=caFile).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { selfSignedTls } from './oci-registry.ts';

export interface ChartRepo {
  /** https://127.0.0.1:PORT/charts */
  url: string;
  caFile: string;
  /** paths asked for, with the status answered */
  requests: string[];
  stop(): Promise<void>;
}

/** serves the files of `dir` (index.yaml, *.tgz) under /charts/ to requests with user:password */
export async function startChartRepo(dir: string, user: string, password: string): Promise<ChartRepo> {
  const tls = mkdtempSync(path.join(tmpdir(), 'kedactl-chart-repo-'));
  selfSignedTls(tls, 'chart repository');
  const requests: string[] = [];
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const server = https.createServer(
    { key: readFileSync(path.join(tls, 'tls.key')), cert: readFileSync(path.join(tls, 'tls.crt')) },
    (req, res) => {
      const name = (req.url ?? '').replace(/^\/charts\//, '').split('?')[0]!;
      const answer = (status: number, body: Buffer | string = '') => {
        requests.push(`${req.url} ${status}`);
        res.writeHead(status, status === 401 ? { 'WWW-Authenticate': 'Basic realm="charts"' } : {});
        res.end(body);
      };
      if (req.headers.authorization !== expected) return answer(401, 'unauthorized');
      if (!/^[\w.-]+$/.test(name)) return answer(404);
      try {
        answer(200, readFileSync(path.join(dir, name)));
      } catch {
        answer(404);
      }
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}/charts`,
    caFile: path.join(tls, 'ca.crt'),
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => (rmSync(tls, { recursive: true, force: true }), resolve()));
      }),
  };
}
