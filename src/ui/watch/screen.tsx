// The live watch screen (ink). It subscribes to the WatchStore, redraws at a bounded rate, and fits
// itself to the terminal: the numbers always, then the chart, the pods table and the events as room allows.
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { Box, Text, useInput, useStdin, useWindowSize } from 'ink';
import type { WatchStore } from '../../core/watch/session.js';
import { podsNewestFirst, type PodRow, type WatchState } from '../../core/watch/state.js';
import { consumerKinds, snapshot, type ScalerSnapshot, type Snapshot } from '../../core/watch/snapshot.js';
import { chart, duration, type Cell } from './chart.js';

export interface WatchHeader {
  stack: string;
  context: string;
  namespace: string;
  queue: string;
  region: string;
  kedaVersion?: string;
}

export interface WatchScreenProps {
  store: Pick<WatchStore, 'state' | 'subscribe'>;
  header: WatchHeader;
  /** shortest time between two redraws (ms, default 100: at most 10 frames a second) */
  minRedrawMs?: number;
  queueIntervalMs?: number;
  now?: () => number;
  /** fixed size (tests); default the terminal's */
  size?: { columns: number; rows: number };
  onQuit?: () => void;
  /** one still frame (--once): no chart (there is no history yet) and no key line */
  still?: boolean;
  /** called after each frame is committed, with the state version it shows (benchmark) */
  onFrame?: (version: number) => void;
  /** what the Pods table says while there are none (the workload's words; default the job workload's) */
  noPods?: string;
}

const NO_PODS = 'no pods yet: KEDA starts one Job per message when the queue has messages';

const PHASE_COLOR: Record<string, string> = { Running: 'green', Pending: 'yellow', Succeeded: 'blue', Failed: 'red', Unknown: 'gray' };

/** Subscribe to the store, but hand out a new state at most once per `minMs`. */
function useThrottledState(store: WatchScreenProps['store'], minMs: number, paused: boolean): WatchState {
  const [state, setState] = useState(store.state);
  const last = useRef(0);
  const timer = useRef<NodeJS.Timeout | undefined>(undefined);
  useEffect(() => {
    if (paused) return;
    const flush = () => {
      timer.current = undefined;
      last.current = Date.now();
      setState(store.state);
    };
    flush();
    const unsubscribe = store.subscribe(() => {
      if (timer.current) return;
      const wait = minMs - (Date.now() - last.current);
      if (wait <= 0) flush();
      else timer.current = setTimeout(flush, wait);
    });
    return () => {
      unsubscribe();
      if (timer.current) clearTimeout(timer.current);
      timer.current = undefined;
    };
  }, [store, minMs, paused]);
  return state;
}

/** Re-render once a second, so ages stay true when nothing changes. */
function useClock(now: () => number, paused: boolean): number {
  const [t, setT] = useState(now());
  useEffect(() => {
    if (paused) return;
    const i = setInterval(() => setT(now()), 1000);
    return () => clearInterval(i);
  }, [now, paused]);
  return t;
}

function age(ms: number): string {
  return duration(Math.max(0, Math.round(ms / 1000)));
}

function Header({ h, snap, paused, columns }: { h: WatchHeader; snap: Snapshot; paused: boolean; columns: number }) {
  const conn =
    snap.connection === 'live' ? (
      <Text color="green">● live</Text>
    ) : snap.connection === 'connecting' ? (
      <Text color="yellow">○ connecting…</Text>
    ) : (
      <Text color="yellow">◌ reconnecting…</Text>
    );
  return (
    <Box width={columns}>
      <Text wrap="truncate-end">
        {conn}
        {paused ? <Text color="cyan"> ⏸ paused</Text> : null} <Text dimColor>·</Text> stack <Text bold>{h.stack}</Text>{' '}
        <Text dimColor>·</Text> context {h.context} <Text dimColor>·</Text> ns {h.namespace} <Text dimColor>·</Text> queue {h.queue} (
        {h.region}) <Text dimColor>·</Text> KEDA {h.kedaVersion ?? '?'}
      </Text>
    </Box>
  );
}

function Num({ n, label, color }: { n: number | undefined; label: string; color?: string }) {
  return (
    <Text>
      <Text bold color={color}>
        {n === undefined ? '–' : String(n).padStart(4)}
      </Text>{' '}
      {label}
      {'  '}
    </Text>
  );
}

