import { describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { TaskList } from '../../src/ui/tasks.tsx';
import { TaskStore } from '../../src/ui/task-store.ts';

const tick = () => new Promise((r) => setTimeout(r, 120));

describe('task list (ink)', () => {
  it('shows running steps with a spinner, then ✓ with their time, in order', async () => {
    let now = 0;
    const store = new TaskStore(() => now);
    const ui = render(<TaskList store={store} />);
    const a = store.start('create SQS queue demo-queue');
    store.update(a, { detail: 'attributes' });
    await tick();
    expect(ui.lastFrame()).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] create SQS queue demo-queue attributes/);
    now = 1500;
    store.end(a, 'done');
    store.line('warn', 'IAM is eventually consistent');
    const b = store.start('apply ScaledJob');
    now = 1700;
    store.end(b, 'failed');
    await tick();
    const frame = ui.frames.join('\n');
    expect(frame).toContain('✓ create SQS queue demo-queue (1.5s)');
    expect(frame).toContain('warning: IAM is eventually consistent');
    expect(frame).toContain('✗ apply ScaledJob (0.2s)');
    expect(frame.indexOf('✓ create SQS')).toBeLessThan(frame.indexOf('✗ apply'));
    ui.unmount();
  });
});
