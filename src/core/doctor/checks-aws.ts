// The AWS checks (2, 3, 5, 6, 7, 8): pure functions of the evidence.
import { notRead, readValue, type Evidence, type RoleEvidence } from './evidence.js';
import { json, ok, skipped, type Finding } from './finding.js';
import {
  containerEnv,
  duration,
  kedaIdentity,
  kedaSays,
  operatorServiceAccount,
  regionOfQueueUrl,
  roleName,
  scalerOf,
  subject,
  workloadObject,
  workloadServiceAccountName,
  type KedaIdentity,
} from './model.js';
import { allows, trustsRole, webIdentityTrust } from './policy.js';
import { federatedPrincipals } from '../aws/validate-iam.js';
import { authFailing } from './checks-keda.js';

/** the cluster's IAM OIDC provider ARN, when the issuer is known */
export function clusterProvider(ev: Evidence, id: KedaIdentity): string | undefined {
  if (!ev.oidcIssuer) return undefined;
  const arn = id.operatorRole ?? id.workloadRole ?? Object.keys(ev.roles)[0];
  if (!arn) return undefined;
  const [, partition, , , account] = arn.split(':');
  return `arn:${partition}:iam::${account}:oidc-provider/${ev.oidcIssuer.url.replace(/^https:\/\//, '')}`;
}

const isStackRole = (ev: Evidence, arn: string) => Boolean(ev.stack && Object.values(ev.stack.roles).includes(roleName(arn)));
const initFix = (ev: Evidence, what: string) =>
  ev.stack ? `kedactl init${ev.stack.flags ? ` ${ev.stack.flags}` : ''} (${what}), or ` : '';

/** 2: the OIDC provider the web-identity roles name exists, with sts.amazonaws.com among its client ids */
export function checkOidcProvider(ev: Evidence): Finding[] {
  const C = 2,
    ID = 'oidc-provider';
  const id = kedaIdentity(ev);
  if (ev.awsUnavailable) return [skipped(C, ID, 'AWS', `AWS not read: ${ev.awsUnavailable}`)];
  const irsaRoles = [id.operatorRole, id.workloadRole].filter((x): x is string => Boolean(x));
  if (irsaRoles.length === 0) return [skipped(C, ID, 'AWS', 'no service account here names an IAM role (IRSA is not in use)')];
  const expected = clusterProvider(ev, id);
  const arns = new Set<string>(expected ? [expected] : []);
  if (!expected)
    for (const r of irsaRoles)
      for (const f of federatedPrincipals(readValue(ev.roles[r])?.trust ?? { Version: '', Statement: [] })) arns.add(f);
  if (arns.size === 0)
    return [
      skipped(C, ID, 'AWS', "the cluster's OIDC issuer is unknown and no role names a provider: pass --cluster (EKS) or --oidc-issuer"),
    ];
  return [...arns].map((arn) => {
    const r = ev.oidcProviders[arn];
    const why = notRead(r, `IAM OIDC provider ${arn}`);
    if (why) return skipped(C, ID, 'AWS', why);
    const p = readValue(r);
    const issuer = `https://${arn.split(':oidc-provider/')[1]}`;
    const evidence = [`provider ARN: ${arn}`, ...(ev.oidcIssuer ? [`cluster's issuer (${ev.oidcIssuer.from}): ${ev.oidcIssuer.url}`] : [])];
    if (!p)
      return {
        check: C,
        id: ID,
        group: 'AWS',
        verdict: 'fail',
        summary: `the IAM OIDC provider for ${issuer} does not exist: no IRSA role (KEDA's, the Jobs') can be assumed`,
        evidence,
        fix: `${ev.stack ? `kedactl init --create-oidc-provider${ev.stack.flags ? ` ${ev.stack.flags}` : ''}, or ` : ''}aws iam create-open-id-connect-provider --url ${issuer} --client-id-list sts.amazonaws.com (EKS: eksctl utils associate-iam-oidc-provider --cluster <cluster> --approve)`,
      } satisfies Finding;
    if (!p.clientIds.includes('sts.amazonaws.com'))
      return {
        check: C,
        id: ID,
        group: 'AWS',
        verdict: 'fail',
        summary: `the IAM OIDC provider for ${issuer} does not list sts.amazonaws.com among its client ids: STS refuses the service accounts' tokens`,
        evidence: [...evidence, `client ids: ${p.clientIds.join(', ') || '(none)'}`],
        fix: `aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn ${arn} --client-id sts.amazonaws.com`,
      } satisfies Finding;
    return ok(C, ID, 'AWS', `IAM OIDC provider ${issuer.replace('https://', '')} exists with client id sts.amazonaws.com`, evidence);
  });
}

