// The result analyzer's counts, read through the API server's service proxy (no exec, no port-forward).
import { KubeApiError, type Kube } from './ports.js';
import { StateError } from '../errors.js';

export interface CountSummary {
  count: number;
  /** "YYYY-MM-DD HH:MM:SS" as the analyzer writes it (its clock, no zone) */
  first?: string;
  last?: string;
}

export interface Results {
  processed: CountSummary;
  killed: CountSummary;
  /** lines the parser did not understand (kept, so nothing is silently lost) */
  unknown: string[];
  /** the analyzer's raw event lines */
  events: string[];
}

const LINE = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) - (processed|kill) count (\d+)\s*$/;

/**
 * Parse GET /get/count: a JSON array of "YYYY-MM-DD HH:MM:SS - processed count N" / "... - kill count N".
 * Each line is one event; N is the running total at that moment, so the count is the highest N
 * (or the number of lines when totals are missing).
 */
export function parseCounts(body: string): Results {
  let lines: unknown;
  try {
    lines = JSON.parse(body);
  } catch {
    // tolerate a plain-text body with one event per line
    lines = body
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  }
  if (!Array.isArray(lines))
    throw new StateError(
      `the result analyzer answered something other than a list of events: ${body.slice(0, 200)}`,
      'check the analyzer image (--analyzer-image)',
    );
  const out: Results = { processed: { count: 0 }, killed: { count: 0 }, unknown: [], events: [] };
  const seen = { processed: 0, kill: 0 };
  for (const raw of lines) {
    const line = String(raw);
    out.events.push(line);
    const m = LINE.exec(line.trim());
    if (!m) {
      out.unknown.push(line);
      continue;
    }
    const [, at, what, n] = m as unknown as [string, string, 'processed' | 'kill', string];
    const c = what === 'processed' ? out.processed : out.killed;
    seen[what]++;
    c.count = Math.max(c.count, Number(n), seen[what]);
    if (!c.first || at < c.first) c.first = at;
    if (!c.last || at > c.last) c.last = at;
  }
  return out;
}

export interface AnalyzerService {
  namespace: string;
  name: string;
  /** the Service's port name */
  port: string;
}

async function call(kube: Kube, svc: AnalyzerService, method: 'GET' | 'POST', path: string): Promise<string> {
  const where = `service ${svc.namespace}/${svc.name}`;
  const next = `is the stack installed (kedactl init) and the analyzer running? \`kubectl -n ${svc.namespace} get deploy,svc,endpoints ${svc.name}\``;
  let res: { status: number; body: string };
  try {
    res = await kube.proxy({ namespace: svc.namespace, service: svc.name, port: svc.port, path, method });
  } catch (e) {
    if (e instanceof KubeApiError && e.status === 404) throw new StateError(`the result analyzer's ${where} does not exist`, next);
    throw e;
  }
  if (res.status >= 200 && res.status < 300) return res.body;
  let message = res.body.trim();
  try {
    message = (JSON.parse(res.body) as { message?: string }).message ?? message;
  } catch {
    /* plain text */
  }
  if (res.status === 404 && /not found/i.test(message)) {
    // the proxy answers 404 both for a missing Service and for a Service without an Endpoints object yet
    const service = await kube.get({ apiVersion: 'v1', kind: 'Service', namespace: svc.namespace, name: svc.name });
    if (!service) throw new StateError(`the result analyzer's ${where} does not exist`, next);
    throw new StateError(`the result analyzer (${where}) is not ready: no endpoints available (no analyzer pod is ready)`, next);
  }
  if (res.status === 503 || /no endpoints available|connection refused|dial tcp|error trying to reach service/i.test(message))
    throw new StateError(`the result analyzer (${where}) is not ready: ${message.slice(0, 300)}`, next);
  throw new StateError(`the result analyzer (${where}) answered ${method} ${path} with HTTP ${res.status}: ${message.slice(0, 300)}`, next);
}

/** GET /get/count through the service proxy, parsed. */
export async function readResults(kube: Kube, svc: AnalyzerService): Promise<Results> {
  return parseCounts(await call(kube, svc, 'GET', '/get/count'));
}

/** POST /reset through the service proxy. */
export async function resetResults(kube: Kube, svc: AnalyzerService): Promise<void> {
  await call(kube, svc, 'POST', '/reset');
}
