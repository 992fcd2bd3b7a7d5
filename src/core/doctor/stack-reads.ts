// What doctor knows of a kedactl stack beyond its ScaledJob: its settings, the roles its names give,
// and two reads only a stack has (would the installed CRDs accept what kedactl renders; the analyzer).
import { desiredStack } from '../stack/desired.js';
import { checkKedaCrds } from '../keda/install.js';
import type { Kube } from '../kube/ports.js';
import { readResults } from '../kube/results.js';
import type { Settings } from '../stack/settings.js';
import { names } from '../stack/names.js';
import type { DoctorInput } from './gather.js';

export function stackReads(settings: Settings, kube: Kube, flags: string): NonNullable<DoctorInput['stack']> {
  const n = names(settings);
  return {
    stack: settings.stack,
    region: settings.region,
    auth: settings.auth,
    processingTime: settings.processingTime,
    visibilityTimeout: settings.visibilityTimeout,
    roles: { kedaOperator: n.kedaOperatorRole, scaler: n.scalerRole, consumer: n.consumerRole },
    flags,
    analyzerService: n.analyzer,
    queueName: n.queue,
    // kedactl renders awsEndpoint only with static keys (desired.ts): irsa triggers ask AWS itself
    ...(settings.endpointUrl && settings.auth === 'static' ? { endpointUrl: settings.endpointUrl } : {}),
    // the schema check needs only the objects' shape: unknown ids stay placeholders
    crdProblems: async () => (await checkKedaCrds(await desiredStack(settings, {}), kube)).problems,
    analyzer: async () => {
      const r = await readResults(kube, { namespace: n.namespace, name: n.analyzer, port: 'http' });
      return { processed: r.processed.count, killed: r.killed.count };
    },
  };
}
