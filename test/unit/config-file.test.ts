// kedactl.yaml holds what the user chose, never what kedactl derived: where every value came from, what
// the writer keeps, what a file for another stack gives, and the lines an older init pinned.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings, type SettingsInput } from '../../src/core/stack/load-settings.ts';
import { afterReview, configText, HEADER, LEGACY_HEADER, userValues } from '../../src/core/stack/config-file.ts';
import { FIELDS, type Layer } from '../../src/core/stack/settings.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** a folder with this kedactl.yaml (or none) */
function folder(text?: string): string {
  const cwd = mkdtempSync(join(tmpdir(), 'kedactl-cfg-'));
  dirs.push(cwd);
  if (text !== undefined) writeFileSync(join(cwd, 'kedactl.yaml'), text);
  return cwd;
}

const load = (cwd: string, o: Partial<SettingsInput> = {}) => loadSettings({ flags: {}, env: {}, cwd, ...o });

/** what a stack's record gives: every recorded key, as recorded.ts reads it */
function recordOf(values: Record<string, unknown>): Layer {
  return Object.fromEntries(
    Object.entries(values).map(([k, v]) => [k, { value: String(v), source: 'recorded in ConfigMap x/y', origin: 'recorded' }]),
  );
}

describe('where each setting came from', () => {
  it("flags, variables, the file and the wizard are the user's; the record, detection, derivation and defaults are not", () => {
    const cwd = folder('maxReplicas: 7\n');
    const l = load(cwd, {
      flags: { stack: 'alpha' },
      env: { AWS_REGION: 'eu-west-1', KEDACTL_STRATEGY: 'eager' },
      answers: {
        queueLength: { value: '3', source: 'answer', origin: 'wizard' },
        cluster: { value: 'prod', source: 'kube context', origin: 'detected' },
      },
      recorded: recordOf({ pollingInterval: 2, namespace: 'alpha' }),
    });
    expect(l.origins).toMatchObject({
      stack: 'flag',
      region: 'env',
      strategy: 'env',
      maxReplicas: 'file',
      queueLength: 'wizard',
      cluster: 'detected',
      pollingInterval: 'recorded',
      namespace: 'recorded',
      queueName: 'derived',
      visibilityTimeout: 'derived',
      kedaVersion: 'default',
      image: 'default',
    });
    expect(userValues(l.settings, l.origins)).toEqual({
      stack: 'alpha',
      region: 'eu-west-1',
      maxReplicas: 7,
      queueLength: 3,
      strategy: 'eager',
    });
    // the wizard does not ask again for what the record says, nor for what it detected
    expect(l.given.has('pollingInterval')).toBe(true);
    expect(l.given.has('cluster')).toBe(false);
  });

  it('a re-run over a full record writes exactly what the first run wrote', () => {
    const flags = { stack: 'alpha', region: 'eu-west-1', oidcIssuer: 'https://oidc.example/id/1', kubeconfig: '/k' };
    const first = load(folder(), { flags });
    const record = recordOf(
      Object.fromEntries(Object.entries(first.settings).filter(([k]) => !['kubeconfig', 'context', 'profile', 'templates'].includes(k))),
    );
    const again = load(folder(), { flags, recorded: record });
    expect(again.settings).toEqual(first.settings);
    expect(userValues(again.settings, again.origins)).toEqual(flags);
    expect(configText(undefined, userValues(again.settings, again.origins))).toBe(
      `${HEADER}\nstack: alpha\nregion: eu-west-1\noidcIssuer: https://oidc.example/id/1\nkubeconfig: /k\n`,
    );
  });
});

describe('the text init writes', () => {
  it("a user's file keeps its comments, order and spelling; a new value goes in place or at the end", () => {
    const mine = "# our team's queue\nregion: eu-west-1   # Dublin\nstack: alpha\nqueue-name: jobs\n";
    expect(configText(mine, { region: 'eu-west-1', stack: 'alpha', queueName: 'jobs' })).toBe(mine);
    expect(configText(mine, { region: 'eu-west-2', stack: 'alpha', queueName: 'work', maxReplicas: 5 })).toBe(
      "# our team's queue\nregion: eu-west-2 # Dublin\nstack: alpha\nqueue-name: work\nmaxReplicas: 5\n",
    );
  });

  it('a file with nothing but comments gets the values under them', () => {
    expect(configText('# empty for now\n', { stack: 'a' })).toBe('# empty for now\n\nstack: a\n');
  });
});

