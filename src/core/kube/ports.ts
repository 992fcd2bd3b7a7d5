// What the core needs of Kubernetes, as narrow interfaces and the errors it reads (the adapter in
// src/adapters/kube.ts implements them over REST); the core never sees the client library.
import { ExternalError } from '../errors.js';

/** A Kubernetes object as kedactl renders and reads it. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

/** A kind, as the API knows it. */
export interface KubeType {
  apiVersion: string;
  kind: string;
}

export interface KubeRef extends KubeType {
  name: string;
  namespace?: string;
}

export type Propagation = 'Background' | 'Foreground' | 'Orphan';

export interface ListOptions {
  /** omit for all namespaces (namespaced kinds) */
  namespace?: string;
  labelSelector?: string;
  /** e.g. involvedObject.name=x (Events) */
  fieldSelector?: string;
  /** names and metadata only (PartialObjectMetadata): cheap for many Jobs and Pods */
  metadataOnly?: boolean;
  limit?: number;
}

export interface ApplyOptions {
  dryRun?: boolean;
  /** take over fields another manager owns (kubectl's --force-conflicts) */
  force?: boolean;
}

/** The narrow interface the core uses. */
export interface Kube {
  /** the context in use and its server, for messages */
  readonly context: string;
  readonly server: string;
  get(ref: KubeRef): Promise<KubeObject | undefined>;
  list(type: KubeType, opts?: ListOptions): Promise<KubeObject[]>;
  /** server-side apply with field manager kedactl */
  apply(obj: KubeObject, opts?: ApplyOptions): Promise<KubeObject>;
  /** one DELETE for every object of a kind matching the selector in one namespace (or cluster-scoped kind) */
  deleteCollection(type: KubeType, opts: { namespace?: string; labelSelector: string; propagation?: Propagation }): Promise<void>;
  /** false when it was already gone */
  delete(ref: KubeRef, opts?: { propagation?: Propagation }): Promise<boolean>;
  /** is this kind served (e.g. are KEDA's CRDs installed)? */
  served(type: KubeType): Promise<boolean>;
  /** the last lines of a container's log (pods/log); undefined when the Pod is gone */
  podLog?(ref: { namespace: string; pod: string; container?: string; tailLines: number }): Promise<string | undefined>;
  /** a request to a Service through the API server's proxy */
  proxy(req: {
    namespace: string;
    service: string;
    port: string;
    path: string;
    method?: 'GET' | 'POST';
    body?: string;
  }): Promise<{ status: number; body: string }>;
}

export const FIELD_MANAGER = 'kedactl';

// ---------------------------------------------------------------------------------------------
// Errors

/**
 * Who answered 403: the API server's authorizer (RBAC: grant a permission), its admission (a policy or
 * a terminating namespace: permissions would not help), or something that is not Kubernetes (a proxy in
 * front of the API server, or on the way from its service proxy to a pod, or the pod itself).
 */
export type ForbiddenBy = 'authorization' | 'admission' | 'not-kubernetes';

/** The API server answered with an error status. */
export class KubeApiError extends ExternalError {
  readonly status: number;
  readonly reason?: string;
  readonly details?: KubeStatusDetails;
  /** 403 only */
  readonly forbiddenBy?: ForbiddenBy;
  constructor(
    operation: string,
    status: number,
    message: string,
    next?: string,
    extra: { reason?: string; details?: KubeStatusDetails; cause?: unknown; forbiddenBy?: ForbiddenBy } = {},
  ) {
    super('Kubernetes', operation, message, next, { cause: extra.cause });
    this.status = status;
    this.reason = extra.reason;
    this.details = extra.details;
    this.forbiddenBy = extra.forbiddenBy;
  }
}

/** RBAC (or another authorizer) refused: the only 403 that a grant, or a narrower scope, answers. */
export function isAuthorizationDenied(e: unknown): e is KubeApiError {
  return e instanceof KubeApiError && e.status === 403 && e.forbiddenBy === 'authorization';
}

export interface FieldConflict {
  field: string;
  manager: string;
  message: string;
}

/** Server-side apply refused: another field manager owns a field kedactl wants to change. */
export class KubeConflictError extends KubeApiError {
  readonly conflicts: FieldConflict[];
  readonly object: string;
  constructor(operation: string, object: string, conflicts: FieldConflict[], details?: KubeStatusDetails) {
    super(
      operation,
      409,
      `${object}: ${conflicts.length === 1 ? 'a field kedactl sets is' : 'fields kedactl sets are'} owned by another field manager:\n` +
        conflicts.map((c) => `  - ${c.field || '(unknown field)'}: owned by "${c.manager}"`).join('\n'),
      `someone changed ${object} with another tool; change it back with that tool (or delete the object) and run again, or pass --force-conflicts to take the fields over`,
      { reason: 'Conflict', details },
    );
    this.conflicts = conflicts;
    this.object = object;
  }
}

export interface KubeStatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: Array<{ reason?: string; message?: string; field?: string }>;
}
