import { describe, expect, it } from 'vitest';
import { oidcQuestion, questions } from '../../src/core/stack/wizard.ts';
import type { SettingKey } from '../../src/core/stack/settings.ts';

describe('wizard logic', () => {
  it('asks only what flags, env and the file did not answer', () => {
    const all = questions(new Set(), {}, {}).map((q) => q.key);
    expect(all).toEqual([
      'stack',
      'region',
      'namespace',
      'queueName',
      'workload',
      'processingTime',
      'maxReplicas',
      'strategy',
      'auth',
      'producer',
    ]);
    const some = questions(new Set<SettingKey>(['stack', 'region', 'strategy']), {}, { stack: 'demo' }).map((q) => q.key);
    expect(some).toEqual(['namespace', 'queueName', 'workload', 'processingTime', 'maxReplicas', 'auth', 'producer']);
  });

  it('asks for the scaling strategy only when the workload is a ScaledJob, and names the unit it scales', () => {
    const deployment = questions(new Set(), {}, { workload: 'deployment' });
    expect(deployment.map((q) => q.key)).not.toContain('strategy');
    expect(deployment.find((q) => q.key === 'maxReplicas')!.message).toBe('Most consumer Pods running at once');
    const workload = questions(new Set(), {}, {}).find((q) => q.key === 'workload')!;
    expect(workload.default).toBe('job');
    expect(workload.choices!.map((c) => c.value)).toEqual(['job', 'deployment']);
    expect(workload.validate('cronjob', {})).toBe('workload must be one of job, deployment');
  });

  it('defaults come from what was detected and from the stack name', () => {
    const qs = questions(new Set(), { region: 'ap-south-1', cluster: 'prod' }, { stack: 'enc' });
    const def = Object.fromEntries(qs.map((q) => [q.key, q.default]));
    expect(def).toMatchObject({ stack: 'enc', region: 'ap-south-1', namespace: 'enc', queueName: 'enc-queue', auth: 'irsa' });
    expect(Object.fromEntries(questions(new Set(), {}, {}).map((q) => [q.key, q.default])).auth).toBe('static');
  });

  it("validates each answer with the setting's rule", () => {
    const qs = Object.fromEntries(questions(new Set(), {}, {}).map((q) => [q.key, q]));
    expect(qs.queueName!.validate('jobs.fifo', {})).toMatch(/FIFO queues are not supported/);
    expect(qs.maxReplicas!.validate('0', {})).toBe('maxReplicas must be from 1 to 1000');
    expect(qs.maxReplicas!.validate('12', {})).toBeUndefined();
    expect(qs.namespace!.validate('My_NS', {})).toMatch(/DNS-1123/);
    expect(qs.region!.validate('moon-1', {})).toMatch(/AWS region/);
  });

  it('explains each strategy and warns about accurate', () => {
    const strategy = questions(new Set(), {}, {}).find((q) => q.key === 'strategy')!;
    expect(strategy.choices!.map((c) => c.value)).toEqual(['default', 'custom', 'accurate', 'eager']);
    expect(strategy.choices!.find((c) => c.value === 'accurate')!.description).toMatch(/over-scales/);
  });

  it('offers to create the OIDC provider only when it is known to be missing', () => {
    expect(oidcQuestion({ oidcProviderExists: true })).toBeUndefined();
    expect(oidcQuestion({})).toBeUndefined();
    expect(oidcQuestion({ oidcProviderExists: false })!.key).toBe('createOidcProvider');
  });
});
