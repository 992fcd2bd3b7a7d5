// Asks the wizard's questions on the terminal (@inquirer/prompts), validating each answer as typed.
import type { Question } from '../core/stack/wizard.js';
import type { Settings } from '../core/stack/settings.js';
import type { IoHost } from './io.js';

export type Asker = (q: Question, soFar: Partial<Settings>) => Promise<string>;

export function terminalAsker(host: IoHost): Asker {
  const ctx = { input: host.streams.stdin, output: host.streams.stderr };
  return async (q, soFar) => {
    const p = await import('@inquirer/prompts');
    const validate = (v: string) => q.validate(v, soFar) ?? true;
    switch (q.kind) {
      case 'select':
        return p.select(
          {
            message: q.message,
            default: q.default,
            choices: q.choices!.map((c) => ({ value: c.value, name: c.name, description: c.description })),
          },
          ctx,
        );
      case 'confirm':
        return (await p.confirm({ message: q.message, default: q.default === 'yes' }, ctx)) ? 'yes' : 'no';
      default:
        return p.input({ message: q.message, default: q.default, validate }, ctx);
    }
  };
}
