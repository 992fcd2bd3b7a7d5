// Which kubeconfig files kubectl would read (--kubeconfig, else KUBECONFIG's list, else ~/.kube/config),
// without loading the Kubernetes client: commands that only may read the cluster ask this first.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface KubeConfigOptions {
  kubeconfig?: string;
  context?: string;
  env: NodeJS.ProcessEnv;
}

export function kubeconfigFiles(opts: KubeConfigOptions): { files: string[]; present: string[]; from: string } {
  const files = opts.kubeconfig
    ? [opts.kubeconfig]
    : opts.env.KUBECONFIG
      ? opts.env.KUBECONFIG.split(delimiter).filter(Boolean)
      : [join(opts.env.HOME ?? homedir(), '.kube', 'config')];
  const from = opts.kubeconfig ? '--kubeconfig' : opts.env.KUBECONFIG ? 'KUBECONFIG' : 'the default location';
  return { files, present: files.filter((f) => existsSync(f)), from };
}

/** true when a kubeconfig (or the in-cluster service account) is there to connect with */
export function hasKubeconfig(opts: KubeConfigOptions): boolean {
  return kubeconfigFiles(opts).present.length > 0 || (!opts.kubeconfig && Boolean(opts.env.KUBERNETES_SERVICE_HOST));
}
