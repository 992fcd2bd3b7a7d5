// Check 20: the trigger's authentication followed to its last reference, the way KEDA v2.20/v2.21's resolver
// (pkg/scaling/resolver/scale_resolvers.go) and the SQS scaler (pkg/scalers/aws/aws_common.go) follow it at
// every scaler rebuild: the Secrets and keys of secretTargetRef, the env sources on the target's container,
// the podIdentity combination and the service account annotation it resolves to. KEDA caches a working
// scaler, so a reference broken after it was built shows nowhere until the next rebuild: doctor finds it first.
import { notRead, readValue, type Evidence, type SecretKeys } from './evidence.js';
import { ok, skipped, type Finding } from './finding.js';
import {
  authKey,
  authSources,
  envContainer,
  kedaIdentity,
  podSpec,
  ROLE_ANNOTATION,
  roleAnnotation,
  scalerOf,
  workloadObject,
  workloadServiceAccountName,
  type AuthSources,
} from './model.js';

const C = 20,
  ID = 'auth-chain';

/** what KEDA's SQS scaler does with an empty parameter (aws_common.go GetAwsAuthorization), in its words */
const EMPTY_MEANS: Record<string, string> = {
  awsAccessKeyID: 'KEDA then fails the trigger with "awsAccessKeyID not found"',
  awsAccessKeyId: 'KEDA then fails the trigger with "awsAccessKeyID not found"',
  awsSecretAccessKey: 'KEDA then fails the trigger with "awsSecretAccessKey not found"',
  awsRoleArn: 'KEDA then looks for access keys instead and fails the trigger with "awsAccessKeyID not found"',
  awsSessionToken: 'KEDA then signs with the keys alone, which AWS refuses for temporary keys',
  awsRegion: 'KEDA then takes awsRegion from the trigger\'s metadata, or fails with "missing required parameter \\"awsRegion\\""',
};

/** the parameters KEDA's SQS scaler reads from a TriggerAuthentication, given its podIdentity */
function used(a: AuthSources, parameter: string): boolean {
  if (a.podIdentity.provider === 'aws') return parameter === 'awsRegion' || (parameter === 'awsRoleArn' && !a.podIdentity.roleArn);
  return parameter in EMPTY_MEANS;
}

const fail = (summary: string, evidence: string[], fix: string, verdict: 'fail' | 'warn' = 'fail'): Finding => ({
  check: C,
  id: ID,
  group: 'KEDA',
  verdict,
  summary,
  evidence,
  fix,
});

/** 20: every reference of the triggers' TriggerAuthentications resolves to what KEDA needs */
export function checkAuthChain(ev: Evidence): Finding[] {
  const scaler = scalerOf(ev);
  if (!readValue(scaler.read)) return [];
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const t of kedaIdentity(ev).triggers) {
    const ref = t.trigger.authRef;
    const ta = readValue(t.authRead);
    // no reference, or one check 1 already fails on: nothing further to follow
    if (!ref || !ta || seen.has(authKey(ref))) continue;
    seen.add(authKey(ref));
    const a = authSources(ev, ref, ta);
    const before = out.length;
    const evidence: string[] = [];
    for (const [i, r] of a.secretTargetRef.entries()) secretRef(ev, a, r, i, out, evidence);
    for (const [i, e] of a.env.entries()) envRef(ev, a, e, i, out, evidence);
    podIdentity(ev, a, out, evidence);
    if (out.length === before)
      out.push(
        ok(
          C,
          ID,
          'KEDA',
          `${a.what}: every reference resolves (${[
            a.secretTargetRef.length && `${a.secretTargetRef.length} secretTargetRef`,
            a.env.length && `${a.env.length} env`,
            a.podIdentity.provider && `podIdentity ${a.podIdentity.provider}`,
          ]
            .filter(Boolean)
            .join(', ')})`,
          evidence,
        ),
      );
  }
  return out;
}

