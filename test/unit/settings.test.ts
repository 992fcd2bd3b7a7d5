import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings } from '../../src/core/stack/load-settings.ts';
import { SettingsError, UsageError } from '../../src/core/errors.ts';
import { checkQueueName, checkDns1123Label, envName, FIELDS } from '../../src/core/stack/settings.ts';

const cwd = mkdtempSync(join(tmpdir(), 'kedactl-settings-'));
const load = (flags: Record<string, unknown>, env: NodeJS.ProcessEnv = {}, configPath?: string) =>
  loadSettings({ flags, env, cwd, configPath });

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof SettingsError) return e.problems.map((p) => p.setting);
    throw e;
  }
  throw new Error('expected a SettingsError');
}

describe('settings', () => {
  it('defaults reproduce the example, with names derived from the stack', () => {
    const { settings } = load({ region: 'eu-west-1' });
    expect(settings).toMatchObject({
      stack: 'video',
      namespace: 'video',
      queueName: 'video-queue',
      pollingInterval: 10,
      maxReplicas: 100,
      queueLength: 1,
      strategy: 'default',
      processingTime: 30,
      auth: 'irsa',
    });
    expect(settings.visibilityTimeout).toBeGreaterThan(settings.processingTime);
  });

  it('derives per-stack names so two stacks do not collide', () => {
    const a = load({ region: 'eu-west-1', stack: 'a' }).settings;
    const b = load({ region: 'eu-west-1', stack: 'b' }).settings;
    expect(a.queueName).not.toBe(b.queueName);
    expect(a.namespace).not.toBe(b.namespace);
  });

  it('takes flags over KEDACTL_* over AWS_* over the config file', () => {
    const file = join(cwd, 'prec.yaml');
    writeFileSync(file, 'region: us-east-1\nmaxReplicas: 7\nqueueLength: 3\npollingInterval: 4\n');
    const env = { AWS_REGION: 'eu-west-2', KEDACTL_MAX_REPLICAS: '8', KEDACTL_QUEUE_LENGTH: '5' };
    const { settings, configFile } = load({ maxReplicas: '9' }, env, file);
    expect(configFile).toBe(file);
    expect(settings.maxReplicas).toBe(9); // flag
    expect(settings.queueLength).toBe(5); // KEDACTL_*
    expect(settings.region).toBe('eu-west-2'); // AWS_REGION beats the file
    expect(settings.pollingInterval).toBe(4); // file
  });

  it('reports every problem at once, naming setting, value and rule', () => {
    try {
      load({
        region: 'mars',
        queueName: 'x y',
        maxReplicas: '0',
        pollingInterval: 'ten',
        strategy: 'fast',
        namespace: 'NS',
        oidcIssuer: 'http://a',
        accountId: '12',
        auth: 'iam',
        endpointUrl: 'nope',
      });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SettingsError);
      const err = e as SettingsError;
      expect(err.exitCode).toBe(2);
      expect(err.problems.map((p) => p.setting).sort()).toEqual(
        [
          'accountId',
          'auth',
          'endpointUrl',
          'maxReplicas',
          'namespace',
          'oidcIssuer',
          'pollingInterval',
          'queueName',
          'region',
          'strategy',
        ].sort(),
      );
      expect(err.message).toContain('maxReplicas = "0" (from --max-replicas): must be from 1 to 1000');
      expect(err.message).toContain('strategy = "fast" (from --strategy): must be one of default, custom, accurate, eager');
    }
  });

  it('requires a region and says how to give one', () => {
    try {
      load({});
      expect.unreachable();
    } catch (e) {
      expect((e as SettingsError).message).toMatch(/region: is required: pass --region, set AWS_REGION/);
    }
  });

  it('refuses a visibility timeout not longer than the processing time', () => {
    expect(problems(() => load({ region: 'eu-west-1', processingTime: '120', visibilityTimeout: '120' }))).toEqual(['visibilityTimeout']);
    expect(load({ region: 'eu-west-1', processingTime: '120' }).settings.visibilityTimeout).toBe(180);
  });

  it('reports config file problems with file and line', () => {
    const file = join(cwd, 'bad.yaml');
    writeFileSync(file, 'region: eu-west-1\n\nmaxReplicas: many\nqueue: x\nstrategy: [a]\n');
    try {
      load({}, {}, file);
      expect.unreachable();
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toContain(`maxReplicas = "many" (from ${file}:3)`);
      expect(msg).toContain(`queue (from ${file}:4): is not a kedactl setting`);
      expect(msg).toContain(`strategy (from ${file}:5): must be a single value`);
    }
  });

  it('names the file and line of a YAML syntax error', () => {
    const file = join(cwd, 'syntax.yaml');
    writeFileSync(file, 'region: eu-west-1\nstack: [demo\n');
    expect(() => load({}, {}, file)).toThrow(new RegExp(`config file ${file}:\\d+ does not parse as YAML`));
  });

  it('refuses a missing config file given explicitly', () => {
    expect(() => load({ region: 'eu-west-1' }, {}, join(cwd, 'nope.yaml'))).toThrow(UsageError);
  });

  it('validates SQS queue names, including .fifo', () => {
    expect(checkQueueName('video-queue_1')).toBeUndefined();
    expect(checkQueueName('a'.repeat(81))).toMatch(/at most 80/);
    expect(checkQueueName('bad.name')).toMatch(/only letters/);
    expect(checkQueueName('jobs.fifo')).toMatch(/FIFO queues are not supported/);
    expect(checkQueueName('')).toMatch(/only letters/);
  });

  it('validates DNS-1123 labels', () => {
    expect(checkDns1123Label('demo-1')).toBeUndefined();
    expect(checkDns1123Label('-demo')).toMatch(/DNS-1123/);
    expect(checkDns1123Label('Demo')).toMatch(/DNS-1123/);
    expect(checkDns1123Label('a'.repeat(64))).toMatch(/at most 63/);
  });

  it('has one env var per flag', () => {
    expect(envName(FIELDS.find((f) => f.key === 'queueName')!)).toBe('KEDACTL_QUEUE_NAME');
    expect(new Set(FIELDS.map(envName)).size).toBe(FIELDS.length);
  });
});
