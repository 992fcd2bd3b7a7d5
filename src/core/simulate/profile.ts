// Load profiles: when each message is due. One profile drives both `produce --load` (send message i
// no earlier than its time) and `simulate` (message i arrives at its time), so the two agree exactly.
// A profile is a sequence of shapes; each becomes one or more segments of a rate changing linearly.
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isScalar, isSeq, type Node } from 'yaml';
import { UsageError } from '../errors.js';

export const SHAPES = ['steady', 'ramp', 'burst', 'spike', 'pause'] as const;
export type ShapeName = (typeof SHAPES)[number];

export type Shape =
  | { shape: 'steady'; rate: number; duration: number; count: number }
  | { shape: 'ramp'; from: number; to: number; duration: number }
  | { shape: 'burst'; count: number }
  | { shape: 'spike'; base: number; peak: number; at: number; for: number; duration: number }
  | { shape: 'pause'; duration: number };

/** A stretch of time whose rate goes linearly from `from` to `to` (a burst: duration 0). */
export interface Segment {
  start: number;
  duration: number;
  from: number;
  to: number;
  /** messages in this segment */
  count: number;
  /** index of its first message in the whole profile */
  first: number;
}

export interface LoadProfile {
  shapes: Shape[];
  segments: Segment[];
  total: number;
  /** seconds from the first to the end of the last segment */
  duration: number;
}

export const PROFILE_LIMITS = { total: 10_000_000, rate: 1_000_000, seconds: 7 * 24 * 3600 } as const;

const KEYS: Record<ShapeName, { required: string[]; optional: string[] }> = {
  steady: { required: ['duration'], optional: ['rate', 'count'] },
  ramp: { required: ['from', 'to', 'duration'], optional: [] },
  burst: { required: ['count'], optional: [] },
  spike: { required: ['peak', 'for', 'duration'], optional: ['base', 'at'] },
  pause: { required: ['duration'], optional: [] },
};
const DURATION_KEYS = new Set(['duration', 'at', 'for']);

const USAGE =
  'shapes: steady:rate=R,duration=D (or count=N,duration=D), ramp:from=R,to=R,duration=D, burst:count=N, ' +
  'spike:base=R,peak=R,at=D,for=D,duration=D, pause:duration=D; join shapes with "+", or pass a YAML file (a list of them)';

/** "90", "90s", "1.5m", "2h" -> seconds, or undefined */
export function parseSeconds(v: unknown): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(String(v).trim());
  if (!m) return undefined;
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
}

/** One shape from its fields; `where` names it in errors ("--load", "profile.yaml:3"). */
export function shapeFrom(name: string, fields: Record<string, unknown>, where: string): Shape {
  if (!(SHAPES as readonly string[]).includes(name)) throw bad(where, `shape "${name}": must be one of ${SHAPES.join(', ')}`);
  const spec = KEYS[name as ShapeName];
  for (const k of Object.keys(fields))
    if (!spec.required.includes(k) && !spec.optional.includes(k))
      throw bad(where, `${name}: "${k}" is not a field of ${name} (fields: ${[...spec.required, ...spec.optional].join(', ')})`);
  for (const k of spec.required) if (fields[k] === undefined) throw bad(where, `${name}: ${k} is required`);
  const num = (k: string, fallback?: number): number => {
    const raw = fields[k];
    if (raw === undefined) return fallback!;
    if (DURATION_KEYS.has(k)) {
      const s = parseSeconds(raw);
      if (s === undefined || s > PROFILE_LIMITS.seconds)
        throw bad(where, `${name}: ${k} = ${JSON.stringify(raw)} must be a duration like 90s, 10m or 2h, at most 7 days`);
      return s;
    }
    const n = typeof raw === 'number' ? raw : /^\d+(\.\d+)?$/.test(String(raw).trim()) ? Number(raw) : NaN;
    if (k === 'count' && (!Number.isInteger(n) || n < 0 || n > PROFILE_LIMITS.total))
      throw bad(where, `${name}: count = ${JSON.stringify(raw)} must be a whole number from 0 to ${PROFILE_LIMITS.total}`);
    if (!Number.isFinite(n) || n < 0 || n > PROFILE_LIMITS.rate)
      throw bad(where, `${name}: ${k} = ${JSON.stringify(raw)} must be a number of messages per second from 0 to ${PROFILE_LIMITS.rate}`);
    return n;
  };
  switch (name as ShapeName) {
    case 'steady': {
      const duration = num('duration');
      const hasRate = fields.rate !== undefined;
      if (hasRate === (fields.count !== undefined)) throw bad(where, 'steady: give exactly one of rate and count (with duration)');
      if (duration === 0) throw bad(where, 'steady: duration must be more than 0 (for all at once, use burst:count=N)');
      const rate = hasRate ? num('rate') : num('count') / duration;
      const count = hasRate ? Math.round(rate * duration) : num('count');
      return { shape: 'steady', rate, duration, count };
    }
    case 'ramp': {
      const duration = num('duration');
      if (duration === 0) throw bad(where, 'ramp: duration must be more than 0');
      return { shape: 'ramp', from: num('from'), to: num('to'), duration };
    }
    case 'burst':
      return { shape: 'burst', count: num('count') };
    case 'spike': {
      const s = {
        shape: 'spike' as const,
        base: num('base', 0),
        peak: num('peak'),
        at: num('at', 0),
        for: num('for'),
        duration: num('duration'),
      };
      if (s.for === 0) throw bad(where, 'spike: for must be more than 0');
      if (s.at + s.for > s.duration) throw bad(where, `spike: at + for (${s.at + s.for}s) must fit in duration (${s.duration}s)`);
      return s;
    }
    case 'pause':
      return { shape: 'pause', duration: num('duration') };
  }
}

