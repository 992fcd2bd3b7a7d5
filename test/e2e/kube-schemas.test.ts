// The schemas kedactl ships (dist/chunks/kube-schemas.js, bundled by the build from kubernetes-models and
// @kubernetes-models/keda) judge objects exactly as the packages themselves do: same kinds, and the
// same verdict and messages for every object kedactl renders and for broken variants of each.
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { desiredStack } from '../../src/core/stack/desired.ts';
import { KUBE_MODELS, type KubeModel } from '../../src/core/kube/schemas.ts';
import { loadSettings } from '../../src/core/stack/load-settings.ts';
import { validateKubeObjects, type KubeObject } from '../../src/core/kube/validate.ts';

const BUNDLE = new URL('../../dist/chunks/kube-schemas.js', import.meta.url);
const ISSUER = 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE';
const settings = (flags: Record<string, unknown>) =>
  loadSettings({
    flags: { stack: 'demo', region: 'eu-west-1', accountId: '123456789012', oidcIssuer: ISSUER, ...flags },
    env: {},
    cwd: tmpdir(),
  }).settings;

async function shipped(): Promise<Record<string, KubeModel>> {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE.pathname} is missing: run npm run build first`);
  return ((await import(BUNDLE.href)) as { KUBE_MODELS: Record<string, KubeModel> }).KUBE_MODELS;
}

function verdict(model: KubeModel, object: unknown): string[] {
  try {
    new model(structuredClone(object)).validate();
    return [];
  } catch (e) {
    const errors = (e as { errors?: Array<{ instancePath: string; message?: string }> }).errors;
    return errors ? errors.map((x) => `${x.instancePath} ${x.message}`) : [`${(e as Error).message}`];
  }
}

const VARIANTS = ['irsa', 'static'].flatMap((auth) => ['job', 'deployment'].map((workload) => ({ auth, workload })));

/** every object of both auth modes and both workloads, and broken variants of each */
async function cases(): Promise<Array<{ name: string; object: KubeObject }>> {
  const out: Array<{ name: string; object: KubeObject }> = [];
  for (const v of VARIANTS) {
    for (const { object } of (await desiredStack(settings(v))).objects) {
      const name = `${v.auth} ${v.workload} ${object.kind}/${object.metadata.name}`;
      out.push({ name, object });
      out.push({
        name: `${name} with metadata.name a number`,
        object: { ...object, metadata: { ...object.metadata, name: 5 as unknown as string } },
      });
      out.push({
        name: `${name} with labels a list`,
        object: { ...object, metadata: { ...object.metadata, labels: ['x'] as unknown as Record<string, string> } },
      });
      if (object.spec) out.push({ name: `${name} with spec a string`, object: { ...object, spec: 'nope' } });
      const spec = object.spec as Record<string, unknown> | undefined;
      if (spec?.pollingInterval !== undefined)
        out.push({ name: `${name} with pollingInterval "10"`, object: { ...object, spec: { ...spec, pollingInterval: '10' } } });
      if (spec?.replicas !== undefined)
        out.push({ name: `${name} with replicas -1.5`, object: { ...object, spec: { ...spec, replicas: -1.5 } } });
      if (spec?.ports)
        out.push({ name: `${name} with a port without port`, object: { ...object, spec: { ...spec, ports: [{ name: 'http' }] } } });
      if (object.data) out.push({ name: `${name} with data values numbers`, object: { ...object, data: { a: 1 } } });
    }
  }
  return out;
}

describe('the bundled Kubernetes schemas', () => {
  it('cover the same kinds as the package models they were built from', async () => {
    expect(Object.keys(await shipped()).sort()).toEqual(Object.keys(KUBE_MODELS).sort());
  });

  it('give the same verdict and messages as the packages, for every rendered object and broken variants', async () => {
    const bundled = await shipped();
    let refused = 0;
    for (const { name, object } of await cases()) {
      const key = `${object.apiVersion}/${object.kind}`;
      expect(KUBE_MODELS[key], `no model for ${key}`).toBeDefined();
      const fromPackages = verdict(KUBE_MODELS[key]!, object);
      expect(verdict(bundled[key]!, object), name).toEqual(fromPackages);
      if (fromPackages.length) refused++;
    }
    expect(refused).toBeGreaterThan(20); // the broken variants really are refused
  });

  it('check every kind kedactl renders (none is left unchecked)', async () => {
    for (const v of VARIANTS) expect(await validateKubeObjects((await desiredStack(settings(v))).objects)).toEqual([]);
  });
});
