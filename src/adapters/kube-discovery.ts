// Kinds -> REST paths: built-in kinds from a table, anything else (KEDA's CRDs) from the API server's
// discovery, asked once per group version and kept while the group is there (asked again for a kind it lacked).
import type { KubeType } from '../core/kube/ports.js';
import type { KubeConnection } from './kube-connection.js';
import { kubeError, notServed } from './kube-errors.js';

export interface Resource {
  plural: string;
  namespaced: boolean;
}

/** built-in kinds every cluster serves */
const KNOWN: Record<string, Resource> = {
  'v1/Namespace': { plural: 'namespaces', namespaced: false },
  'v1/ServiceAccount': { plural: 'serviceaccounts', namespaced: true },
  'v1/Secret': { plural: 'secrets', namespaced: true },
  'v1/ConfigMap': { plural: 'configmaps', namespaced: true },
  'v1/Service': { plural: 'services', namespaced: true },
  'v1/Pod': { plural: 'pods', namespaced: true },
  'apps/v1/Deployment': { plural: 'deployments', namespaced: true },
  'apps/v1/ReplicaSet': { plural: 'replicasets', namespaced: true },
  'batch/v1/Job': { plural: 'jobs', namespaced: true },
  'apiextensions.k8s.io/v1/CustomResourceDefinition': { plural: 'customresourcedefinitions', namespaced: false },
};

export const groupPath = (apiVersion: string) => (apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`);

export interface Discovery {
  /** null when the cluster does not serve the kind */
  resource(type: KubeType): Promise<Resource | null>;
  /** the REST path of a kind (in a namespace, of a name); throws when the kind is not served */
  pathFor(type: KubeType, namespace?: string, name?: string): Promise<string>;
}

export function discovery(conn: KubeConnection): Discovery {
  const groups = new Map<string, Promise<Map<string, Resource> | null>>();
  function ask(apiVersion: string): Promise<Map<string, Resource> | null> {
    const g = (async () => {
      const path = groupPath(apiVersion);
      const res = await conn.request('GET', path, { op: 'discovery' });
      if (res.status === 404) return null;
      if (res.status !== 200)
        throw kubeError(conn.peer, {
          op: 'discovery',
          method: 'GET',
          path,
          status: res.status,
          body: res.body,
          what: `API group ${apiVersion}`,
        });
      const list = JSON.parse(res.body) as { resources: Array<{ name: string; kind: string; namespaced: boolean }> };
      return new Map(
        list.resources.filter((x) => !x.name.includes('/')).map((x) => [x.kind, { plural: x.name, namespaced: x.namespaced }]),
      );
    })();
    groups.set(apiVersion, g);
    // only an answer with the group is kept: a group that is missing now (KEDA before install) may come
    g.then(
      (m) => m || groups.delete(apiVersion),
      () => groups.delete(apiVersion),
    );
    return g;
  }
  async function resource(type: KubeType): Promise<Resource | null> {
    const known = KNOWN[`${type.apiVersion}/${type.kind}`];
    if (known) return known;
    const cached = groups.get(type.apiVersion);
    const hit = (await (cached ?? ask(type.apiVersion)))?.get(type.kind);
    if (hit || !cached) return hit ?? null;
    // a kind missing from a kept answer may have come since (a chart's CRDs are established one by one): ask again
    return (await ask(type.apiVersion))?.get(type.kind) ?? null;
  }
  return {
    resource,
    async pathFor(type, namespace, name) {
      const r = await resource(type);
      if (!r) throw notServed(type);
      let p = groupPath(type.apiVersion);
      if (r.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
      p += `/${r.plural}`;
      if (name) p += `/${encodeURIComponent(name)}`;
      return p;
    },
  };
}
