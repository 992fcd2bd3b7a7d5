// Load profiles: parsing (flags and YAML), exact counts, and when each message is due.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.ts';
import {
  arrivalTime,
  arrivalTimes,
  buildProfile,
  describeProfile,
  loadProfileFrom,
  parseLoadFile,
  parseLoadSpec,
  targetAt,
} from '../../src/core/simulate/profile.ts';

const profile = (spec: string) => buildProfile(parseLoadSpec(spec));
const usage = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected a UsageError');
};

describe('shapes', () => {
  it('steady: rate x duration messages, evenly spaced from the start', () => {
    const p = profile('steady:rate=10,duration=1m');
    expect(p.total).toBe(600);
    expect(p.duration).toBe(60);
    expect(arrivalTime(p, 0)).toBe(0);
    expect(arrivalTime(p, 1)).toBeCloseTo(0.1, 9);
    expect(arrivalTime(p, 599)).toBeCloseTo(59.9, 9);
  });
  it('steady with count spreads exactly that many over the duration', () => {
    const p = profile('steady:count=7,duration=7s');
    expect(p.total).toBe(7);
    expect([...arrivalTimes(p)].map((t) => +t.toFixed(6))).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
  it('ramp: the rate grows linearly, so half the messages come in the last ~29% of the time', () => {
    const p = profile('ramp:from=0,to=100,duration=100s');
    expect(p.total).toBe(5000);
    // sent by t is 100 t^2 / 200 = t^2 / 2: 2500 by t = 70.7 s
    expect(arrivalTime(p, 2500)).toBeCloseTo(Math.sqrt(5000), 6);
    expect(targetAt(p, 50)).toBe(1251);
    expect(arrivalTime(p, 4999)).toBeLessThanOrEqual(100);
  });
  it('a ramp down ends exactly at its duration, never past it', () => {
    const p = profile('ramp:from=40,to=0,duration=10s');
    expect(p.total).toBe(200);
    const t = arrivalTimes(p);
    for (let i = 1; i < t.length; i++) expect(t[i]!).toBeGreaterThan(t[i - 1]!);
    expect(t[199]!).toBeLessThan(10);
  });
  it('burst: everything at once', () => {
    const p = profile('burst:count=1000');
    expect(p).toMatchObject({ total: 1000, duration: 0 });
    expect(arrivalTime(p, 999)).toBe(0);
    expect(targetAt(p, 0)).toBe(1000);
  });
  it('spike: base rate, the peak for a while, then base again', () => {
    const p = profile('spike:base=1,peak=50,at=10s,for=2s,duration=20s');
    expect(p.total).toBe(10 + 100 + 8);
    expect(p.segments.map((s) => [s.start, s.count])).toEqual([
      [0, 10],
      [10, 100],
      [12, 8],
    ]);
    expect(arrivalTime(p, 10)).toBe(10);
    expect(arrivalTime(p, 110)).toBe(12);
  });
  it('a sequence with a pause: counts add up, times follow one another', () => {
    const p = profile('burst:count=5 + pause:duration=1m + steady:rate=1,duration=10s');
    expect(p.total).toBe(15);
    expect(p.duration).toBe(70);
    expect(arrivalTime(p, 4)).toBe(0);
    expect(arrivalTime(p, 5)).toBe(60);
    expect(targetAt(p, 59.9)).toBe(5);
    expect(targetAt(p, 60)).toBe(6);
    expect(targetAt(p, 1e9)).toBe(15);
    expect(describeProfile(p)).toBe('burst of 5 + pause 1m + steady 1/s for 10s: 15 messages over 70s');
  });
  it('targetAt and arrivalTime agree: target(t) counts the messages due by t', () => {
    const p = profile('ramp:from=3,to=17,duration=30s + steady:rate=7,duration=9s');
    const times = arrivalTimes(p);
    for (const t of [0, 0.5, 3, 10.01, 29.99, 30, 31, 38.9, 39, 100]) {
      const due = times.filter((x) => x <= t + 1e-9).length;
      expect(Math.abs(targetAt(p, t) - due)).toBeLessThanOrEqual(1);
    }
    expect(targetAt(p, 39)).toBe(p.total);
  });
});

describe('bad profiles: exit 2, naming the field and the rule', () => {
  it.each([
    ['steady:rate=10', 'steady: duration is required'],
    ['steady:rate=-1,duration=1m', 'steady: rate = "-1" must be a number of messages per second from 0 to 1000000'],
    ['steady:rate=1,count=5,duration=1m', 'give exactly one of rate and count'],
    ['ramp:from=0,to=5,duration=soon', 'ramp: duration = "soon" must be a duration like 90s, 10m or 2h'],
    ['burst:count=1.5', 'burst: count = "1.5" must be a whole number from 0 to 10000000'],
    ['burst:count=10,rate=3', 'burst: "rate" is not a field of burst (fields: count)'],
    ['wave:rate=1', 'shape "wave": must be one of steady, ramp, burst, spike, pause'],
    ['spike:peak=10,at=50s,for=20s,duration=1m', 'spike: at + for (70s) must fit in duration (60s)'],
    ['burst:count=3+', 'has an empty shape'],
    ['steady:rate 5,duration=1m', '"rate 5" in "steady:rate 5,duration=1m" must be key=value'],
    ['pause:duration=1m', 'sends no messages'],
    ['steady:rate=1000000,duration=7d', 'duration = "7d" must be a duration'],
    ['steady:rate=1000000,duration=11s', '11000000 messages in total, more than 10000000'],
  ])('%s', (spec, rule) => {
    expect(usage(() => profile(spec))).toContain(rule);
  });
});

describe('YAML files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kedactl-profile-'));
  it('a list of mappings and spec strings', () => {
    const path = join(dir, 'day.yaml');
    writeFileSync(
      path,
      '- shape: ramp\n  from: 0\n  to: 10\n  duration: 10s\n- burst:count=100\n- { shape: steady, rate: 2, duration: 1m }\n',
    );
    const p = loadProfileFrom(path);
    expect(p.total).toBe(50 + 100 + 120);
    expect(p.duration).toBe(70);
  });
  it('or a mapping with profile:', () => {
    expect(parseLoadFile('x.yaml', 'profile:\n  - burst:count=3\n')).toEqual([{ shape: 'burst', count: 3 }]);
  });
  it('errors name the file and line', () => {
    expect(usage(() => parseLoadFile('p.yaml', '- burst:count=3\n- shape: steady\n  rate: fast\n  duration: 1m\n'))).toContain(
      'load profile (p.yaml:2): steady: rate = "fast" must be a number',
    );
    expect(usage(() => parseLoadFile('p.yaml', 'rate: 5\n'))).toContain('(p.yaml:1): must be a non-empty list of shapes');
    expect(usage(() => parseLoadFile('p.yaml', '- [1, 2\n'))).toContain('does not parse as YAML');
    expect(usage(() => loadProfileFrom(join(dir, 'missing.yaml')))).toContain('no such file');
  });
});
