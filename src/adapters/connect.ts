// Builds the adapters a command needs, once, from the resolved settings. A skipped part gets none.
import type { Settings } from '../core/stack/settings.js';
import { UNKNOWN_REGION } from '../core/stack/settings.js';
import type { Part, Ports } from '../core/stack/ports.js';
import type { WatchTransport } from '../core/watch/informer.js';
import type { IoHost } from '../ui/io.js';
import { createAws, type AwsConfig } from './aws.js';
import { createHelm } from './helm.js';
import { createKube, loadKubeConfig } from './kube.js';
import { kubeWatchTransport } from './kube-watch.js';

export interface ConnectOptions {
  /** tests only: SDK middleware and attempts for every AWS client */
  awsClient?: Pick<AwsConfig, 'decorate' | 'maxAttempts'>;
  /** also the watch streams (kedactl watch); requests are then logged at trace level, under a live screen */
  watch?: boolean;
}

export function connect(
  settings: Settings,
  env: NodeJS.ProcessEnv,
  host: IoHost,
  skip: ReadonlySet<Part> = new Set(),
  awsClient: ConnectOptions['awsClient'] = {},
  o: ConnectOptions = {},
): Ports & { kubeWatch?: WatchTransport } {
  const level = o.watch ? 'trace' : 'debug';
  const log = (code: string) => (text: string) => host.notify(level, code, text);
  const ports: Ports & { kubeWatch?: WatchTransport } = {};
  if (settings.region !== UNKNOWN_REGION)
    ports.aws = createAws({ region: settings.region, profile: settings.profile, endpointUrl: settings.endpointUrl, env, ...awsClient });
  if (!(skip.has('kubernetes') && skip.has('keda')) || o.watch) {
    const kc = loadKubeConfig({ kubeconfig: settings.kubeconfig, context: settings.context, env });
    ports.kube = createKube(kc, { log: log('kube.request') });
    if (o.watch) ports.kubeWatch = kubeWatchTransport(kc, { onRequest: (m, p) => host.notify('trace', 'kube.watch', `${m} ${p}`) });
  }
  if (!skip.has('keda')) ports.helm = createHelm({ env, kubeconfig: settings.kubeconfig, context: settings.context, log: log('helm') });
  return ports;
}
