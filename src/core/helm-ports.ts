// What the core needs of helm (installing and reading the KEDA release); src/adapters/helm.ts runs the
// helm binary for it.

/** the oldest helm kedactl runs: OCI charts without HELM_EXPERIMENTAL_OCI came with 3.8.0 */
export const MIN_HELM_VERSION = '3.8.0';

export interface HelmRelease {
  name: string;
  namespace: string;
  /** e.g. "deployed", "failed", "pending-install" */
  status: string;
  chart: string;
  /** chart version, from "keda-2.20.0" */
  version?: string;
  appVersion?: string;
  revision: number;
  /** the user-supplied values, flattened to --set keys ("podIdentity.aws.irsa.enabled": "true") */
  values: Record<string, string>;
}

export interface InstallRequest {
  release: string;
  /** what helm is given: "repo/keda", a chart folder or .tgz, or "oci://host/path/keda" */
  chart: string;
  version: string;
  namespace: string;
  /** --set key=value, in a stable (sorted) order */
  values: Record<string, string>;
  /** helm 4's server-side apply takes over fields another manager set (objects adopted into the release);
   * helm 3 merges client-side and has no such conflicts, nor the flag */
  forceConflicts?: boolean;
  /** helm's own --wait (off: kedactl waits itself and says what is not ready) */
  wait?: boolean;
  timeoutSeconds?: number;
}

export interface Helm {
  /** helm's own version ("3.22.0", "4.3.2"); older than MIN_HELM_VERSION is refused before any other command */
  version(): Promise<string>;
  /** the chart repositories in helm's own configuration (their credentials stay there) */
  repoList(): Promise<Array<{ name: string; url: string }>>;
  repoAdd(name: string, url: string): Promise<void>;
  repoUpdate(name: string): Promise<void>;
  upgradeInstall(r: InstallRequest): Promise<void>;
  /** the release, or undefined when it is not installed */
  status(release: string, namespace: string): Promise<HelmRelease | undefined>;
  /** false when it was not installed */
  uninstall(release: string, namespace: string): Promise<boolean>;
}