function secretRef(
  ev: Evidence,
  a: AuthSources,
  r: AuthSources['secretTargetRef'][number],
  i: number,
  out: Finding[],
  evidence: string[],
): void {
  const at = `${a.what} secretTargetRef[${i}] (parameter ${r.parameter})`;
  const isUsed = used(a, r.parameter);
  const means = isUsed
    ? (EMPTY_MEANS[r.parameter] ?? 'KEDA resolves it to ""')
    : `KEDA does not read ${r.parameter} with podIdentity provider aws`;
  const verdict = isUsed ? 'fail' : 'warn';
  if (!r.name || !r.key) {
    out.push(
      fail(
        `${at} has no ${r.name ? 'key' : 'name'}: KEDA logs "name, namespace and key are required" and resolves ${r.parameter} to ""; ${means}`,
        [`secretTargetRef[${i}]: ${JSON.stringify(r)}`],
        `set secretTargetRef[${i}].${r.name ? 'key' : 'name'} in ${a.what}`,
        verdict,
      ),
    );
    return;
  }
  const name = `${a.secretNamespace}/${r.name}`;
  const read = ev.secrets?.[name];
  const why = notRead(read, `Secret ${name}`);
  if (why) {
    out.push(skipped(C, ID, 'KEDA', `${why} (named by ${at})`));
    return;
  }
  const secret = readValue(read) as SecretKeys | undefined;
  if (!secret) {
    out.push(
      fail(
        `${at} names Secret ${name}, which does not exist: KEDA logs "error trying to get secret from namespace" and resolves ${r.parameter} to ""; ${means}`,
        [`secretTargetRef[${i}]: ${JSON.stringify(r)}`],
        `${ev.stack ? `kedactl init${ev.stack.flags ? ` ${ev.stack.flags}` : ''} (writes the Secret), or ` : ''}kubectl -n ${a.secretNamespace} create secret generic ${r.name} --from-literal=${r.key}=...`,
        verdict,
      ),
    );
    return;
  }
  const length = secret.keys[r.key];
  evidence.push(`Secret ${name} key ${r.key}: ${length === undefined ? 'absent' : `${length} bytes`}`);
  if (!length) {
    // KEDA's own static TriggerAuthentication names a session token that long-term keys do not have
    if (r.parameter === 'awsSessionToken') return;
    out.push(
      fail(
        `${at}: Secret ${name} has ${length === undefined ? 'no key' : 'an empty key'} ${r.key}, so KEDA resolves ${r.parameter} to ""; ${means}`,
        [`secretTargetRef[${i}]: ${JSON.stringify(r)}`, `Secret ${name} keys: ${Object.keys(secret.keys).join(', ') || '(none)'}`],
        `put ${r.key} in Secret ${name}${ev.stack ? ` (kedactl init${ev.stack.flags ? ` ${ev.stack.flags}` : ''} rewrites it)` : ''}, or correct secretTargetRef[${i}].key`,
        verdict,
      ),
    );
    return;
  }
  // temporary keys stop working when they expire; kedactl records when (the same annotation status reads)
  if (r.parameter === 'awsSessionToken' && secret.expiresAt && ev.readAt && !(Date.parse(secret.expiresAt) > Date.parse(ev.readAt)))
    out.push(
      fail(
        `the temporary AWS credentials in Secret ${name} expired at ${secret.expiresAt}: KEDA's next scaler rebuild reads the queue with them and is refused`,
        [`Secret ${name}: kedactl.io/credentials-expire-at ${secret.expiresAt}`],
        'refresh your credentials ("aws sso login", or assume the role again), then kedactl init, which rewrites the Secret',
      ),
    );
}

function envRef(ev: Evidence, a: AuthSources, e: AuthSources['env'][number], i: number, out: Finding[], evidence: string[]): void {
  const at = `${a.what} env[${i}] (parameter ${e.parameter}, env ${e.name})`;
  const means = EMPTY_MEANS[e.parameter] ?? 'KEDA resolves it to ""';
  const target = `${scalerOf(ev).kind === 'ScaledObject' ? 'the consumer Deployment' : scalerOf(ev).label}'s pod template`;
  if (!workloadObject(ev)) {
    out.push(skipped(C, ID, 'KEDA', `${at}: ${target} was not read`));
    return;
  }
  const c = envContainer(ev, e.containerName);
  if (!c) {
    out.push(
      fail(
        `${at}: ${e.containerName ? `KEDA says "couldn't find container with name ${e.containerName} on Target object"` : 'the target has no container'} and resolves ${e.parameter} to ""; ${means}`,
        [`containers: ${containerNames(ev) || '(none)'}`],
        `set env[${i}].containerName in ${a.what} to one of the target's containers`,
      ),
    );
    return;
  }
  const v = ((c.env ?? []) as Array<Record<string, any>>).find((x) => x.name === e.name);
  if (v?.value) {
    evidence.push(`container ${c.name} env ${e.name}: set`);
    return;
  }
  const skr = v?.valueFrom?.secretKeyRef as { name?: string; key?: string; optional?: boolean } | undefined;
  if (skr?.name && skr.key) {
    const name = `${ev.namespace}/${skr.name}`;
    const why = notRead(ev.secrets?.[name], `Secret ${name}`);
    if (why) return void out.push(skipped(C, ID, 'KEDA', `${why} (named by container ${c.name} env ${e.name})`));
    const secret = readValue(ev.secrets![name]) as SecretKeys | undefined;
    if (secret?.keys[skr.key]) return void evidence.push(`container ${c.name} env ${e.name}: Secret ${name} key ${skr.key}`);
    out.push(
      fail(
        `${at}: container ${c.name} takes ${e.name} from Secret ${name} key ${skr.key}, which ${secret ? 'is absent or empty' : 'does not exist'}: KEDA says "error resolving secret name ... for env ${e.name}" and resolves ${e.parameter} to ""; ${means}`,
        [`container ${c.name} env ${e.name}: ${JSON.stringify(v?.valueFrom)}`],
        `create Secret ${name} with key ${skr.key}, or correct the container's env`,
      ),
    );
    return;
  }
  if (v?.valueFrom) return void evidence.push(`container ${c.name} env ${e.name}: ${Object.keys(v.valueFrom).join(', ')} (not followed)`);
  // not in env: envFrom may bring it (a Secret doctor read, or a ConfigMap it did not)
  for (const f of (c.envFrom ?? []) as Array<Record<string, any>>) {
    const key = e.name.slice(String(f.prefix ?? '').length);
    if (f.prefix && !e.name.startsWith(f.prefix)) continue;
    if (f.configMapRef)
      return void out.push(skipped(C, ID, 'KEDA', `${at}: may come from ConfigMap ${f.configMapRef.name}, which doctor does not read`));
    const secret = f.secretRef?.name
      ? (readValue(ev.secrets?.[`${ev.namespace}/${f.secretRef.name}`]) as SecretKeys | undefined)
      : undefined;
    if (secret?.keys[key]) return void evidence.push(`container ${c.name} env ${e.name}: envFrom Secret ${f.secretRef.name}`);
  }
  out.push(
    fail(
      `${at}: container ${c.name} has no env ${e.name}${v ? ' with a value' : ''}, so KEDA resolves ${e.parameter} to ""; ${means}`,
      [`container ${c.name} env: ${((c.env ?? []) as Array<{ name: string }>).map((x) => x.name).join(', ') || '(none)'}`],
      `add env ${e.name} to container ${c.name}, or correct env[${i}].name in ${a.what}`,
    ),
  );
}

