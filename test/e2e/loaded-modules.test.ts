// What each command loads, from the built kedactl as users run it (bin/kedactl, dist/): the commands
// that read nothing remote (--help, plan --offline, render) load no package from node_modules at all
// (commander, yaml, the Kubernetes schemas and the Kubernetes client are bundled into kedactl's own
// files, each behind the commands that use it), and the others load only what their work needs.
// bench/modules.ts prints the whole table.
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadedBy } from '../support/loaded-modules.ts';
import { SAFE_ENV } from '../support/run-cli.ts';

const ISSUER = 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE';
/** the chunk with the Kubernetes adapter and the bundled @kubernetes/client-node (not the schemas, nor
 * the core's port declarations in kube-ports.ts, which hold no client) */
const kubeChunk = (own: string[]) => own.some((f) => /^dist\/chunks\/kube-(?!schemas|ports|state)/.test(f));
const env = { ...SAFE_ENV, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };

describe('modules each command loads', () => {
  it('--help loads only kedactl: bin/kedactl and one file of dist/ with the chunks it shares, no package', async () => {
    const r = await loadedBy(['--help'], { env });
    expect(r.code).toBe(0);
    expect([...r.packages.keys()]).toEqual([]);
    expect(r.own).toContain('dist/main.js');
    expect(r.own.length).toBeLessThanOrEqual(12);
  });

  it('plan --offline and render load no package: no Kubernetes client, HTTP stack, AWS SDK or execa', async () => {
    const plan = await loadedBy(['plan', '--offline', '--region', 'eu-west-1'], { env });
    expect(plan.code, plan.stderr).toBe(0);
    const out = join(mkdtempSync(join(tmpdir(), 'kedactl-render-')), 'stack');
    const render = await loadedBy(
      ['render', '--out', out, '--region', 'eu-west-1', '--account-id', '123456789012', '--oidc-issuer', ISSUER],
      { env },
    );
    expect(render.code, render.stderr).toBe(0);
    for (const r of [plan, render]) {
      expect([...r.packages.keys()]).toEqual([]);
      expect(kubeChunk(r.own)).toBe(false);
      expect(r.own).toContain('dist/chunks/kube-schemas.js'); // the schemas still check every object
      expect(r.own.length).toBeLessThanOrEqual(20);
    }
  });

  it('a plan that reads loads the AWS SDK, the Kubernetes client and execa; produce loads the SDK but no Kubernetes client', async () => {
    // no credentials and no kubeconfig: it loads what reading needs, finds nothing to read with, plans
    const plan = await loadedBy(['plan', '--region', 'eu-west-1'], { env: SAFE_ENV });
    expect(plan.code, plan.stderr).toBe(0);
    const pkgs = [...plan.packages.keys()];
    for (const p of ['@aws-sdk/client-sqs', 'execa']) expect(pkgs).toContain(p);
    expect(kubeChunk(plan.own)).toBe(true);
    expect(pkgs).not.toContain('ink');

    // no kubeconfig (SAFE_ENV), so no cluster to read the stack's record from; fails at the queue lookup
    // (nothing listens on port 9): what it loaded up to then is the whole path
    const produce = await loadedBy(['produce', '--region', 'eu-west-1', '--endpoint-url', 'http://127.0.0.1:9', '--count', '1'], { env });
    expect(produce.code).toBe(1);
    const p2 = [...produce.packages.keys()];
    expect(p2).toContain('@aws-sdk/client-sqs');
    for (const p of ['execa', 'ink', 'react']) expect(p2).not.toContain(p);
    expect(kubeChunk(produce.own)).toBe(false);
  });
});