function Scaler({ label, view, conn }: { label: string; view: ScalerSnapshot; conn: { state: string; synced: boolean } }) {
  return (
    <Text wrap="truncate-end">
      <Text dimColor>{label}</Text>{' '}
      {conn.state === 'missing' ? (
        <Text color="yellow">not served by this cluster (is KEDA installed?)</Text>
      ) : !view.exists ? (
        <Text color="yellow">{conn.synced ? 'not found (run kedactl init)' : 'reading…'}</Text>
      ) : view.problem ? (
        <Text color="red">{view.problem}</Text>
      ) : (
        <Text>
          {view.ready === undefined ? 'no status yet' : view.ready ? <Text color="green">ready</Text> : 'not ready'}
          {view.active !== undefined ? `, ${view.active ? 'active' : 'idle'}` : ''}
        </Text>
      )}
    </Text>
  );
}

/** how many lines Numbers draws for this snapshot */
function numbersLines(snap: Snapshot): number {
  return 3 + [snap.jobs, snap.deployment, snap.hpa, snap.scaledJob, snap.scaledObject].filter(Boolean).length;
}

function Numbers({ s, snap, now }: { s: WatchState; snap: Snapshot; now: number }) {
  const q = snap.queue;
  const kubeNotLive = consumerKinds(s).find((k) => s.connections[k]!.state !== 'live');
  const notLive = kubeNotLive ? s.connections[kubeNotLive]! : undefined;
  const kubeAge = notLive ? (
    <Text color="yellow">
      {' '}
      (as of {age(now - notLive.since)} ago: {notLive.state}
      {notLive.error ? ` – ${notLive.error}` : ''})
    </Text>
  ) : null;
  const missingOrReading = (kind: 'deployment' | 'hpa', missing: string) => (
    <Text color="yellow">{s.connections[kind]?.synced ? missing : 'reading…'}</Text>
  );
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text dimColor>queue </Text>
        {q ? (
          <>
            <Num n={q.visible} label="visible" color="cyan" />
            <Num n={q.inFlight} label="in flight" />
            <Num n={q.delayed} label="delayed" />
            {q.deadLetter !== undefined ? (
              <Num n={q.deadLetter} label="in dead-letter queue" color={q.deadLetter ? 'red' : undefined} />
            ) : null}
            {q.stale ? (
              <Text color="yellow">
                (stale: {q.ageSeconds}s old{snap.queueError ? ` – ${snap.queueError}` : ''})
              </Text>
            ) : null}
          </>
        ) : (
          <Text color="yellow">unknown{snap.queueError ? ` – ${snap.queueError}` : ' – reading…'}</Text>
        )}
      </Text>
      {snap.jobs ? (
        <Text wrap="truncate-end">
          <Text dimColor>jobs </Text>
          <Num n={snap.jobs.active} label="active" color="magenta" />
          <Num n={snap.jobs.succeeded} label="succeeded" color="blue" />
          <Num n={snap.jobs.failed} label="failed" color={snap.jobs.failed ? 'red' : undefined} />
          {kubeAge}
        </Text>
      ) : null}
      {snap.deployment ? (
        <Text wrap="truncate-end">
          <Text dimColor>deployment </Text>
          {snap.deployment.exists ? (
            <>
              <Num n={snap.deployment.desired} label="desired" color="magenta" />
              <Num n={snap.deployment.ready} label="ready" color="green" />
            </>
          ) : (
            missingOrReading('deployment', 'not found (run kedactl init)')
          )}
          {kubeAge}
        </Text>
      ) : null}
      {snap.hpa ? (
        <Text wrap="truncate-end">
          <Text dimColor>hpa </Text>
          {snap.hpa.exists ? (
            <>
              <Num n={snap.hpa.current} label="current" />
              <Num n={snap.hpa.desired} label="desired" color="magenta" />
              {snap.hpa.max !== undefined ? <Text dimColor>(max {snap.hpa.max}) </Text> : null}
              {snap.hpa.problem ? (
                <Text color="red">{snap.hpa.problem}</Text>
              ) : snap.hpa.limited ? (
                <Text color="yellow">{snap.hpa.limited}</Text>
              ) : null}
            </>
          ) : (
            missingOrReading('hpa', 'none yet (KEDA makes it for the ScaledObject)')
          )}
        </Text>
      ) : null}
      <Text wrap="truncate-end">
        <Text dimColor>pods </Text>
        <Num n={snap.pods.pending} label="pending" color="yellow" />
        <Num n={snap.pods.running} label="running" color="green" />
        <Num n={snap.pods.terminating} label="terminating" />
        {kubeAge}
      </Text>
      <Text wrap="truncate-end">
        <Text dimColor>results </Text>
        {snap.results ? (
          <>
            <Num n={snap.results.processed} label="processed" color="green" />
            <Num n={snap.results.killed} label="killed" color={snap.results.killed ? 'red' : undefined} />
            {snap.results.stale ? (
              <Text color="yellow">
                (stale: {snap.results.ageSeconds}s old{snap.resultsError ? ` – ${snap.resultsError}` : ''})
              </Text>
            ) : null}
          </>
        ) : (
          <Text color="yellow">results unavailable{snap.resultsError ? ` – ${snap.resultsError}` : ''}</Text>
        )}
      </Text>
      {snap.scaledJob ? <Scaler label="scaledjob" view={snap.scaledJob} conn={s.connections.scaledJob!} /> : null}
      {snap.scaledObject ? <Scaler label="scaledobject" view={snap.scaledObject} conn={s.connections.scaledObject!} /> : null}
    </Box>
  );
}