function webIdentityStatement(provider: string, sub: string): unknown {
  const host = provider.split(':oidc-provider/')[1] ?? '<issuer-host>';
  return {
    Effect: 'Allow',
    Principal: { Federated: provider },
    Action: 'sts:AssumeRoleWithWebIdentity',
    Condition: { StringEquals: { [`${host}:sub`]: sub, [`${host}:aud`]: 'sts.amazonaws.com' } },
  };
}

/** 3: each web-identity role's trust names this cluster's provider, the exact service account, and the audience */
export function checkTrustPolicies(ev: Evidence): Finding[] {
  const C = 3,
    ID = 'trust-policy';
  if (ev.awsUnavailable) return [skipped(C, ID, 'AWS', `AWS not read: ${ev.awsUnavailable}`)];
  const id = kedaIdentity(ev);
  const expected = clusterProvider(ev, id);
  const bindings: Array<{ who: string; role?: string; sub: string; unread?: string }> = [
    {
      who: "KEDA's operator",
      role: id.operatorRole,
      sub: subject(ev.keda.namespace, operatorServiceAccount(ev)),
      unread: notRead(ev.keda.serviceAccount, `service account ${ev.keda.namespace}/${operatorServiceAccount(ev)}`),
    },
    {
      who: 'the Jobs',
      role: id.workloadRole,
      sub: subject(ev.namespace, workloadServiceAccountName(workloadObject(ev))),
      unread: notRead(ev.workloadServiceAccount, "the Jobs' service account"),
    },
  ];
  const out: Finding[] = [];
  for (const b of bindings) {
    if (!b.role) {
      // no role: check 4 (the operator) or the permissions check (the Jobs) says what that means
      if (b.unread && !(b.who === "KEDA's operator" && !readValue(ev.keda.deployment)))
        out.push(skipped(C, ID, 'AWS', `${b.who}' role: ${b.unread}`.replace("operator'", "operator's")));
      continue;
    }
    const why = notRead(ev.roles[b.role], `IAM role ${roleName(b.role)}`);
    if (why) {
      out.push(skipped(C, ID, 'AWS', why));
      continue;
    }
    const role = readValue(ev.roles[b.role]);
    const label = `trust policy of ${roleName(b.role)} (${b.who})`;
    if (!role) {
      out.push({
        check: C,
        id: ID,
        group: 'AWS',
        verdict: 'fail',
        summary: `IAM role ${roleName(b.role)}, which ${b.who} run as, does not exist`,
        evidence: [`service account annotation eks.amazonaws.com/role-arn: ${b.role}`],
        fix: `${initFix(ev, "creates the stack's roles")}create the role, or correct the service account's eks.amazonaws.com/role-arn annotation`,
      });
      continue;
    }
    const m = webIdentityTrust(role.trust, b.sub, expected);
    const provider = expected ?? federatedPrincipals(role.trust)[0] ?? '<oidc-provider-arn>';
    const evidence = [
      `expected subject: ${b.sub}`,
      ...(expected
        ? [`this cluster's provider: ${expected}`]
        : ["this cluster's OIDC issuer is unknown (pass --cluster or --oidc-issuer): the provider the role names was not compared"]),
      `trust policy: ${JSON.stringify(role.trust)}`,
    ];
    const fixJson = `${initFix(ev, 'restores the trust policy')}put this statement in the trust policy of ${role.name} (aws iam update-assume-role-policy --role-name ${role.name} --policy-document file://trust.json):\n${json(webIdentityStatement(provider, b.sub))}`;
    if (!m.admits)
      out.push({
        check: C,
        id: ID,
        group: 'AWS',
        verdict: 'fail',
        summary: `${label} does not let ${b.sub} assume it: ${m.problems.join('; ')}`,
        evidence,
        fix: fixJson,
      });
    else if (m.audNotPinned || m.subWildcard)
      out.push({
        check: C,
        id: ID,
        group: 'AWS',
        verdict: 'warn',
        summary: `${label} is wider than it needs to be: ${[m.subWildcard ? ':sub is not pinned to exactly this service account' : '', m.audNotPinned ? ':aud is not pinned to sts.amazonaws.com' : ''].filter(Boolean).join('; ')}`,
        evidence,
        fix: fixJson,
      });
    else
      out.push(
        ok(
          C,
          ID,
          'AWS',
          `${label} admits exactly ${b.sub} through ${provider.split('/').pop()} with audience sts.amazonaws.com`,
          evidence.slice(0, 2),
        ),
      );
  }
  return out;
}