describe('a file that names another stack', () => {
  const file = 'stack: alpha\nregion: eu-west-1\nnamespace: team\nqueueName: alpha-jobs\nmaxReplicas: 7\nimage: registry.local/aws-cli:2\n';

  it('gives only what follows the folder, and says which lines it left out', () => {
    const cwd = folder(file);
    const l = load(cwd, { flags: { stack: 'beta' } });
    expect(l.settings).toMatchObject({
      stack: 'beta',
      namespace: 'beta',
      queueName: 'beta-queue',
      maxReplicas: 100,
      region: 'eu-west-1',
      image: 'registry.local/aws-cli:2',
    });
    const at = (n: number) => `${join(cwd, 'kedactl.yaml')}:${n}`;
    expect(l.file!.otherStack).toEqual({
      leftOut: [
        { key: 'namespace', where: at(3) },
        { key: 'queueName', where: at(4) },
        { key: 'maxReplicas', where: at(5) },
      ],
      used: ['region', 'image'],
    });
    // beta's own record fills what alpha's lines would have
    expect(load(cwd, { flags: { stack: 'beta' }, recorded: recordOf({ maxReplicas: 30 }) }).settings.maxReplicas).toBe(30);
  });

  it("is the stack's own file when the stack is the same, or given by no flag or variable", () => {
    for (const flags of [{}, { stack: 'alpha' }]) {
      const l = load(folder(file), { flags });
      expect(l.file!.otherStack).toBeUndefined();
      expect(l.settings).toMatchObject({ stack: 'alpha', namespace: 'team', queueName: 'alpha-jobs', maxReplicas: 7 });
    }
    expect(load(folder(file), { env: { KEDACTL_STACK: 'gamma' } }).settings.queueName).toBe('gamma-queue');
  });

  it('every setting either follows the stack or the folder; names and scaling follow the stack', () => {
    const perStack = FIELDS.filter((f) => f.perStack).map((f) => f.key);
    expect(perStack).toEqual(expect.arrayContaining(['namespace', 'queueName', 'maxReplicas', 'processingTime', 'visibilityTimeout']));
    expect(perStack).not.toContain('region');
    expect(perStack).not.toContain('kedaVersion');
  });
});

describe('a file an older init wrote', () => {
  // what a re-run of kedactl 0.1.0 wrote: everything it read from the record, derived names included
  const legacy = `${LEGACY_HEADER}\nnamespace: alpha\nqueueName: alpha-queue\ndeadLetterQueue: false\nmaxReceiveCount: 5\npollingInterval: 10\nmaxReplicas: 20\nqueueLength: 1\nactivationQueueLength: 0\nstrategy: default\nprocessingTime: 30\nvisibilityTimeout: 90\nimage: amazon/aws-cli:2.15.23\nanalyzerImage: ghcr.io/kedify/blog05-result-analyzer-program:latest\nauth: irsa\nkedaVersion: 2.21.0\nregion: eu-west-1\noidcIssuer: https://oidc.example/id/1\nstack: alpha\n`;

  it('names each line that equals what kedactl derives or defaults to, and nothing else', () => {
    const cwd = folder(legacy);
    const pinned = load(cwd).file!.pinned;
    const at = (n: number) => `${join(cwd, 'kedactl.yaml')}:${n}`;
    expect(pinned.map((p) => [p.key, p.where, p.why])).toEqual([
      ['namespace', at(2), 'derived from stack'],
      ['queueName', at(3), 'derived from stack'],
      ['deadLetterQueue', at(4), 'the default'],
      ['maxReceiveCount', at(5), 'the default'],
      ['pollingInterval', at(6), 'the default'],
      ['queueLength', at(8), 'the default'],
      ['activationQueueLength', at(9), 'the default'],
      ['strategy', at(10), 'the default'],
      ['processingTime', at(11), 'the default'],
      ['visibilityTimeout', at(12), 'derived from processingTime'],
      ['image', at(13), 'the default'],
      ['analyzerImage', at(14), 'the default'],
      ['auth', at(15), 'the default'],
      ['kedaVersion', at(16), 'the default'],
    ]);
  });

  it('a file kedactl writes now, or one without the old first line, names none', () => {
    expect(load(folder(legacy.replace(LEGACY_HEADER, HEADER))).file!.pinned).toEqual([]);
    expect(load(folder(legacy.replace(`${LEGACY_HEADER}\n`, ''))).file!.pinned).toEqual([]);
  });

  it("reviewed, the lines not chosen go, the first line becomes today's, and the rest stays", () => {
    const pinned = load(folder(legacy)).file!.pinned;
    const names = pinned.filter((p) => p.key === 'namespace' || p.key === 'queueName');
    const today = legacy.replace(LEGACY_HEADER, HEADER);
    expect(afterReview(legacy, names)).toBe(today.replace('namespace: alpha\nqueueName: alpha-queue\n', ''));
    expect(afterReview(legacy, [])).toBe(today);
    // a line that no longer says what was read there is not touched
    const edited = legacy.replace('namespace: alpha', '# namespace: alpha');
    expect(afterReview(edited, names)).toBe(edited.replace(LEGACY_HEADER, HEADER).replace('queueName: alpha-queue\n', ''));
  });

  it('the writer removes none of its lines', () => {
    expect(configText(legacy, { stack: 'alpha', region: 'eu-west-1', maxReplicas: 20 })).toBe(legacy);
  });
});
