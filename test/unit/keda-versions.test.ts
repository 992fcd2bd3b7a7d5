// Which KEDA releases kedactl accepts, how the default ScaledJob stays valid across them, and how a CRD
// that would refuse a rendered object is named before anything is written.
import { describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSettings } from '../../src/core/stack/load-settings.ts';
import { SettingsError } from '../../src/core/errors.ts';
import { DEFAULT_KEDA_VERSION, isSupportedKedaVersion, kedaMinor, SUPPORTED_KEDA_MINORS } from '../../src/core/keda/versions.ts';
import { crdSchema, schemaProblems, type JsonSchema } from '../../src/core/keda/crd-schema.ts';
import { desiredStack } from '../../src/core/stack/desired.ts';
import { kubeKey, plan, type Observed } from '../../src/core/stack/plan.ts';

const load = (flags: Record<string, unknown>) =>
  loadSettings({
    flags: { region: 'eu-west-1', accountId: '123456789012', oidcIssuer: 'https://oidc.example.com/id/X', ...flags },
    env: {},
    cwd: tmpdir(),
  });

describe('KEDA versions', () => {
  it('defaults to the newest supported release', () => {
    expect(load({}).settings.kedaVersion).toBe(DEFAULT_KEDA_VERSION);
    expect(kedaMinor(DEFAULT_KEDA_VERSION)).toBe(SUPPORTED_KEDA_MINORS[SUPPORTED_KEDA_MINORS.length - 1]);
  });

  it('accepts every patch of the supported minors and nothing else', () => {
    for (const v of ['2.20.0', '2.20.2', '2.21.0', '2.21.7', 'v2.21.0']) expect(isSupportedKedaVersion(v), v).toBe(true);
    for (const v of ['2.19.0', '2.22.0', '3.0.0', '2.21', 'latest']) expect(isSupportedKedaVersion(v), v).toBe(false);
  });

  it('refuses an unsupported --keda-version with exit 2, naming the range', () => {
    for (const v of ['2.16.1', '2.22.0', 'main']) {
      const e = (() => {
        try {
          load({ kedaVersion: v });
        } catch (err) {
          return err;
        }
      })();
      expect(e, v).toBeInstanceOf(SettingsError);
      const err = e as SettingsError;
      expect(err.exitCode).toBe(2);
      expect(err.problems).toHaveLength(1);
      expect(err.problems[0]).toMatchObject({ setting: 'kedaVersion', value: v, source: '--keda-version' });
      expect(err.problems[0]!.rule).toContain('2.20.x to 2.21.x');
    }
  });
});

describe('ScaledJob scaling strategy', () => {
  it("leaves KEDA's default strategy out and renders the others", async () => {
    const sj = async (strategy: string) =>
      (await desiredStack(load({ strategy }).settings)).objects.find((o) => o.object.kind === 'ScaledJob')!.object as any;
    expect((await sj('default')).spec).not.toHaveProperty('scalingStrategy');
    for (const s of ['custom', 'accurate', 'eager']) expect((await sj(s)).spec.scalingStrategy, s).toEqual({ strategy: s });
  });

  it('warns that "custom" without its percentage is KEDA\'s default strategy in disguise', async () => {
    const d = await desiredStack(load({ strategy: 'custom' }).settings);
    expect(d.warnings.join('\n')).toContain('without them KEDA runs the default strategy');
    expect((await desiredStack(load({ strategy: 'eager' }).settings)).warnings.join('\n')).not.toContain(
      'customScalingRunningJobPercentage',
    );
    // with the percentage in a template override, "custom" is what KEDA runs: no warning
    const dir = mkdtempSync(join(tmpdir(), 'kedactl-custom-'));
    mkdirSync(join(dir, 'kubernetes'));
    const original = readFileSync(fileURLToPath(new URL('../../templates/kubernetes/scaled-job.yaml', import.meta.url)), 'utf8');
    writeFileSync(
      join(dir, 'kubernetes', 'scaled-job.yaml'),
      original.replace(
        'strategy: ${strategy}',
        'strategy: ${strategy}\n    customScalingQueueLengthDeduction: 1\n    customScalingRunningJobPercentage: "0.5"',
      ),
    );
    const overridden = await desiredStack(load({ strategy: 'custom', templates: dir }).settings);
    expect(overridden.warnings.join('\n')).not.toContain('customScalingRunningJobPercentage');
  });
});

