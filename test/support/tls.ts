// Certificates for the rig's own servers (the operator's webhook port, the node's kubelet port, the pod
// identity webhook): one self-signed key pair, written as tls.key / tls.crt in a folder, valid two days.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** a self-signed certificate for `subjectAltName` (e.g. "IP:127.0.0.1") in dir; returns its PEM key and cert */
export function selfSignedCert(dir: string, commonName: string, subjectAltName: string): { key: Buffer; cert: Buffer } {
  mkdirSync(dir, { recursive: true });
  const key = join(dir, 'tls.key');
  const cert = join(dir, 'tls.crt');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${commonName}`,
      '-addext',
      `subjectAltName=${subjectAltName}`,
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(key), cert: readFileSync(cert) };
}