const roleOf = (ev: Evidence, arn: string): RoleEvidence | undefined => readValue(ev.roles[arn]);

/** 5: KEDA can get from its own role to the role its TriggerAuthentication names */
export function checkAssumeChain(ev: Evidence): Finding[] {
  const C = 5,
    ID = 'assume-chain';
  if (ev.awsUnavailable) return [skipped(C, ID, 'AWS', `AWS not read: ${ev.awsUnavailable}`)];
  const id = kedaIdentity(ev);
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const t of id.triggers) {
    if (t.auth?.kind !== 'pod-identity' || authFailing(t)) continue;
    const target = t.readsAs;
    if (!target || target === id.operatorRole || seen.has(target)) continue;
    seen.add(target);
    const why = notRead(ev.roles[target], `IAM role ${roleName(target)}`);
    if (why) {
      out.push(skipped(C, ID, 'AWS', why));
      continue;
    }
    const role = roleOf(ev, target);
    if (!role) {
      out.push({
        check: C,
        id: ID,
        group: 'AWS',
        verdict: 'fail',
        summary: `IAM role ${roleName(target)}, which KEDA is told to assume, does not exist`,
        evidence: [`TriggerAuthentication ${t.trigger.authRef?.name}: role ${target}`],
        fix: `${initFix(ev, "creates the stack's roles")}create the role, or correct roleArn in the TriggerAuthentication`,
      });
      continue;
    }
    // KEDA tries its web identity on the role first, then sts:AssumeRole with its own credentials
    const expected = clusterProvider(ev, id);
    const kedaSub = subject(ev.keda.namespace, operatorServiceAccount(ev));
    if (webIdentityTrust(role.trust, kedaSub, expected).admits) {
      out.push(ok(C, ID, 'AWS', `KEDA assumes ${role.name} directly with its web identity (${kedaSub})`));
      continue;
    }
    if (!id.operatorRole) {
      const saRead = ev.keda.serviceAccount?.state === 'read';
      out.push(
        skipped(
          C,
          ID,
          'AWS',
          `KEDA's own role is unknown (its service account ${saRead ? 'names none' : 'could not be read'}, see check 4), so whether it may assume ${role.name} cannot be told`,
        ),
      );
      continue;
    }
    const opWhy = notRead(ev.roles[id.operatorRole], `IAM role ${roleName(id.operatorRole)}`);
    const op = roleOf(ev, id.operatorRole);
    if (opWhy || !op) {
      out.push(skipped(C, ID, 'AWS', opWhy ?? `KEDA's role ${roleName(id.operatorRole)} does not exist (see check 3)`));
      continue;
    }
    const may = allows(op.policies, 'sts:AssumeRole', role.arn);
    const trusted = trustsRole(role.trust, op.arn);
    const problems: string[] = [];
    const fixes: string[] = [];
    if (!may.allowed) {
      if (op.unreadPolicies.length) {
        out.push(
          skipped(
            C,
            ID,
            'AWS',
            `could not read every policy of ${op.name} (${op.unreadPolicies.join(', ')}) to tell whether it may sts:AssumeRole ${role.name}`,
          ),
        );
        continue;
      }
      problems.push(`${op.name}'s policies do not allow sts:AssumeRole on ${role.arn}`);
      fixes.push(
        `allow it in ${op.name} (aws iam put-role-policy --role-name ${op.name} --policy-name assume-${role.name} --policy-document file://p.json):\n${json({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: role.arn }] })}`,
      );
    }
    if (!trusted.allowed) {
      problems.push(`${role.name}'s trust policy does not name ${op.arn}`);
      fixes.push(
        `add to the trust policy of ${role.name} (aws iam update-assume-role-policy --role-name ${role.name} --policy-document file://trust.json):\n${json({ Effect: 'Allow', Principal: { AWS: op.arn }, Action: 'sts:AssumeRole' })}`,
      );
    }
    const evidence = [
      `KEDA's role (service account ${ev.keda.namespace}/${operatorServiceAccount(ev)}): ${op.arn}`,
      `role in TriggerAuthentication ${t.trigger.authRef?.name}: ${role.arn}`,
      ...(may.by ? [`${op.name} allows it by ${may.by}`] : []),
      `trust policy of ${role.name}: ${JSON.stringify(role.trust)}`,
    ];
    if (problems.length)
      out.push({
        check: C,
        id: ID,
        group: 'AWS',
        verdict: 'fail',
        summary: `KEDA cannot assume ${role.name}: ${problems.join('; ')}`,
        evidence: [...evidence, ...kedaSays(ev, DENIED_ASSUME)],
        fix: `${initFix(ev, 'restores both')}${fixes.join('\n')}`,
      });
    else out.push(ok(C, ID, 'AWS', `${op.name} may sts:AssumeRole ${role.name}, and ${role.name} trusts it`, evidence.slice(0, 2)));
  }
  return out;
}