function bad(where: string, rule: string): UsageError {
  return new UsageError(`load profile (${where}): ${rule}`, `fix the profile; ${USAGE}`);
}

/** "steady:rate=50,duration=10m+burst:count=1000" */
export function parseLoadSpec(spec: string, where = '--load'): Shape[] {
  const parts = spec.split('+').map((p) => p.trim());
  if (parts.some((p) => p === '')) throw bad(where, `"${spec}" has an empty shape`);
  return parts.map((part) => {
    const [name, rest = ''] = part.split(/:(.*)/s, 2) as [string, string?];
    const fields: Record<string, unknown> = {};
    for (const kv of rest.split(',').filter((x) => x.trim() !== '')) {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw bad(where, `"${kv}" in "${part}" must be key=value`);
      fields[kv.slice(0, eq).trim()] = kv.slice(eq + 1).trim();
    }
    return shapeFrom(name.trim(), fields, where);
  });
}

/** A YAML file: a list of shapes, each a mapping ({shape: ramp, from: 0, to: 50, duration: 5m}) or a spec string. */
export function parseLoadFile(path: string, text = readText(path)): Shape[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const at = (n: Node | null | undefined) => `${path}:${n?.range ? lines.linePos(n.range[0]).line : 1}`;
  if (doc.errors.length > 0)
    throw bad(`${path}:${lines.linePos(doc.errors[0]!.pos[0]).line}`, `does not parse as YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  let list = doc.contents as Node | null;
  if (isMap(list) && list.get('profile', true)) list = list.get('profile', true) as Node;
  if (!isSeq(list) || list.items.length === 0) throw bad(at(list), 'must be a non-empty list of shapes (or profile: with one)');
  const shapes: Shape[] = [];
  for (const item of list.items as Node[]) {
    if (isScalar(item) && typeof item.value === 'string') shapes.push(...parseLoadSpec(item.value, at(item)));
    else if (isMap(item)) {
      const fields = item.toJSON() as Record<string, unknown>;
      const { shape, ...rest } = fields;
      if (typeof shape !== 'string') throw bad(at(item), `each shape needs "shape:" (${SHAPES.join(', ')})`);
      shapes.push(shapeFrom(shape, rest, at(item)));
    } else throw bad(at(item), 'each item must be a mapping with shape: or a spec like steady:rate=5,duration=1m');
  }
  return shapes;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(
      `cannot read the load profile ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String((e as Error).message)}`,
      'pass an existing YAML file, or a spec like steady:rate=50,duration=10m',
    );
  }
}

/** A spec or a file: anything ending in .yaml / .yml is a file. */
export function loadProfileFrom(arg: string, resolvePath: (p: string) => string = (p) => p): LoadProfile {
  const shapes = /\.ya?ml$/i.test(arg.trim()) ? parseLoadFile(resolvePath(arg.trim())) : parseLoadSpec(arg);
  return buildProfile(shapes);
}

/** Shapes -> segments with exact message counts. */
export function buildProfile(shapes: Shape[]): LoadProfile {
  const segments: Segment[] = [];
  let start = 0;
  let first = 0;
  const push = (duration: number, from: number, to: number, count: number) => {
    segments.push({ start, duration, from, to, count, first });
    start += duration;
    first += count;
  };
  const area = (from: number, to: number, d: number) => Math.round(((from + to) / 2) * d);
  for (const s of shapes) {
    switch (s.shape) {
      case 'steady':
        push(s.duration, s.rate, s.rate, s.count);
        break;
      case 'ramp':
        push(s.duration, s.from, s.to, area(s.from, s.to, s.duration));
        break;
      case 'burst':
        push(0, 0, 0, s.count);
        break;
      case 'spike':
        if (s.at > 0) push(s.at, s.base, s.base, area(s.base, s.base, s.at));
        push(s.for, s.peak, s.peak, area(s.peak, s.peak, s.for));
        if (s.duration - s.at - s.for > 0) push(s.duration - s.at - s.for, s.base, s.base, area(s.base, s.base, s.duration - s.at - s.for));
        break;
      case 'pause':
        push(s.duration, 0, 0, 0);
        break;
    }
  }
  if (first === 0) throw new UsageError('load profile: sends no messages', `give it a rate or a count; ${USAGE}`);
  if (first > PROFILE_LIMITS.total)
    throw new UsageError(
      `load profile: ${first} messages in total, more than ${PROFILE_LIMITS.total}`,
      'use a lower rate or a shorter duration',
    );
  return { shapes, segments, total: first, duration: start };
}

/** Seconds into segment `g` at which a fraction y (0..1) of its messages has come. */
function timeWithin(g: Segment, y: number): number {
  if (g.duration === 0 || y <= 0) return 0;
  if (g.from === g.to) return y * g.duration;
  // solve from*t + (to-from)*t^2/(2D) = y*total, in the form that stays exact as to -> from
  const a = (g.to - g.from) / (2 * g.duration);
  const c = y * ((g.from + g.to) / 2) * g.duration;
  return Math.min(g.duration, (2 * c) / (g.from + Math.sqrt(Math.max(0, g.from * g.from + 4 * a * c))));
}

function segmentOfMessage(p: LoadProfile, i: number): Segment {
  if (!(i >= 0 && i < p.total)) throw new RangeError(`message ${i} is outside the profile (0..${p.total - 1})`);
  let lo = 0;
  let hi = p.segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (p.segments[mid]!.first <= i) lo = mid;
    else hi = mid - 1;
  }
  // skip empty segments that share the same first index
  while (p.segments[lo]!.count === 0 || p.segments[lo]!.first + p.segments[lo]!.count <= i) lo++;
  return p.segments[lo]!;
}

/** When message i (0-based) is due, in seconds from the start. */
export function arrivalTime(p: LoadProfile, i: number): number {
  const g = segmentOfMessage(p, i);
  return g.start + timeWithin(g, (i - g.first) / g.count);
}

/** Every message's due time, in order (what simulate feeds its queue). */
export function arrivalTimes(p: LoadProfile): Float64Array {
  const out = new Float64Array(p.total);
  for (const g of p.segments) for (let j = 0; j < g.count; j++) out[g.first + j] = g.start + timeWithin(g, j / g.count);
  return out;
}

/** Messages due by `t` seconds (what produce's live line calls the target). */
export function targetAt(p: LoadProfile, t: number): number {
  let n = 0;
  for (const g of p.segments) {
    if (t < g.start) break;
    if (g.duration === 0 || t >= g.start + g.duration) {
      n = g.first + g.count;
      continue;
    }
    if (g.count === 0) {
      n = g.first;
      break;
    }
    // messages j with timeWithin(j / count) <= t - start
    const tau = t - g.start;
    const done = (g.from * tau + ((g.to - g.from) * tau * tau) / (2 * g.duration)) / (((g.from + g.to) / 2) * g.duration);
    n = g.first + Math.min(g.count, Math.floor(done * g.count + 1e-9) + 1);
    break;
  }
  return n;
}

/** "ramp 0→50/s over 5m + steady 50/s for 10m: 37500 messages over 15m" */
export function describeProfile(p: LoadProfile): string {
  const d = (s: number) => (s >= 3600 && s % 3600 === 0 ? `${s / 3600}h` : s >= 60 && s % 60 === 0 ? `${s / 60}m` : `${+s.toFixed(3)}s`);
  const r = (x: number) => `${+x.toFixed(3)}/s`;
  const one = (s: Shape) => {
    switch (s.shape) {
      case 'steady':
        return `steady ${r(s.rate)} for ${d(s.duration)}`;
      case 'ramp':
        return `ramp ${r(s.from)}→${r(s.to)} over ${d(s.duration)}`;
      case 'burst':
        return `burst of ${s.count}`;
      case 'spike':
        return `spike to ${r(s.peak)} at ${d(s.at)} for ${d(s.for)} over ${r(s.base)} for ${d(s.duration)}`;
      case 'pause':
        return `pause ${d(s.duration)}`;
    }
  };
  return `${p.shapes.map(one).join(' + ')}: ${p.total} messages${p.duration > 0 ? ` over ${d(p.duration)}` : ''}`;
}
