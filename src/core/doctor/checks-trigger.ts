// Check 21: each aws-sqs-queue trigger as KEDA's SQS scaler parses it (v2.20/v2.21
// pkg/scalers/aws_sqs_queue_scaler.go parseAwsSqsQueueMetadata, its typed config), against the stack: the queue
// URL's form, the account and queue it names, awsEndpoint, queueLength / activationQueueLength and the two
// booleans. Check 7 judges awsRegion and whether the queue exists; this one what KEDA rejects or asks elsewhere.
import { readValue, type Evidence } from './evidence.js';
import { ok, type Finding } from './finding.js';
import { kedaIdentity, scalerOf } from './model.js';

const C = 21,
  ID = 'trigger';

/** Go's strconv.ParseBool, which KEDA's typed config uses */
const GO_BOOL = new Set(['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False']);
/** an int64 as KEDA's typed config reads it (JSON number, no fraction) */
const isInt = (v: string) => /^-?\d+$/.test(v.trim());

/** Go's url.ParseRequestURI: an absolute URL, or an absolute path */
function requestUri(v: string): URL | undefined {
  if (v.startsWith('/')) return new URL(v, 'http://x');
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(v)) return undefined;
  try {
    return new URL(v);
  } catch {
    return undefined;
  }
}

/** the account of a role or queue ARN */
const accountOf = (arn: string | undefined) => arn?.split(':')[4] || undefined;