describe('schemaProblems', () => {
  const schema: JsonSchema = {
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec: {
        type: 'object',
        required: ['jobTargetRef'],
        properties: {
          pollingInterval: { type: 'integer' },
          scalingStrategy: { type: 'object', properties: { strategy: { type: 'string', enum: ['custom', 'accurate', 'eager'] } } },
          jobTargetRef: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { backoffLimit: { type: 'integer' } } },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
          triggers: { type: 'array', items: { type: 'object', properties: { type: { type: 'string' } }, required: ['type'] } },
          replicas: { 'x-kubernetes-int-or-string': true },
        },
      },
    },
  };

  it("accepts what the schema allows (metadata is the API server's, unknown fields where preserved)", () => {
    const ok = {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledJob',
      metadata: { name: 'x', anything: 1 },
      spec: {
        pollingInterval: 5,
        jobTargetRef: { template: {} },
        labels: { a: 'b' },
        triggers: [{ type: 'aws-sqs-queue' }],
        replicas: '50%',
      },
    };
    expect(schemaProblems(ok, schema)).toEqual([]);
  });

  it('names each refused field with its rule', () => {
    const bad = {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledJob',
      metadata: {},
      spec: {
        pollingInterval: '5',
        scalingStrategy: { strategy: 'default' },
        rollout: { strategy: 'gradual' },
        labels: { a: 1 },
        triggers: [{}],
        replicas: true,
      },
    };
    expect(schemaProblems(bad, schema)).toEqual([
      { path: 'spec.jobTargetRef', rule: 'is required' },
      { path: 'spec.pollingInterval', rule: 'must be an integer (is "5")' },
      { path: 'spec.scalingStrategy.strategy', rule: '"default" is not one of "custom", "accurate", "eager"' },
      { path: 'spec.rollout', rule: 'is not a field of this CRD version' },
      { path: 'spec.labels.a', rule: 'must be a string (is 1)' },
      { path: 'spec.triggers[0].type', rule: 'is required' },
      { path: 'spec.replicas', rule: 'must be an integer or a string (is true)' },
    ]);
  });

  it('finds the schema of a served version in a CRD object', () => {
    const crd = { spec: { versions: [{ name: 'v1alpha1', schema: { openAPIV3Schema: schema } }] } };
    expect(crdSchema(crd, 'v1alpha1')).toBe(schema);
    expect(crdSchema(crd, 'v1')).toBeUndefined();
  });
});

describe('plan with the installed KEDA', () => {
  it('is blocked, naming the object, the field and the fix, when the CRDs would refuse it', async () => {
    const d = await desiredStack(load({ stack: 'demo' }).settings);
    const observed: Observed = {
      keda: { installed: true, version: '2.20.0', values: d.keda.values },
      objects: Object.fromEntries(d.objects.map(({ object }) => [kubeKey(object), { exists: false, diff: [] }])),
      kedaCrds: {
        problems: ['ScaledJob demo/demo-processor: spec.scalingStrategy.strategy "default" is not one of "custom", "accurate", "eager"'],
        unread: [],
      },
    };
    const p = plan(d, observed);
    expect(p.blockers).toHaveLength(1);
    expect(p.blockers[0]).toContain("KEDA 2.20.0's CRDs would refuse what kedactl renders");
    expect(p.blockers[0]).toContain('ScaledJob demo/demo-processor: spec.scalingStrategy.strategy');
    expect(p.blockers[0]).toContain(`--version ${DEFAULT_KEDA_VERSION}`);
    expect(plan(d, { ...observed, kedaCrds: { problems: [], unread: [] } }).blockers).toEqual([]);
  });

  it('warns about an installed KEDA outside the supported range, and about CRDs it could not read', async () => {
    const d = await desiredStack(load({ stack: 'demo' }).settings);
    const p = plan(d, {
      keda: { installed: true, version: '2.16.1', values: d.keda.values },
      kedaCrds: { problems: [], unread: ['scaledjobs.keda.sh'] },
    });
    expect(p.warnings.join('\n')).toContain('KEDA 2.16.1 is installed; kedactl renders for KEDA 2.20.x to 2.21.x');
    expect(p.warnings.join('\n')).toContain('could not read scaledjobs.keda.sh (forbidden)');
    expect(p.blockers).toEqual([]);
  });
});
