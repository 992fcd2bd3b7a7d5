// What the core needs of helm (installing and reading the KEDA release); src/adapters/helm.ts runs the
// helm binary for it.

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
  chart: string;
  version: string;
  namespace: string;
  /** --set key=value, in a stable (sorted) order */
  values: Record<string, string>;
  /** helm's own --wait (off: kedactl waits itself and says what is not ready) */
  wait?: boolean;
  timeoutSeconds?: number;
}

export interface Helm {
  repoAdd(name: string, url: string): Promise<void>;
  repoUpdate(name: string): Promise<void>;
  upgradeInstall(r: InstallRequest): Promise<void>;
  /** the release, or undefined when it is not installed */
  status(release: string, namespace: string): Promise<HelmRelease | undefined>;
  /** false when it was not installed */
  uninstall(release: string, namespace: string): Promise<boolean>;
}
