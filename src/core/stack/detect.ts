// What init can find out before asking anything: the kube context (and whether it is EKS), the AWS
// account. Detection never fails the run: what it cannot find is simply not offered as a default.
export interface KubeContextInfo {
  context?: string;
  server?: string;
  /** from an EKS context name/ARN (arn:aws:eks:REGION:ACCOUNT:cluster/NAME) or server URL */
  eksCluster?: string;
  eksRegion?: string;
}

const EKS_ARN = /^arn:aws[\w-]*:eks:([a-z0-9-]+):(\d{12}):cluster\/([\w-]+)$/;
const EKS_SERVER = /^https:\/\/[0-9A-F]+\.[a-z0-9]+\.([a-z0-9-]+)\.eks\.amazonaws\.com/i;

/** Reads the context name, cluster name and server URL of a kubeconfig context. Pure. */
export function eksFromContext(context: string | undefined, clusterName: string | undefined, server: string | undefined): KubeContextInfo {
  const info: KubeContextInfo = { context, server };
  for (const name of [context, clusterName]) {
    const m = name ? EKS_ARN.exec(name) : null;
    if (m) return { ...info, eksRegion: m[1], eksCluster: m[3] };
  }
  const s = server ? EKS_SERVER.exec(server) : null;
  if (s) {
    info.eksRegion = s[1];
    // eksctl names contexts USER@CLUSTER.REGION.eksctl.io
    const e = context ? /@([\w-]+)\.([a-z0-9-]+)\.eksctl\.io$/.exec(context) : null;
    if (e) info.eksCluster = e[1];
  }
  return info;
}