const CELL: Record<Cell, { ch: string; color?: string }> = {
  q: { ch: '█', color: 'cyan' },
  r: { ch: '●', color: 'magenta' },
  b: { ch: '●', color: 'magenta' },
  u: { ch: '·', color: 'gray' },
  ' ': { ch: ' ' },
};

function ChartView({ s, width, height, running }: { s: WatchState; width: number; height: number; running: string }) {
  const labelW = 6;
  const c = chart(s.history, Math.max(10, width - 2 * labelW - 2), height);
  const runs = (row: Cell[]) => {
    const out: Array<{ cell: Cell; n: number }> = [];
    for (const cell of row) {
      const last = out[out.length - 1];
      if (last && last.cell === cell) last.n++;
      else out.push({ cell, n: 1 });
    }
    return out;
  };
  const edge = (y: number, top: number) => (y === 0 ? String(top) : y === c.rows.length - 1 ? '0' : '');
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text color="cyan">█ queue depth</Text> (visible + in flight, left scale) and <Text color="magenta">● {running}</Text> (right scale)
        <Text dimColor>, last {duration(c.spanSeconds)}</Text>
      </Text>
      {c.rows.map((row, y) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a chart row is its position, rows are never reordered
        <Text key={y}>
          <Text color="cyan">{edge(y, c.maxQueue).padStart(labelW - 1)}</Text>
          <Text dimColor> │</Text>
          {runs(row).map((r, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a run of cells is its position in the row
            <Text key={i} color={CELL[r.cell].color}>
              {CELL[r.cell].ch.repeat(r.n)}
            </Text>
          ))}
          <Text dimColor>│ </Text>
          <Text color="magenta">{edge(y, c.maxRunning)}</Text>
        </Text>
      ))}
    </Box>
  );
}

function PodsTable({
  rows,
  total,
  width,
  now,
  frozen,
  none,
}: {
  rows: PodRow[];
  total: number;
  width: number;
  now: number;
  frozen: boolean;
  none: string;
}) {
  const nameW = Math.max(12, Math.min(48, width - 44));
  const head = `${'POD'.padEnd(nameW)} ${'PHASE'.padEnd(12)} ${'AGE'.padStart(6)} ${'RESTARTS'.padStart(8)}  NODE`;
  return (
    <Box flexDirection="column">
      <Text dimColor wrap="truncate-end">
        {head}
        {frozen ? <Text color="cyan"> (frozen: space to follow)</Text> : null}
      </Text>
      {rows.length === 0 ? <Text dimColor>{none}</Text> : null}
      {rows.map((p) => {
        const phase = p.terminating ? 'Terminating' : p.phase;
        return (
          <Text key={p.name} wrap="truncate-end">
            {(p.name.length > nameW ? p.name.slice(0, nameW - 1) + '…' : p.name).padEnd(nameW)}{' '}
            <Text color={p.terminating ? 'magenta' : PHASE_COLOR[p.phase]}>{phase.padEnd(12)}</Text> {age(now - p.createdAt).padStart(6)}{' '}
            {String(p.restarts).padStart(8)}
            {'  '}
            {p.node ?? '-'}
          </Text>
        );
      })}
      {total > rows.length ? <Text dimColor>… +{total - rows.length} more</Text> : null}
    </Box>
  );
}

