// Check 24: KEDA version gates. What the ScaledJob / ScaledObject and its TriggerAuthentications rely on that
// the installed KEDA does not do yet (or did wrong), from KEDA's CHANGELOG (v2.21.0's, which lists every
// release): doctor --scaled-job runs on clusters kedactl did not set up, with whatever KEDA they run.
import { readValue, type Evidence } from './evidence.js';
import { ok, skipped, type Finding } from './finding.js';
import { kedaVersionOf } from '../kube/state.js';
import { authKey, kedaIdentity, scalerOf } from './model.js';

const C = 24,
  ID = 'keda-gates';
type Obj = Record<string, any>;

/** "2.12.1" -> [2, 12, 1]; undefined when not a release version */
const parse = (v: string) => {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
};
const below = (v: number[], gate: string) => {
  const g = parse(gate)!;
  for (let i = 0; i < 3; i++) if (v[i] !== g[i]) return v[i]! < g[i]!;
  return false;
};

interface Gate {
  /** the first release that does it (CHANGELOG entry) */
  since: string;
  verdict: 'fail' | 'warn';
  /** what is used, or undefined when the stack does not use it */
  uses: (ev: Evidence) => string | undefined;
  /** what an older KEDA does with it */
  before: string;
  change: string;
}

const annotation = (o: Obj | undefined, a: string) => o?.metadata?.annotations?.[a] as string | undefined;
const triggerMeta = (ev: Evidence, key: string) => kedaIdentity(ev).triggers.find((t) => t.trigger.metadata[key] !== undefined)?.trigger;
const taSpecs = (ev: Evidence) =>
  kedaIdentity(ev)
    .triggers.map((t) => (t.trigger.authRef ? readValue(ev.triggerAuths[authKey(t.trigger.authRef)]) : undefined))
    .filter((x): x is NonNullable<typeof x> => Boolean(x))
    .map((ta) => ({ name: ta.metadata.name, spec: ((ta as Obj).spec ?? {}) as Obj }));

const GATES: Gate[] = [
  {
    since: '2.13.0',
    verdict: 'fail',
    uses: (ev) => taSpecs(ev).find((t) => t.spec.podIdentity?.provider === 'aws') && 'podIdentity provider aws',
    before: 'does not know the provider and gives the trigger no AWS credentials',
    change: '"Introduce new AWS Authentication" (#4134)',
  },
  {
    since: '2.20.0',
    verdict: 'fail',
    uses: (ev) => taSpecs(ev).find((t) => t.spec.podIdentity?.externalID) && 'podIdentity.externalID',
    before: "drops it (its CRD has no such field), so the role's trust, which asks for the external ID, refuses KEDA",
    change: '"Add support for AWS External ID in TriggerAuthentication podIdentity" (#6921)',
  },
  {
    since: '2.12.0',
    verdict: 'warn',
    uses: (ev) => (triggerMeta(ev, 'scaleOnDelayed') ? 'scaleOnDelayed' : undefined),
    before: 'ignores it: delayed messages are not counted',
    change: '"Support for scaling to include delayed messages" (#4377)',
  },
  {
    since: '2.17.1',
    verdict: 'fail',
    uses: (ev) => (triggerMeta(ev, 'queueURLFromEnv') ? 'queueURLFromEnv' : undefined),
    before: 'does not resolve it',
    change: '"Fix AWS SQS Queue queueURLFromEnv not working" (#6712)',
  },
  {
    since: '2.11.0',
    verdict: 'fail',
    uses: (ev) => {
      const s = scalerOf(ev);
      return s.kind === 'ScaledJob' && annotation(readValue(s.read) as Obj, 'autoscaling.keda.sh/paused') !== undefined
        ? 'autoscaling.keda.sh/paused on a ScaledJob'
        : undefined;
    },
    before: 'ignores it and keeps starting Jobs',
    change: '"Introduce annotation autoscaling.keda.sh/paused: true for ScaledJobs" (#3303)',
  },
  {
    since: '2.13.0',
    verdict: 'warn',
    uses: (ev) =>
      annotation(readValue(scalerOf(ev).read) as Obj, 'autoscaling.keda.sh/paused') === 'false'
        ? 'autoscaling.keda.sh/paused: "false"'
        : undefined,
    before: 'pauses on it all the same',
    change: '"Fix issue where paused annotation being set to false still leads to ScaledObjects/ScaledJobs being paused" (#5215)',
  },
];

/** 24: the installed KEDA does what this scaler and its authentication rely on */
export function checkKedaGates(ev: Evidence): Finding[] {
  if (!readValue(scalerOf(ev).read)) return [];
  const dep = readValue(ev.keda.deployment);
  if (!dep) return [];
  const version = kedaVersionOf(dep);
  const v = version ? parse(version) : undefined;
  if (!v)
    return [
      skipped(
        C,
        ID,
        'KEDA',
        `KEDA's version is not known (${version ?? 'no version label or image tag'}): its version gates are not judged`,
      ),
    ];
  const out: Finding[] = [];
  const used: string[] = [];
  for (const g of GATES) {
    const what = g.uses(ev);
    if (!what) continue;
    used.push(`${what} (since ${g.since})`);
    if (below(v, g.since))
      out.push({
        check: C,
        id: ID,
        group: 'KEDA',
        verdict: g.verdict,
        summary: `${what} needs KEDA ${g.since} or later; KEDA ${version} ${g.before}`,
        evidence: [`keda-operator version: ${version}`, `KEDA's CHANGELOG, v${g.since}: ${g.change}`],
        fix: `upgrade KEDA to ${g.since} or later (kedactl supports 2.20 and 2.21)`,
      });
  }
  if (!out.length) out.push(ok(C, ID, 'KEDA', `KEDA ${version} does everything used here${used.length ? `: ${used.join(', ')}` : ''}`));
  return out;
}
