// The AWS calls the core needs, as narrow interfaces. src/adapters/ implements them with SDK v3
// clients; the core never sees an SDK class, so tests point real clients at moto without mocks.
import { ExternalError } from '../errors.js';
import type { PolicyDocument } from './validate-iam.js';

export type Tags = Record<string, string>;

export interface SqsPort {
  /** undefined when the queue does not exist */
  getQueueUrl(name: string): Promise<string | undefined>;
  createQueue(name: string, attributes: Record<string, string>, tags: Tags): Promise<string>;
  getQueueAttributes(url: string): Promise<Record<string, string>>;
  /** every attribute; undefined when no such queue (in this client's region) */
  queueAttributes(url: string): Promise<Record<string, string> | undefined>;
  setQueueAttributes(url: string, attributes: Record<string, string>): Promise<void>;
  /** undefined when the queue is gone; any other failure throws */
  listQueueTags(url: string): Promise<Tags | undefined>;
  /** every queue URL whose name starts with prefix (all pages) */
  listQueues(prefix?: string): Promise<string[]>;
  /** false when it was already gone */
  deleteQueue(url: string): Promise<boolean>;
  sendMessageBatch(url: string, entries: Array<{ id: string; body: string }>): Promise<BatchResult>;
}

/** A call failed in a way a later attempt may not (throttling, 5xx, network): callers may retry. */
export class TransientAwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'TransientAwsError';
  }
}

/** IAM does not see a principal yet (a role created a moment ago): the same call succeeds shortly. */
export class NotVisibleYetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotVisibleYetError';
  }
}

/** AWS refused a call for lack of permission (AccessDenied): a grant answers it. */
export class AwsAccessDeniedError extends ExternalError {
  /** the IAM action that was refused, e.g. "iam:GetRole" */
  readonly action: string;
  constructor(action: string, operation: string, message: string, next?: string, options?: { cause?: unknown }) {
    super(action.split(':')[0]!.toUpperCase(), operation, message, next, options);
    this.action = action;
  }
}

export interface BatchResult {
  successful: string[];
  failed: Array<{ id: string; code: string; message: string; senderFault: boolean }>;
}

export interface RoleInfo {
  name: string;
  arn: string;
  trust: PolicyDocument;
  tags: Tags;
}

export interface IamPort {
  /** undefined when the role does not exist */
  getRole(name: string): Promise<RoleInfo | undefined>;
  /** roles whose name starts with prefix, with their trust policies (tags not included) */
  listRoles(namePrefix?: string): Promise<Array<Omit<RoleInfo, 'tags'>>>;
  /** undefined when the role is gone; any other failure throws */
  listRoleTags(name: string): Promise<Tags | undefined>;
  createRole(name: string, trust: PolicyDocument, tags: Tags, description: string): Promise<string>;
  updateTrust(name: string, trust: PolicyDocument): Promise<void>;
  /** none when the role is gone; any other failure throws */
  listInlinePolicies(role: string): Promise<string[]>;
  /** undefined when the policy does not exist */
  getInlinePolicy(role: string, policy: string): Promise<PolicyDocument | undefined>;
  putInlinePolicy(role: string, policy: string, doc: PolicyDocument): Promise<void>;
  deleteInlinePolicy(role: string, policy: string): Promise<void>;
  listAttachedPolicies(role: string): Promise<string[]>;
  /** the default version of a managed policy; undefined when it does not exist */
  getManagedPolicy(arn: string): Promise<PolicyDocument | undefined>;
  detachPolicy(role: string, policyArn: string): Promise<void>;
  /** false when it was already gone */
  deleteRole(name: string): Promise<boolean>;
  listOidcProviders(): Promise<string[]>;
  /** undefined when the provider does not exist */
  getOidcProvider(arn: string): Promise<{ url: string; clientIds: string[]; tags: Tags } | undefined>;
  createOidcProvider(issuerUrl: string, clientIds: string[], tags: Tags): Promise<string>;
  deleteOidcProvider(arn: string): Promise<boolean>;
}

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export interface StsPort {
  callerIdentity(): Promise<{ account: string; arn: string }>;
}

export interface EksPort {
  /** the cluster's OIDC issuer URL, undefined if the cluster has none; throws UsageError if no such cluster */
  clusterOidcIssuer(cluster: string): Promise<string | undefined>;
}

export interface AwsPorts {
  region: string;
  sqs: SqsPort;
  iam: IamPort;
  sts: StsPort;
  eks: EksPort;
  /**
   * resolved credentials (static auth mode puts them in a Kubernetes Secret; never print them). Temporary
   * ones (SSO, an assumed role) carry a session token and, when the source tells, when they expire.
   */
  credentials(): Promise<AwsCredentials>;
}