function Events({ s, count, now }: { s: WatchState; count: number; now: number }) {
  const rows = s.events.slice(0, count);
  if (rows.length === 0) return null;
  return (
    <Box flexDirection="column">
      <Text dimColor>EVENTS</Text>
      {rows.map((e) => (
        <Text key={e.key} wrap="truncate-end">
          <Text dimColor>{age(now - e.at).padStart(5)}</Text> <Text color={e.type === 'Warning' ? 'red' : undefined}>{e.reason}</Text>{' '}
          <Text dimColor>{e.object}</Text> {e.message}
          {e.count > 1 ? <Text dimColor> (×{e.count})</Text> : null}
        </Text>
      ))}
    </Box>
  );
}

export function WatchScreen(props: WatchScreenProps) {
  const now = props.now ?? Date.now;
  const win = useWindowSize();
  const columns = props.size?.columns ?? (win.columns || 100);
  const rows = props.size?.rows ?? (win.rows || 40);
  const [paused, setPaused] = useState(false);
  const [frozenPods, setFrozenPods] = useState<PodRow[] | undefined>(undefined);
  const s = useThrottledState(props.store, props.minRedrawMs ?? 100, paused);
  const t = useClock(now, paused);
  const { isRawModeSupported } = useStdin();
  useInput(
    (input, key) => {
      if (input === 'q' || (key.ctrl && input === 'c')) props.onQuit?.();
      else if (input === 'p') setPaused((p) => !p);
      else if (input === ' ') setFrozenPods((f) => (f ? undefined : podsNewestFirst(props.store.state)));
    },
    { isActive: Boolean(isRawModeSupported) },
  );
  // layout effect: runs in the same commit as ink's write of the frame (the benchmark times frames by it)
  useLayoutEffect(() => props.onFrame?.(s.version), [s, props.onFrame]);

  const snap = snapshot(s, t, { queueIntervalMs: props.queueIntervalMs });
  // room: header 1, numbers (5 for a Job's stack), blank lines 3, key line 1
  const free = Math.max(0, rows - 5 - numbersLines(snap));
  const chartH = props.still ? 0 : free >= 16 ? Math.min(10, Math.max(3, Math.floor(free / 4))) : free >= 8 ? 3 : 0;
  const eventsN = Math.min(s.events.length, free - chartH >= 12 ? 5 : free - chartH >= 8 ? 2 : 0);
  const podRoom = Math.max(0, free - (chartH ? chartH + 2 : 0) - (eventsN ? eventsN + 2 : 0) - 2);
  const pods = frozenPods ?? podsNewestFirst(s);
  const total = pods.length;
  const shownPods = pods.slice(0, total > podRoom ? Math.max(0, podRoom - 1) : podRoom);

  return (
    <Box flexDirection="column" width={columns}>
      <Header h={props.header} snap={snap} paused={paused} columns={columns} />
      <Text> </Text>
      <Numbers s={s} snap={snap} now={t} />
      {chartH ? (
        <Box flexDirection="column" marginTop={1}>
          <ChartView s={s} width={columns} height={chartH} running={snap.jobs ? 'running jobs' : 'running consumer Pods'} />
        </Box>
      ) : null}
      {podRoom > 0 ? (
        <Box flexDirection="column" marginTop={1}>
          <PodsTable rows={shownPods} total={total} width={columns} now={t} frozen={Boolean(frozenPods)} none={props.noPods ?? NO_PODS} />
        </Box>
      ) : null}
      {eventsN ? (
        <Box flexDirection="column" marginTop={1}>
          <Events s={s} count={eventsN} now={t} />
        </Box>
      ) : null}
      {props.still ? null : (
        <Text dimColor>
          {isRawModeSupported
            ? `q quit · p ${paused ? 'resume' : 'pause'} · space ${frozenPods ? 'follow' : 'freeze'} the table`
            : 'Ctrl-C to stop'}
        </Text>
      )}
    </Box>
  );
}