/** how KEDA's error reads when AWS refused it (moto answers in XML where the JSON protocol expects JSON: only the 403 shows) */
const DENIED_ASSUME =
  /AssumeRole.*(AccessDenied|not authorized|StatusCode: 403)|(AccessDenied|not authorized|StatusCode: 403).*AssumeRole/is;
const DENIED_READ =
  /GetQueueAttributes.*(AccessDenied|not authorized|StatusCode: 403)|(AccessDenied|not authorized|StatusCode: 403).*GetQueueAttributes/is;

const CONSUMER_ACTIONS = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'];

/** 6: the role KEDA reads the queue with may GetQueueAttributes; the Jobs' role may receive / delete / change visibility */
export function checkPermissions(ev: Evidence): Finding[] {
  const C = 6,
    ID = 'permissions';
  if (ev.awsUnavailable) return [skipped(C, ID, 'AWS', `AWS not read: ${ev.awsUnavailable}`)];
  const id = kedaIdentity(ev);
  const out: Finding[] = [];
  const judge = (who: string, roleArn: string, queueArn: string, actions: string[]) => {
    const why = notRead(ev.roles[roleArn], `IAM role ${roleName(roleArn)}`);
    const role = roleOf(ev, roleArn);
    if (why || !role)
      return out.push(skipped(C, ID, 'AWS', why ?? `${who}'s role ${roleName(roleArn)} does not exist (see checks 3 and 5)`));
    const missing = actions.filter((a) => !allows(role.policies, a, queueArn).allowed);
    const evidence = [
      `${who} uses ${role.arn}`,
      `queue: ${queueArn}`,
      `policies read: ${Object.keys(role.policies).join(', ') || '(none)'}`,
    ];
    if (missing.length && role.unreadPolicies.length)
      return out.push(skipped(C, ID, 'AWS', `could not read every policy of ${role.name} (${role.unreadPolicies.join(', ')})`));
    if (missing.length)
      return out.push({
        check: C,
        id: ID,
        group: 'AWS',
        verdict: 'fail',
        summary: `${who} cannot ${missing.join(', ')} on ${queueArn.split(':').pop()}: ${role.name}'s policies do not allow it`,
        evidence: who === 'KEDA' ? [...evidence, ...kedaSays(ev, DENIED_READ)] : evidence,
        fix: `${isStackRole(ev, roleArn) ? initFix(ev, "restores the role's policy") : ''}allow it in ${role.name} (aws iam put-role-policy --role-name ${role.name} --policy-name sqs --policy-document file://p.json):\n${json({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: missing.length === 1 ? missing[0] : missing, Resource: queueArn }] })}`,
      });
    out.push(ok(C, ID, 'AWS', `${who} (${role.name}) may ${actions.join(', ')} on ${queueArn.split(':').pop()}`, evidence));
  };
  id.triggers.forEach((t, i) => {
    const q = ev.queues.find((x) => x.url === t.trigger.queueURL) ?? ev.queues[i];
    const queueArn = readValue(q?.attributes)?.QueueArn;
    if (!queueArn) {
      out.push(skipped(C, ID, 'AWS', `the queue ${t.trigger.queueURL ?? ''} was not found or not read (see check 7)`));
      return;
    }
    if (t.auth?.kind === 'keys')
      out.push(
        skipped(
          C,
          ID,
          'AWS',
          `KEDA reads the queue with access keys from Secret ${t.auth.secrets.join(', ')}, whose identity doctor does not look up`,
        ),
      );
    else if (t.auth?.kind === 'pod-identity' && !authFailing(t)) {
      if (t.readsAs) judge('KEDA', t.readsAs, queueArn, ['sqs:GetQueueAttributes']);
      else out.push(skipped(C, ID, 'AWS', 'KEDA reads the queue as its own role, which its service account does not name (see check 4)'));
    } else out.push(skipped(C, ID, 'AWS', "KEDA's authentication for this trigger does not work yet (see check 1)"));
    if (i > 0) return;
    if (id.workloadRole) judge('the Jobs', id.workloadRole, queueArn, CONSUMER_ACTIONS);
    else
      out.push(
        skipped(
          C,
          ID,
          'AWS',
          `the Jobs' service account ${workloadServiceAccountName(workloadObject(ev))} names no IAM role (they use other credentials)`,
        ),
      );
  });
  return out;
}

