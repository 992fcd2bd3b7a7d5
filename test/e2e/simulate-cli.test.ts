// kedactl simulate and simulate decide as users run them (in-process main(argv)): flags and
// kedactl.yaml through the settings path, one KEDA cycle against KEDA's table rows, runs compared.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.ts';

const json = async (argv: string[], cwd?: string) => {
  const r = await runCli([...argv, '-o', 'json'], { cwd });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
};

describe('kedactl simulate decide', () => {
  // KEDA v2.21.0 pkg/scaling/executor/scale_jobs_test.go rows, through the command line
  it.each([
    [
      'TestAccurateScalingStrategy (partial pending)',
      ['--visible', '20', '--running', '15', '--pending', '10', '--max-replicas', '20', '--strategy', 'accurate'],
      5,
    ],
    [
      'TestAccurateScalingStrategy (3 running are pending)',
      ['--visible', '3', '--running', '3', '--pending', '3', '--max-replicas', '5', '--strategy', 'accurate'],
      0,
    ],
    ['TestEagerScalingStrategy', ['--visible', '4', '--running', '1', '--pending', '6', '--max-replicas', '10', '--strategy', 'eager'], 3],
    [
      'TestCustomScalingStrategy',
      ['--visible', '10', '--max-replicas', '10', '--strategy', 'custom', '--custom-deduction', '1', '--custom-running-percentage', '0.5'],
      9,
    ],
    ['TestDefaultScalingStrategy', ['--visible', '3', '--running', '2', '--max-replicas', '5'], 1],
  ])('%s', async (_name, args, effective) => {
    const out = await json(['simulate', 'decide', ...args]);
    expect(out.decision.effectiveMaxScale).toBe(effective);
  });

  it('explains a cycle in words, and shows that custom without a percentage runs default', async () => {
    const r = await runCli(['simulate', 'decide', '--visible', '10', '--in-flight', '10', '--running', '10', '--strategy', 'custom']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('metric          20 (10 visible + 10 in flight)');
    expect(r.stdout).toContain('strategy        default (asked: custom; no parsable customScalingRunningJobPercentage)');
    expect(r.stdout).toContain('Jobs to create  10');
  });

  it('takes queueLength and the rest from kedactl.yaml like every command', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kedactl-decide-'));
    writeFileSync(join(dir, 'kedactl.yaml'), 'queueLength: 5\nmaxReplicas: 3\n');
    const out = await json(['simulate', 'decide', '--visible', '40'], dir);
    expect(out.decision).toMatchObject({ metric: 40, maxScale: 3, create: 3 });
  });

  it('bad flags: exit 2 naming the flag and the rule', async () => {
    const r = await runCli(['simulate', 'decide', '--visible', '-3', '--scale-on-delayed', 'maybe']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--visible = "-3": must be a whole number from 0 to 1000000000');
    expect(r.stderr).toContain('--scale-on-delayed = "maybe": must be true or false');
  });
});

describe('kedactl simulate', () => {
  it('compares strategies side by side on the same load (-o json)', async () => {
    const out = await json(['simulate', '--load', 'steady:rate=1,duration=10m', '--compare', 'strategy=default,accurate,eager']);
    expect(out.profile).toMatchObject({ messages: 600, seconds: 600 });
    expect(out.runs.map((r: any) => [r.label, r.stack.strategy])).toEqual([
      ['strategy=default', 'default'],
      ['strategy=accurate', 'accurate'],
      ['strategy=eager', 'eager'],
    ]);
    for (const r of out.runs) expect(r.result).toMatchObject({ messages: 600, drained: true });
    const [d, a] = out.runs.map((r: any) => r.result);
    expect(a.emptyJobs).toBeGreaterThan(d.emptyJobs);
  });

  it('simulates what init would deploy: settings from kedactl.yaml, flags over them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kedactl-sim-'));
    writeFileSync(join(dir, 'kedactl.yaml'), 'maxReplicas: 7\nprocessingTime: 10\n');
    const fromFile = await json(['simulate', '--count', '100'], dir);
    expect(fromFile.runs[0].stack).toMatchObject({ maxReplicas: 7, processingTime: 10, visibilityTimeout: 70 });
    expect(fromFile.runs[0].result.peakJobs).toBe(7);
    const flag = await json(['simulate', '--count', '100', '--max-replicas', '3'], dir);
    expect(flag.runs[0].result.peakJobs).toBe(3);
  });

  it('draws the chart and the numbers as text', async () => {
    const r = await runCli(['simulate', '--count', '2000', '--compare', 'max-replicas=50,100']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('load: burst of 2000: 2000 messages');
    expect(r.stdout).toMatch(/^ +2000 │[█●]/m);
    expect(r.stdout).toMatch(/^ +max-replicas=50 +max-replicas=100$/m);
    expect(r.stdout).toMatch(/^peak Jobs +50 +100$/m);
  });

  it('compares a simulate flag too, and a YAML profile file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kedactl-sim-'));
    writeFileSync(join(dir, 'load.yaml'), '- burst:count=50\n- shape: steady\n  rate: 1\n  duration: 50s\n');
    const out = await json(['simulate', '--load', 'load.yaml', '--compare', 'failure-rate=0,0.5'], dir);
    expect(out.profile.messages).toBe(100);
    expect(out.runs[0].result.failedJobs).toBe(0);
    expect(out.runs[1].result.failedJobs).toBeGreaterThan(10);
  });

  it('bad input: exit 2 naming the field and the rule, nothing simulated', async () => {
    const cases: Array<[string[], string]> = [
      [['--compare', 'strategy=default,fast'], 'strategy = "fast" (from --compare): must be one of default, custom, accurate, eager'],
      [['--compare', 'colour=red,blue'], '--compare colour: "colour" is not a setting or simulate flag'],
      [['--compare', 'strategy=default'], '--compare strategy: needs 2 to 8 non-empty values'],
      [['--load', 'ramp:from=0,duration=1m'], 'load profile (--load): ramp: to is required'],
      [['--load', 'burst:count=5', '--count', '5'], '--load and --count do not go together'],
      [['--count', '0'], '--count = "0": must be a whole number from 1 to 10000000'],
      [['--load', 'pause:duration=1m'], 'load profile: sends no messages'],
      [['--failure-rate', '1.5'], '--failure-rate = "1.5": must be a number from 0 to 1'],
      [['--max-replicas', '0'], 'maxReplicas = "0" (from --max-replicas): must be from 1 to 1000'],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['simulate', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(message);
    }
  });
});

