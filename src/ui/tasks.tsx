// The task list as ink: finished steps go to <Static> (printed once), running ones animate below.
import { useEffect, useState } from 'react';
import { Box, Static, Text, render, useAnimation } from 'ink';
import type { Progress } from '../core/progress.js';
import type { IoHost } from './io.js';
import { TaskStore, type Task, type Line } from './task-store.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

function seconds(t: Task): string {
  return `${(((t.endedAt ?? t.startedAt) - t.startedAt) / 1000).toFixed(1)}s`;
}

function Running({ task }: { task: Task }) {
  const { frame } = useAnimation({ interval: 80 });
  return (
    <Text>
      <Text color="cyan">{FRAMES[frame % FRAMES.length]}</Text> {task.title}
      {task.detail ? <Text dimColor> {task.detail}</Text> : null}
    </Text>
  );
}

type Item = { key: string; task?: Task; line?: Line };

export function TaskList({ store }: { store: TaskStore }) {
  const [, setTick] = useState(0);
  useEffect(() => store.subscribe(() => setTick((n) => n + 1)), [store]);
  const finished: Item[] = [
    ...store.lines.map((l) => ({ key: `l${l.id}`, line: l, order: l.id })),
    ...store.tasks.filter((t) => t.state !== 'running').map((t) => ({ key: `t${t.id}`, task: t, order: t.id })),
  ].sort((a, b) => a.order - b.order);
  const running = store.tasks.filter((t) => t.state === 'running');
  return (
    <Box flexDirection="column">
      <Static items={finished}>
        {(item) =>
          item.task ? (
            <Text key={item.key}>
              {item.task.state === 'done' ? <Text color="green">✓</Text> : <Text color="red">✗</Text>} {item.task.title}{' '}
              <Text dimColor>({seconds(item.task)})</Text>
            </Text>
          ) : (
            <Text key={item.key} color={item.line!.level === 'warn' ? 'yellow' : undefined}>
              {item.line!.level === 'warn' ? 'warning: ' : ''}
              {item.line!.text}
            </Text>
          )
        }
      </Static>
      {running.map((t) => (
        <Running key={t.id} task={t} />
      ))}
    </Box>
  );
}

/** Progress shown as a live task list on the host's stderr; call close() when the use case ends. */
export function inkProgress(host: IoHost): Progress & { close(): Promise<void>; store: TaskStore } {
  const store = new TaskStore();
  const app = render(<TaskList store={store} />, {
    stdout: host.streams.stderr,
    stdin: host.streams.stdin,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  return {
    store,
    async step(title, fn) {
      const t = store.start(title);
      try {
        const v = await fn((detail) => store.update(t, { detail }));
        store.end(t, 'done');
        return v;
      } catch (e) {
        store.end(t, 'failed');
        throw e;
      }
    },
    note: (text) => store.line('info', text),
    warn: (text) => store.line('warn', text),
    async close() {
      // render the last state (finished steps into <Static>) before the live region goes away
      app.rerender(<TaskList store={store} />);
      await app.waitUntilRenderFlush();
      app.unmount();
      await app.waitUntilExit().catch(() => undefined);
    },
  };
}

/**
 * A task list that can step aside (for a question or the plan) and come back: close() ends the live
 * region; the next step starts a new one below whatever was printed meanwhile.
 */
export function resumableInkProgress(host: IoHost): Progress & { close(): Promise<void> } {
  let live: ReturnType<typeof inkProgress> | undefined;
  const current = () => (live ??= inkProgress(host));
  return {
    step: (title, fn) => current().step(title, fn),
    note: (text) => current().note(text),
    warn: (text) => current().warn(text),
    async close() {
      const l = live;
      live = undefined;
      await l?.close();
    },
  };
}