/** 7: awsRegion is set and agrees with the queue URL; the queue exists where KEDA asks */
export function checkQueue(ev: Evidence): Finding[] {
  const C = 7,
    ID = 'queue';
  const id = kedaIdentity(ev);
  const out: Finding[] = [];
  for (const t of id.triggers) {
    const at = `triggers[${t.trigger.index}].metadata`;
    const url = t.trigger.queueURL;
    if (!url) {
      out.push(
        t.trigger.metadata.queueURLFromEnv
          ? skipped(
              C,
              ID,
              'AWS',
              `the queue URL comes from the Jobs' env ${t.trigger.metadata.queueURLFromEnv}, which doctor does not resolve`,
            )
          : {
              check: C,
              id: ID,
              group: 'AWS',
              verdict: 'fail',
              summary: `the aws-sqs-queue trigger has no queueURL`,
              evidence: [],
              fix: `set ${at}.queueURL in the ScaledJob`,
            },
      );
      continue;
    }
    const region = t.trigger.awsRegion;
    const urlRegion = regionOfQueueUrl(url);
    const evidence = [`${at}.queueURL: ${url}`, `${at}.awsRegion: ${region ?? '(not set)'}`];
    if (!region) {
      out.push({
        check: C,
        id: ID,
        group: 'AWS',
        verdict: 'fail',
        summary: 'the aws-sqs-queue trigger has no awsRegion (KEDA requires it)',
        evidence,
        fix: `${ev.stack ? initFix(ev, 'restores the trigger') : ''}set ${at}.awsRegion: ${urlRegion ?? ev.region ?? '<region>'}`,
      });
      continue;
    }
    if (urlRegion && urlRegion !== region) {
      out.push({
        check: C,
        id: ID,
        group: 'AWS',
        verdict: 'fail',
        summary: `awsRegion ${region} is not the queue URL's region ${urlRegion}: KEDA asks SQS in ${region}, where this queue is not`,
        evidence,
        fix: `${initFix(ev, 'restores the trigger')}set ${at}.awsRegion: ${urlRegion}`,
      });
      continue;
    }
    if (ev.awsUnavailable) {
      out.push(skipped(C, ID, 'AWS', `AWS not read: ${ev.awsUnavailable}`));
      continue;
    }
    const q = ev.queues.find((x) => x.url === url);
    const why = notRead(q?.attributes, `SQS queue ${url}`);
    if (why) {
      out.push(skipped(C, ID, 'AWS', why));
      continue;
    }
    if (!readValue(q!.attributes)) {
      out.push(
        q!.foundIn
          ? {
              check: C,
              id: ID,
              group: 'AWS',
              verdict: 'fail',
              summary: `the queue is not in ${region} (the trigger's awsRegion, where KEDA asks) but in ${q!.foundIn}`,
              evidence: [...evidence, `found with GetQueueAttributes in ${q!.foundIn}`],
              fix: `${initFix(ev, `restores awsRegion: ${q!.foundIn}`)}set ${at}.awsRegion: ${q!.foundIn}`,
            }
          : {
              check: C,
              id: ID,
              group: 'AWS',
              verdict: 'fail',
              summary: `the queue ${url.split('/').pop()} does not exist in ${region}`,
              evidence,
              fix: `${initFix(ev, 'creates it')}create the queue (aws sqs create-queue --queue-name ${url.split('/').pop()} --region ${region}) or correct ${at}.queueURL`,
            },
      );
      continue;
    }
    out.push(ok(C, ID, 'AWS', `queue ${url.split('/').pop()} exists in ${region}, the trigger's awsRegion`, evidence));
  }
  return out;
}

