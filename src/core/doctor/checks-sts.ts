// Check 23: the identity's network path. With pod identity KEDA v2.20/v2.21 calls STS (AssumeRoleWithWebIdentity,
// AssumeRole) through aws-sdk-go-v2 configured with the trigger's awsRegion (pkg/scalers/aws/aws_config_cache.go),
// and that SDK always asks the regional endpoint sts.<region>.amazonaws.com (or AWS_ENDPOINT_URL_STS): the
// service account's eks.amazonaws.com/sts-regional-endpoints annotation, which only the v1 SDKs read, changes
// nothing for KEDA. What does matter is a route from the operator's Pods to that endpoint; KEDA's log says when not.
import { notRead, readValue, type Evidence } from './evidence.js';
import { ok, skipped, type Finding } from './finding.js';
import { kedaIdentity, scalerOf, warningEvents } from './model.js';

const C = 23,
  ID = 'sts-path';
export const STS_REGIONAL = 'eks.amazonaws.com/sts-regional-endpoints';

/** KEDA's STS call failing on the network (not on IAM): the SDK's "operation error STS" with a dial or timeout cause */
export const STS_NETWORK =
  /operation error STS.*?(dial tcp|i\/o timeout|no such host|connection refused|connection reset|context deadline exceeded|TLS handshake timeout|network is unreachable)/i;

const stsHost = (region: string) => `sts.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;

/** 23: the operator can reach STS where KEDA asks it (a warning, from KEDA's own log and events) */
export function checkStsPath(ev: Evidence): Finding[] {
  const id = kedaIdentity(ev);
  const pod = id.triggers.filter((t) => t.auth?.kind === 'pod-identity');
  if (!pod.length) return [];
  if (!readValue(ev.keda.deployment))
    return [skipped(C, ID, 'KEDA', `KEDA's operator is not installed in namespace ${ev.keda.namespace} (see check 12)`)];
  const regions = [...new Set(pod.map((t) => t.trigger.awsRegion).filter((r): r is string => Boolean(r)))];
  const env = ((readValue(ev.keda.pods) ?? [])[0] as Record<string, any> | undefined)?.spec?.containers?.[0]?.env as
    | Array<{ name: string; value?: string }>
    | undefined;
  const override = env?.find((e) => e.name === 'AWS_ENDPOINT_URL_STS' || e.name === 'AWS_ENDPOINT_URL')?.value;
  const where = override ?? (regions.map(stsHost).join(', ') || 'the regional STS endpoint');
  const annotation = readValue(ev.keda.serviceAccount)?.metadata.annotations?.[STS_REGIONAL];
  const evidence = [
    `KEDA asks STS at ${where}${override ? " (the operator's AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL)" : " (aws-sdk-go-v2 with the trigger's awsRegion)"}`,
    `${STS_REGIONAL} on KEDA's service account: ${annotation ?? '(not set)'}${annotation === 'false' ? " (read only by the v1 SDKs; KEDA's v2 SDK asks the regional endpoint anyway)" : ''}`,
  ];
  const said = stsSays(ev);
  if (said.length)
    return [
      {
        check: C,
        id: ID,
        group: 'KEDA',
        verdict: 'warn',
        summary: `KEDA's operator could not reach STS at ${where}: its pod identity cannot get credentials while that lasts`,
        evidence: [...evidence, ...said],
        fix: `give the keda-operator Pods (namespace ${ev.keda.namespace}) a route to ${where}: a NAT gateway, or an STS interface VPC endpoint (com.amazonaws.${regions[0] ?? '<region>'}.sts) with private DNS; check NetworkPolicies and egress rules`,
      },
    ];
  const why = ev.operatorLog
    ? notRead(ev.operatorLog.log, `the log of KEDA's operator pod ${ev.keda.namespace}/${ev.operatorLog.pod}`)
    : "KEDA's operator log was not read";
  if (why) return [skipped(C, ID, 'KEDA', `${why}: whether KEDA reaches STS at ${where} is not known`)];
  return [ok(C, ID, 'KEDA', `KEDA's operator logged no network error reaching STS at ${where}`, evidence)];
}

/** KEDA's Warning events and operator log lines about this scaler whose STS call failed on the network, the cause kept */
function stsSays(ev: Evidence): string[] {
  // the cause sits at the end of a long SDK error: keep from the STS operation on
  const cut = (t: string) => {
    const i = t.search(/operation error STS/);
    const from = i > 0 ? t.slice(i) : t;
    const lead = i > 0 ? '…' : '';
    // the SDK's retries make the message long: keep the operation and, if far from it, the network cause
    const cause = from.search(
      /dial tcp|i\/o timeout|no such host|connection refused|connection reset|context deadline exceeded|TLS handshake timeout|network is unreachable/i,
    );
    if (cause < 0 || cause < 300) return `${lead}${from.slice(0, 400)}`;
    return `${lead}${from.slice(0, 160)} … ${from.slice(Math.max(0, cause - 80), cause + 160)}`;
  };
  const events = warningEvents(ev)
    .filter((e) => STS_NETWORK.test(String(e.message ?? '')))
    .slice(0, 1)
    .map((e) => `KEDA's Warning event ${e.reason} (x${e.count ?? 1}): ${cut(String(e.message))}`);
  const log = readValue(ev.operatorLog?.log) ?? '';
  const line = log
    .split('\n')
    .reverse()
    .find((l) => l.includes(scalerOf(ev).name) && l.includes(ev.namespace) && STS_NETWORK.test(l));
  return [...events, ...(line ? [`KEDA's operator log (${ev.operatorLog!.pod}): ${cut(line)}`] : [])];
}
