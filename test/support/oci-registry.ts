// A private OCI registry for tests, the way an enterprise mirror serves charts: the CNCF distribution
// registry (built from the Go module proxy by test/rig/oci-registry.sh, cached in ~/.cache/kedactl-rig),
// on 127.0.0.1 with TLS from a self-signed CA of its own. helm trusts that CA through SSL_CERT_FILE (Go's
// own variable), as a user's helm would trust a corporate CA: kedactl has no "insecure" path.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runScript, spawnDaemon, stopChild } from './demo-cluster.ts';
import { freePort } from './ports.ts';
import { pollUntil } from './poll.ts';

export const REGISTRY_VERSION = '3.1.2';

export const ensureOciRegistry = () =>
  runScript('oci-registry.sh', [REGISTRY_VERSION], `building the OCI registry ${REGISTRY_VERSION}`).then((dir) =>
    path.join(dir, 'registry'),
  );

export interface OciRegistry {
  /** 127.0.0.1:PORT */
  host: string;
  /** PEM file of the CA that signed the registry's certificate (give helm SSL_CERT_FILE=caFile) */
  caFile: string;
  stop(): Promise<void>;
}

/** a CA of its own (dir/ca.crt) and a serving certificate for 127.0.0.1 signed by it (dir/tls.crt, dir/tls.key) */
export function selfSignedTls(dir: string, what: string): void {
  const f = (n: string) => path.join(dir, n);
  const ssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  ssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=kedactl test ${what} CA`,
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
  ]);
  ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', f('tls.key'), '-out', f('tls.csr')]);
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ssl([
    'x509',
    '-req',
    '-in',
    f('tls.csr'),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    f('san.ext'),
    '-out',
    f('tls.crt'),
  ]);
}

export async function startOciRegistry(): Promise<OciRegistry> {
  const bin = await ensureOciRegistry();
  const dir = mkdtempSync(path.join(tmpdir(), 'kedactl-oci-'));
  const f = (n: string) => path.join(dir, n);
  selfSignedTls(dir, 'registry');
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  writeFileSync(
    f('config.yml'),
    [
      'version: 0.1',
      'log: { level: warn }',
      `storage: { filesystem: { rootdirectory: ${f('data')} } }`,
      `http: { addr: "${host}", tls: { certificate: ${f('tls.crt')}, key: ${f('tls.key')} } }`,
      '',
    ].join('\n'),
  );
  const child = spawnDaemon(bin, ['serve', f('config.yml')], f('registry.log'), { ...process.env, OTEL_TRACES_EXPORTER: 'none' });
  const stop = async () => {
    await stopChild(child, 5_000);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ca = readFileSync(f('ca.crt'));
    await pollUntil(
      `the OCI registry on ${host}`,
      () =>
        new Promise<true | undefined>((resolve) => {
          if (child.exitCode !== null) return resolve(undefined);
          https
            .get({ host: '127.0.0.1', port, path: '/v2/', ca }, (res) => (res.resume(), resolve(res.statusCode === 200 ? true : undefined)))
            .on('error', () => resolve(undefined));
        }),
      20_000,
      () => readFileSync(f('registry.log'), 'utf8').slice(-2000),
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return { host, caFile: f('ca.crt'), stop };
}