describe('kedactl simulate --compare workload=job,deployment', () => {
  it('prints both workloads side by side: kills for the Deployment, none for the Jobs', async () => {
    const r = await runCli(['simulate', '--count', '200', '--compare', 'workload=job,deployment', '--scale-down-stabilization', '0']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ +workload=job +workload=deployment$/m);
    expect(r.stdout).toContain('● Pods (right scale)');
    expect(r.stdout).toMatch(/^peak Jobs +100 +—$/m);
    expect(r.stdout).toMatch(/^peak Pods +100 +100$/m);
    const killed = /^messages killed mid-work +(\d+) +(\d+)$/m.exec(r.stdout);
    expect(killed).not.toBeNull();
    expect(Number(killed![1])).toBe(0);
    expect(Number(killed![2])).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/^re-deliveries +0 +[1-9]\d*$/m);
    expect(r.stdout).toMatch(/^Pod-seconds +[\d,]+ \([\d.]+ h\) +[\d,]+ \([\d.]+ h\)$/m);
  });

  it('-o json: each run says its workload and carries the ScaledObject settings', async () => {
    const out = await json(['simulate', '--count', '50', '--compare', 'workload=job,deployment', '--cooldown-period', '60']);
    expect(out.runs.map((r: any) => [r.label, r.stack.workload, r.result.workload])).toEqual([
      ['workload=job', 'job', 'job'],
      ['workload=deployment', 'deployment', 'deployment'],
    ]);
    expect(out.runs[1].stack).toMatchObject({ cooldownPeriod: 60, scaleDownStabilization: 300, terminationGracePeriod: 30 });
    for (const r of out.runs) expect(r.result).toMatchObject({ messages: 50, drained: true });
    // the default 5-minute stabilization: the HPA scales down only once the queue is empty: no kills
    expect(out.runs[1].result.killed).toBe(0);
  });
});
