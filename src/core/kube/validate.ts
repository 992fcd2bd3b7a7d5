// Kubernetes objects are checked against their schemas before anything is written or sent.
import type { KubeModel } from './schemas.js';
import { TemplateError } from '../stack/templates.js';
import type { KubeObject } from './ports.js';

export type { KubeObject };

/** The model of a kind, from the few schemas kedactl bundles (core/kube/schemas.ts), loaded on first use. */
async function modelFor(apiVersion: string, kind: string): Promise<KubeModel | undefined> {
  const { KUBE_MODELS } = await import('./schemas.js');
  return Object.hasOwn(KUBE_MODELS, `${apiVersion}/${kind}`) ? KUBE_MODELS[`${apiVersion}/${kind}`] : undefined;
}

/** Throws one TemplateError listing every schema problem of every object; returns kinds it could not check. */
export async function validateKubeObjects(objects: Array<{ object: KubeObject; template: string }>): Promise<string[]> {
  const problems: string[] = [];
  const unchecked: string[] = [];
  for (const { object, template } of objects) {
    const id = `${object.kind ?? '?'}/${object.metadata?.name ?? '?'} (from ${template})`;
    if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string' || typeof object.metadata?.name !== 'string') {
      problems.push(`${id}: needs apiVersion, kind and metadata.name`);
      continue;
    }
    const model = await modelFor(object.apiVersion, object.kind);
    if (!model) {
      unchecked.push(`${object.apiVersion} ${object.kind}`);
      continue;
    }
    try {
      new model(object).validate();
    } catch (e) {
      const errs = (e as { errors?: Array<{ instancePath: string; message?: string }> }).errors;
      const lines = errs?.length ? errs.map((x) => `${x.instancePath || '/'} ${x.message ?? ''}`.trim()) : [(e as Error).message];
      for (const l of lines) problems.push(`${id}: ${l}`);
    }
  }
  if (problems.length > 0)
    throw new TemplateError(
      `rendered objects do not match their schemas:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      'fix the template override (or the setting) named above',
    );
  return unchecked;
}