/** 8: the visibility timeout outlasts the processing time; no messages wait in the dead-letter queue */
export function checkVisibility(ev: Evidence): Finding[] {
  const C = 8,
    ID = 'visibility';
  const out: Finding[] = [];
  const sj = workloadObject(ev);
  const envProcessing = containerEnv(sj, 'PROCESSING_SECONDS');
  const processing = envProcessing !== undefined ? Number(envProcessing) : ev.stack?.processingTime;
  const from = envProcessing !== undefined ? "the Jobs' env PROCESSING_SECONDS" : "the stack's processingTime setting";
  for (const q of ev.queues) {
    const attrs = readValue(q.attributes);
    if (!attrs) continue; // check 7 says why
    const name = q.url.split('/').pop();
    if (processing === undefined || !Number.isFinite(processing))
      out.push(
        skipped(
          C,
          ID,
          'AWS',
          `the processing time is not known (no PROCESSING_SECONDS in the Jobs' env; pass the stack's settings) to compare with ${name}'s visibility timeout (${attrs.VisibilityTimeout}s)`,
        ),
      );
    else {
      const queueTimeout = Number(attrs.VisibilityTimeout);
      const envTimeout = containerEnv(sj, 'VISIBILITY_TIMEOUT');
      const evidence = [
        `processing time: ${processing}s (${from})`,
        `queue ${name} VisibilityTimeout: ${queueTimeout}s`,
        ...(envTimeout !== undefined ? [`the Jobs' env VISIBILITY_TIMEOUT (used on receive): ${envTimeout}s`] : []),
      ];
      const want = ev.stack && ev.stack.visibilityTimeout > processing ? ev.stack.visibilityTimeout : processing + 60;
      const short = [
        queueTimeout <= processing ? `the queue's VisibilityTimeout (${queueTimeout}s)` : '',
        envTimeout !== undefined && Number(envTimeout) <= processing ? `the Jobs' VISIBILITY_TIMEOUT (${envTimeout}s)` : '',
      ].filter(Boolean);
      if (short.length)
        out.push({
          check: C,
          id: ID,
          group: 'AWS',
          verdict: 'fail',
          summary: `${short.join(' and ')} ${short.length > 1 ? 'are' : 'is'} not longer than the processing time (${processing}s): a message becomes visible again while a Job still works on it and is processed twice`,
          evidence,
          fix: ev.stack
            ? `kedactl init --visibility-timeout ${want}${ev.stack.flags ? ` ${ev.stack.flags}` : ''}, or aws sqs set-queue-attributes --queue-url ${q.url} --attributes VisibilityTimeout=${want}`
            : `aws sqs set-queue-attributes --queue-url ${q.url} --attributes VisibilityTimeout=${want}${envTimeout !== undefined ? `, and set VISIBILITY_TIMEOUT: "${want}" in the ScaledJob's container env` : ''}`,
        });
      else
        out.push(
          ok(C, ID, 'AWS', `visibility timeout ${envTimeout ?? queueTimeout}s outlasts the processing time ${processing}s`, evidence),
        );
    }
    out.push(...retention(ev, q, attrs, processing));
    if (q.deadLetter) {
      const dlq = q.deadLetter;
      const why = notRead(dlq.attributes, `dead-letter queue ${dlq.arn}`);
      const waiting = Number(readValue(dlq.attributes)?.ApproximateNumberOfMessages ?? 0);
      if (why) out.push(skipped(C, ID, 'AWS', why));
      else if (!readValue(dlq.attributes))
        out.push({
          check: C,
          id: ID,
          group: 'AWS',
          verdict: 'fail',
          summary: `the dead-letter queue ${dlq.arn} named by ${name}'s RedrivePolicy does not exist`,
          evidence: [`RedrivePolicy: ${attrs.RedrivePolicy}`],
          fix: `${initFix(ev, 'creates it')}create it, or remove the RedrivePolicy`,
        });
      else if (Number(readValue(dlq.attributes)?.MessageRetentionPeriod) <= Number(attrs.MessageRetentionPeriod))
        out.push({
          check: C,
          id: ID,
          group: 'AWS',
          verdict: 'warn',
          summary: `the dead-letter queue ${dlq.arn.split(':').pop()} keeps messages ${duration(Number(readValue(dlq.attributes)!.MessageRetentionPeriod))}, not longer than ${name} (${duration(Number(attrs.MessageRetentionPeriod))}): a message keeps its first enqueue time when it moves, so it can expire there at once`,
          evidence: [
            `${name} MessageRetentionPeriod: ${attrs.MessageRetentionPeriod}s`,
            `${dlq.arn.split(':').pop()} MessageRetentionPeriod: ${readValue(dlq.attributes)!.MessageRetentionPeriod}s`,
          ],
          fix: `aws sqs set-queue-attributes --queue-url ${dlq.url} --attributes MessageRetentionPeriod=1209600 (14 days, the most SQS keeps)`,
        });
      else if (waiting > 0)
        out.push({
          check: C,
          id: ID,
          group: 'AWS',
          verdict: 'warn',
          summary: `${waiting} message(s) wait in the dead-letter queue ${dlq.arn.split(':').pop()}: Jobs failed on them maxReceiveCount times`,
          evidence: [`RedrivePolicy: ${attrs.RedrivePolicy}`],
          fix: `look at them (aws sqs receive-message --queue-url ${dlq.url} --max-number-of-messages 10), fix the cause (check 10), then move them back: aws sqs start-message-move-task --source-arn ${dlq.arn}`,
        });
      else out.push(ok(C, ID, 'AWS', `the dead-letter queue ${dlq.arn.split(':').pop()} is empty`));
    }
  }
  return out;
}

