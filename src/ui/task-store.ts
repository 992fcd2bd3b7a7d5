// Plain data behind the task list: steps with their state and timing. Ink subscribes; tests read it.
export type TaskState = 'running' | 'done' | 'failed';

export interface Task {
  id: number;
  title: string;
  state: TaskState;
  detail?: string;
  startedAt: number;
  endedAt?: number;
}

export interface Line {
  id: number;
  level: 'info' | 'warn';
  text: string;
}

export class TaskStore {
  tasks: Task[] = [];
  lines: Line[] = [];
  private listeners = new Set<() => void>();
  private next = 0;
  constructor(private readonly now: () => number = () => performance.now()) {}

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  private emit() {
    for (const l of this.listeners) l();
  }
  start(title: string): Task {
    const t: Task = { id: this.next++, title, state: 'running', startedAt: this.now() };
    this.tasks = [...this.tasks, t];
    this.emit();
    return t;
  }
  update(t: Task, patch: Partial<Task>) {
    this.tasks = this.tasks.map((x) => (x.id === t.id ? { ...x, ...patch } : x));
    this.emit();
  }
  end(t: Task, state: 'done' | 'failed') {
    this.update(t, { state, endedAt: this.now() });
  }
  line(level: Line['level'], text: string) {
    this.lines = [...this.lines, { id: this.next++, level, text }];
    this.emit();
  }
}
