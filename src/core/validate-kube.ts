// Kubernetes objects are checked against their schemas before anything is written or sent.
import { TemplateError } from './templates.js';
import type { KubeObject } from './kube-ports.js';

export type { KubeObject };

type Model = new (data: unknown) => { validate(): void };

async function modelFor(apiVersion: string, kind: string): Promise<Model | undefined> {
  const pick = (mod: Record<string, unknown>) => mod[kind] as Model | undefined;
  switch (apiVersion) {
    case 'v1':
      return pick(await import('kubernetes-models/v1'));
    case 'apps/v1':
      return pick(await import('kubernetes-models/apps/v1'));
    case 'batch/v1':
      return pick(await import('kubernetes-models/batch/v1'));
    case 'keda.sh/v1alpha1':
      return pick(await import('@kubernetes-models/keda/keda.sh/v1alpha1'));
    default:
      return undefined;
  }
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
    throw new TemplateError(`rendered objects do not match their schemas:\n${problems.map((p) => `  - ${p}`).join('\n')}`, 'fix the template override (or the setting) named above');
  return unchecked;
}
