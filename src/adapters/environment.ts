// Is what a command needs present on this machine: AWS credentials, a kubeconfig, helm? Each check
// answers with the problem and how to fix it, never a stack trace; nothing remote is called except
// the AWS credential chain (SSO/profile lookups).
import { preflight, type Check } from '../core/stack/preflight.js';
import type { Part } from '../core/stack/ports.js';
import { UNKNOWN_REGION, type Settings } from '../core/stack/settings.js';
import { createAws } from './aws.js';
import { createHelm, HELM_INSTALL_HINT } from './helm.js';
import { loadKubeConfig } from './kube.js';
import { which } from './which.js';

export interface EnvironmentProblem {
  part: Part | 'region';
  what: string;
  problem: string;
}

/** Checks the parts asked for; returns every problem at once. */
export async function checkEnvironment(
  settings: Settings,
  env: NodeJS.ProcessEnv,
  parts: { region?: boolean; awsCredentials?: boolean; kube?: boolean; helm?: boolean },
): Promise<EnvironmentProblem[]> {
  const checks: Array<Check & { part: EnvironmentProblem['part'] }> = [];
  if (parts.region)
    checks.push({
      part: 'region',
      what: 'region',
      run: async () =>
        settings.region === UNKNOWN_REGION ? 'no AWS region: pass --region, set AWS_REGION, or put region: in kedactl.yaml' : undefined,
    });
  if (parts.awsCredentials)
    checks.push({
      part: 'aws',
      what: 'AWS credentials',
      run: async () => {
        // the credential chain needs no region; any valid one will do for the lookup
        const region = settings.region === UNKNOWN_REGION ? 'us-east-1' : settings.region;
        await createAws({ region, profile: settings.profile, endpointUrl: settings.endpointUrl, env }).credentials();
        return undefined;
      },
    });
  if (parts.kube)
    checks.push({
      part: 'kubernetes',
      what: 'Kubernetes',
      run: async () => (loadKubeConfig({ kubeconfig: settings.kubeconfig, context: settings.context, env }), undefined),
    });
  if (parts.helm)
    checks.push({
      part: 'keda',
      what: 'helm',
      run: async () => {
        if (!which('helm', env)) return HELM_INSTALL_HINT;
        await createHelm({ env }).version(); // a helm too old for kedactl's flags stops init here, before any change
        return undefined;
      },
    });
  const missing = await preflight(checks);
  return missing.map((m) => ({ part: checks.find((c) => c.what === m.what)!.part, what: m.what, problem: m.problem }));
}
