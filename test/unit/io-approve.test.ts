// The one rule for a yes before a change, in the I/O host: no terminal -> refuse naming the flag, never
// assume yes; a "no" -> cancelled; a "yes" -> go on.
import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { terminalHost } from '../../src/ui/io.ts';
import { CancelledError, UsageError } from '../../src/core/errors.ts';

function host(tty: boolean, answer?: boolean) {
  const stream = () => Object.assign(new PassThrough(), { isTTY: tty });
  const asked: string[] = [];
  const h = terminalHost({
    streams: { stdout: stream(), stderr: stream(), stdin: stream() },
    env: {},
    verbosity: 0,
    confirm: answer === undefined ? undefined : async (q) => (asked.push(q), answer),
  });
  return { h, asked };
}

const approval = {
  withoutTerminal: { message: 'it would delete things, and there is no terminal to ask', next: 'pass --yes' },
  declined: 'nothing was deleted',
};

describe('IoHost.approve', () => {
  it('without a terminal: a UsageError naming the flag, and nothing is asked', async () => {
    const { h, asked } = host(false, true);
    const e = await h.approve('Delete?', approval).catch((x) => x);
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toBe('it would delete things, and there is no terminal to ask');
    expect(asked).toEqual([]);
  });

  it('on a terminal: "no" is a CancelledError saying what was left, "yes" goes on', async () => {
    const no = host(true, false);
    const e = await no.h.approve('Delete?', approval).catch((x) => x);
    expect(e).toBeInstanceOf(CancelledError);
    expect(e.message).toBe('nothing was deleted');
    expect(no.asked).toEqual(['Delete?']);
    const yes = host(true, true);
    await expect(yes.h.approve('Delete?', approval)).resolves.toBeUndefined();
  });

  it('--yes approves without asking, with or without a terminal; a run told not to ask refuses like one without a terminal', async () => {
    for (const tty of [false, true]) {
      const { h, asked } = host(tty, false);
      await expect(h.approve('Delete?', { ...approval, yes: true })).resolves.toBeUndefined();
      expect(asked).toEqual([]);
    }
    const { h, asked } = host(true, true);
    const e = await h.approve('Create the OIDC provider?', { ...approval, unattended: true }).catch((x) => x);
    expect(e).toBeInstanceOf(UsageError);
    expect(e.next).toBe('pass --yes');
    expect(asked).toEqual([]);
  });
});
