// Builds the adapters a command needs, once, from the resolved settings. A skipped part gets none.
import type { Settings } from '../core/settings.js';
import { UNKNOWN_REGION } from '../core/settings.js';
import type { Part, Ports } from '../core/ports.js';
import type { IoHost } from '../ui/io.js';
import { createAws, type AwsConfig } from './aws.js';
import { createHelm } from './helm.js';
import { connectKube } from './kube.js';

export function connect(settings: Settings, env: NodeJS.ProcessEnv, host: IoHost, skip: ReadonlySet<Part> = new Set(), awsClient: Pick<AwsConfig, 'decorate' | 'maxAttempts'> = {}): Ports {
  const debug = (code: string) => (text: string) => host.notify('debug', code, text);
  const ports: Ports = {};
  if (settings.region !== UNKNOWN_REGION)
    ports.aws = createAws({ region: settings.region, profile: settings.profile, endpointUrl: settings.endpointUrl, env, ...awsClient });
  if (!(skip.has('kubernetes') && skip.has('keda')))
    ports.kube = connectKube({ kubeconfig: settings.kubeconfig, context: settings.context, env, log: debug('kube.request') });
  if (!skip.has('keda')) ports.helm = createHelm({ env, kubeconfig: settings.kubeconfig, context: settings.context, log: debug('helm') });
  return ports;
}