/**
 * 8: messages older than the retention period are deleted unprocessed. SQS itself does not say how old the
 * oldest message is (that is CloudWatch's ApproximateAgeOfOldestMessage, which doctor does not read); what
 * it does say is the backlog and the retention period, so doctor judges whether the backlog can be taken
 * before it expires: at best maxReplicaCount Jobs at a time, one message each, processingTime each.
 */
function retention(ev: Evidence, q: Evidence['queues'][number], attrs: Record<string, string>, processing: number | undefined): Finding[] {
  const C = 8,
    ID = 'retention';
  const name = q.url.split('/').pop();
  const keep = Number(attrs.MessageRetentionPeriod);
  const visible = Number(attrs.ApproximateNumberOfMessages ?? 0);
  if (!Number.isFinite(keep) || !keep) return [];
  const sj = readValue(scalerOf(ev).read) as Record<string, any> | undefined;
  const max = Number(sj?.spec?.maxReplicaCount ?? 100);
  const note = "the oldest message's age is CloudWatch's ApproximateAgeOfOldestMessage, which doctor does not read";
  if (processing === undefined || !Number.isFinite(processing) || !(max > 0)) return [];
  const drain = Math.ceil(visible / max) * processing;
  const evidence = [
    `${name}: ${visible} message(s) visible, MessageRetentionPeriod ${keep}s (${duration(keep)})`,
    `maxReplicaCount ${max}, processing time ${processing}s: the backlog takes at least ${duration(drain)}`,
    note,
  ];
  if (drain > keep) {
    const want = Math.ceil(visible / Math.max(1, Math.floor(keep / processing)));
    return [
      {
        check: C,
        id: ID,
        group: 'AWS',
        verdict: 'warn',
        summary: `${visible} message(s) wait in ${name}; at most ${max} Jobs of ${processing}s take them in ${duration(drain)} at best, longer than the queue keeps a message (${duration(keep)}): the last ones are deleted unprocessed`,
        evidence,
        fix: `${ev.stack ? `kedactl init --max-replicas ${Math.min(1000, want)}${ev.stack.flags ? ` ${ev.stack.flags}` : ''} (more Jobs at once), or ` : `raise spec.maxReplicaCount to ${want}, or `}aws sqs set-queue-attributes --queue-url ${q.url} --attributes MessageRetentionPeriod=${Math.min(1209600, Math.max(drain * 2, keep))}`,
      },
    ];
  }
  return [ok(C, ID, 'AWS', `the backlog of ${name} (${visible}) can be taken within its retention period (${duration(keep)})`, evidence)];
}