const containerNames = (ev: Evidence) =>
  ((podSpec(workloadObject(ev)).containers ?? []) as Array<{ name: string }>).map((c) => c.name).join(', ');

function podIdentity(ev: Evidence, a: AuthSources, out: Finding[], evidence: string[]): void {
  const pi = a.podIdentity;
  if (pi.provider !== 'aws') return;
  const owner = pi.identityOwner as string | undefined;
  if (owner !== undefined && owner !== 'keda' && owner !== 'workload')
    out.push(
      fail(
        `${a.what} podIdentity.identityOwner "${owner}" is neither keda nor workload: KEDA treats it as keda (its own identity${pi.roleArn ? ` assuming ${pi.roleArn}` : ''})`,
        [`podIdentity: ${JSON.stringify(pi)}`],
        `set podIdentity.identityOwner: keda (or workload, without roleArn) in ${a.what}`,
        'warn',
      ),
    );
  if (pi.externalID && !pi.roleArn)
    out.push(
      fail(
        `${a.what} sets podIdentity.externalID without roleArn: KEDA's webhook refuses it ("externalID of PodIdentity requires roleArn to be set") and its scaler ignores it`,
        [`podIdentity: ${JSON.stringify(pi)}`],
        `set podIdentity.roleArn with externalID in ${a.what}, or remove externalID`,
        'warn',
      ),
    );
  if (owner !== 'workload' || pi.roleArn) return;
  // identityOwner workload: KEDA reads the role from the target's service account (resolveServiceAccountAnnotation, required)
  const sa = workloadServiceAccountName(workloadObject(ev));
  const why = notRead(ev.workloadServiceAccount, `service account ${ev.namespace}/${sa}`);
  if (why) return void out.push(skipped(C, ID, 'KEDA', why));
  const account = readValue(ev.workloadServiceAccount);
  const role = roleAnnotation(ev.workloadServiceAccount);
  if (account && role) return void evidence.push(`service account ${ev.namespace}/${sa}: ${ROLE_ANNOTATION}: ${role}`);
  out.push(
    fail(
      account
        ? `${a.what} uses identityOwner: workload, and service account ${ev.namespace}/${sa} has no ${ROLE_ANNOTATION}: KEDA fails the trigger with "annotation '${ROLE_ANNOTATION}' not found"`
        : `${a.what} uses identityOwner: workload, and the target's service account ${ev.namespace}/${sa} does not exist: KEDA fails the trigger with "error getting service account: '${sa}'"`,
      [`annotations: ${JSON.stringify(account?.metadata.annotations ?? {})}`],
      `kubectl -n ${ev.namespace} annotate serviceaccount ${sa} ${ROLE_ANNOTATION}=<the consumers' role ARN>${account ? '' : ' (after creating it)'}`,
    ),
  );
}