/** 21: every aws-sqs-queue trigger parses as KEDA parses it, and points at the stack's queue */
export function checkTrigger(ev: Evidence): Finding[] {
  const scaler = scalerOf(ev);
  if (!readValue(scaler.read)) return [];
  const out: Finding[] = [];
  const init = ev.stack ? `kedactl init${ev.stack.flags ? ` ${ev.stack.flags}` : ''} (restores the trigger), or ` : '';
  for (const t of kedaIdentity(ev).triggers) {
    const md = t.trigger.metadata;
    const at = `triggers[${t.trigger.index}].metadata`;
    const before = out.length;
    const fail = (summary: string, evidence: string[], fix: string, verdict: 'fail' | 'warn' = 'fail') =>
      out.push({ check: C, id: ID, group: 'AWS', verdict, summary: `${at}: ${summary}`, evidence, fix: `${init}${fix}` });
    const parseError = (param: string, v: string) =>
      `KEDA fails the trigger with "error parsing SQS queue metadata: unable to set param \\"${param}\\" value \\"${v}\\""`;

    // the numbers and booleans: KEDA's typed config refuses what it cannot parse
    for (const param of ['queueLength', 'activationQueueLength']) {
      const v = md[param];
      if (v === undefined) continue;
      if (!isInt(v))
        fail(
          `${param} "${v}" is not a whole number: ${parseError(param, v)}`,
          [`${at}.${param}: "${v}"`],
          `set ${at}.${param} to a whole number`,
        );
    }
    const target = md.queueLength !== undefined && isInt(md.queueLength) ? Number(md.queueLength) : 5;
    const activation = md.activationQueueLength !== undefined && isInt(md.activationQueueLength) ? Number(md.activationQueueLength) : 0;
    if (target <= 0)
      fail(
        `queueLength ${target}: ${
          scalerOf(ev).kind === 'ScaledJob'
            ? 'KEDA skips dividing the queue by a target of 0 and computes 0 Jobs: it never scales on this trigger'
            : 'the HPA KEDA makes gets averageValue 0, which the API server refuses ("must be positive")'
        }`,
        [`${at}.queueLength: "${md.queueLength}"`],
        `set ${at}.queueLength to the messages one replica takes (1 for one Job per message)`,
      );
    if (activation < 0)
      fail(
        `activationQueueLength ${activation}: KEDA is active while the queue holds more than ${activation} messages, that is always, so it never scales to zero`,
        [`${at}.activationQueueLength: "${md.activationQueueLength}"`],
        `set ${at}.activationQueueLength: "0"`,
        'warn',
      );
    for (const param of ['scaleOnInFlight', 'scaleOnDelayed']) {
      const v = md[param];
      if (v !== undefined && !GO_BOOL.has(v))
        fail(
          `${param} "${v}" is not a boolean KEDA reads: it fails the trigger with "error parsing SQS queue metadata: unable to parse boolean value \\"${v}\\""`,
          [`${at}.${param}: "${v}"`],
          `set ${at}.${param}: "true" or "false"`,
        );
    }

    // the queue URL: its form, the queue and account it names
    const url = t.trigger.queueURL;
    const evidence = [`${at}.queueURL: ${url ?? '(not set)'}`];
    if (url) {
      const u = requestUri(url);
      const parts = u?.pathname.split('/');
      if (!u)
        fail(
          `queueURL "${url}" is not a URL: KEDA takes it as a queue name and passes it to GetQueueAttributes as the QueueUrl`,
          evidence,
          `set ${at}.queueURL to the queue's URL (aws sqs get-queue-url --queue-name ${url})`,
          'warn',
        );
      else if (parts!.length !== 3 || !parts![2])
        fail(
          `queueURL's path "${u.pathname}" is not /<account>/<queue>: KEDA fails the trigger with "error parsing SQS queue metadata: cannot get queueName from queueURL"`,
          evidence,
          `set ${at}.queueURL to https://sqs.<region>.amazonaws.com/<account>/<queue>`,
        );
      else {
        const [, account, name] = parts as [string, string, string];
        const want = ev.stack?.queueName;
        if (want && name !== want)
          fail(
            `queueURL names queue ${name}, not this stack's queue ${want}: KEDA scales on another queue's length`,
            [...evidence, `stack ${ev.stack!.stack}'s queue: ${want}`],
            `set ${at}.queueURL to the URL of ${want}`,
          );
        const queueArn = readValue(ev.queues.find((q) => q.url === url)?.attributes)?.QueueArn;
        if (accountOf(queueArn) && accountOf(queueArn) !== account)
          fail(
            `queueURL names account ${account}, but the queue there is ${queueArn}`,
            [...evidence, `QueueArn: ${queueArn}`],
            `set ${at}.queueURL to the queue's own URL`,
          );
        // KEDA's credentials in another account: only the queue's own policy can let them in, which check 6 does not read
        const credentials = accountOf(t.readsAs);
        if (credentials && credentials !== account && /^\d{12}$/.test(account))
          fail(
            `queueURL is in account ${account}, KEDA's credentials (${t.readsAs}) in account ${credentials}: GetQueueAttributes across accounts needs the queue's policy to allow that role`,
            [...evidence, `KEDA reads as ${t.readsAs}`],
            `allow ${t.readsAs} sqs:GetQueueAttributes in the queue's policy, or use a role in account ${account}`,
            'warn',
          );
      }
    }

    // awsEndpoint: KEDA asks that host instead of SQS's regional endpoint
    const endpoint = md.awsEndpoint;
    const stackEndpoint = ev.stack?.endpointUrl;
    if (endpoint && (!ev.stack || endpoint.replace(/\/+$/, '') !== (stackEndpoint ?? '').replace(/\/+$/, '')))
      fail(
        `awsEndpoint ${endpoint}: KEDA asks that endpoint, not SQS${stackEndpoint ? `, and not the stack's ${stackEndpoint}` : ev.stack ? ' (the stack sets none)' : ''}`,
        [`${at}.awsEndpoint: ${endpoint}`],
        `remove ${at}.awsEndpoint${stackEndpoint ? ` or set it to ${stackEndpoint}` : ''}`,
        ev.stack ? 'fail' : 'warn',
      );
    else if (!endpoint && stackEndpoint)
      fail(
        `no awsEndpoint, while the stack's SQS is ${stackEndpoint}: KEDA asks AWS instead`,
        [`stack endpointUrl: ${stackEndpoint}`],
        `set ${at}.awsEndpoint: ${stackEndpoint}`,
      );

    if (out.length === before)
      out.push(
        ok(
          C,
          ID,
          'AWS',
          `triggers[${t.trigger.index}] parses as KEDA parses it${ev.stack?.queueName ? ` and names the stack's queue ${ev.stack.queueName}` : ''} (queueLength ${target}, activationQueueLength ${activation}, scaleOnInFlight ${md.scaleOnInFlight ?? 'true'}, scaleOnDelayed ${md.scaleOnDelayed ?? 'false'})`,
          [...evidence, ...(endpoint ? [`${at}.awsEndpoint: ${endpoint}`] : [])],
        ),
      );
  }
  return out;
}
