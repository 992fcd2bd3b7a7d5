// Builds the commander program. Every command is registered the same way: its flags, its help, and a
// lazy import of its module, so `kedactl --help` loads nothing heavy.
import { Command, Option } from 'commander';
import { FIELDS, type SettingKey } from './core/settings.js';
import type { CommandContext } from './commands/context.js';

export interface CommandModule {
  run(opts: Record<string, unknown>, ctx: CommandContext, args: string[]): Promise<void>;
}

type Loader = () => Promise<CommandModule>;

const count = (_v: string, prev: number) => prev + 1;

/** The stack-settings flags, declared once in core/settings.ts. */
function addSettings(cmd: Command, only?: readonly SettingKey[]): Command {
  cmd.option('--config <file>', 'settings file (default: ./kedactl.yaml when present)');
  for (const f of FIELDS) {
    if (only && !only.includes(f.key)) continue;
    const flags = f.key === 'namespace' ? '-n, --namespace <name>' : f.kind === 'bool' ? `--${f.flag}` : `--${f.flag} <${f.kind === 'int' ? 'n' : 'value'}>`;
    // choices are checked by the settings model, so every problem is reported at once
    cmd.addOption(new Option(flags, f.choices ? `${f.describe} (${f.choices.join(', ')})` : f.describe));
  }
  return cmd;
}

function register(program: Command, ctx: CommandContext, name: string, describe: string, load: Loader, setup: (c: Command) => void, examples: string[]) {
  const cmd = program.command(name).description(describe);
  setup(cmd);
  cmd.option('-v, --verbose', 'more detail on stderr (repeat for more)', count, 0);
  if (examples.length) cmd.addHelpText('after', `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}\n`);
  cmd.action(async (...params: unknown[]) => {
    const self = params[params.length - 1] as Command;
    const mod = await load();
    await mod.run(self.opts(), ctx, self.args);
  });
  return cmd;
}

export function buildProgram(ctx: CommandContext, version: string): Command {
  const program = new Command('kedactl')
    .description('From nothing to a working, observable KEDA + AWS SQS autoscaling stack on Kubernetes, and back to nothing.')
    .version(version, '--version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .addHelpText('after', `
The flow:
  kedactl plan        what init would create or change (reads, changes nothing)
  kedactl render      write every manifest and IAM document to a folder (GitOps)
  kedactl init        create it (asks, shows the plan, applies)
  kedactl produce     send test messages
  kedactl watch       queue depth, Jobs and Pods, live
  kedactl results     processed / killed counts
  kedactl status      is it healthy?
  kedactl teardown    remove it all

Settings come from flags, then KEDACTL_* variables, then AWS_REGION / AWS_PROFILE / AWS_ENDPOINT_URL,
then kedactl.yaml, then defaults. Run 'kedactl <command> --help' for a command's flags.
`);

  const skipOption = (c: Command) =>
    c.option('--skip <part>', 'leave out a part: aws, keda or kubernetes (repeatable)', (v: string, prev: string[] = []) => [...prev, v]);
  register(program, ctx, 'plan', 'show what init would create or change: queue, IAM roles and policies, KEDA, Kubernetes objects', () => import('./commands/plan.js'),
    (c) => {
      addSettings(c);
      c.addOption(new Option('-o, --output <format>', 'text, json or yaml').choices(['text', 'json', 'yaml']).default('text'));
      c.option('--offline', 'read nothing from AWS or the cluster: show everything as to be created');
      skipOption(c);
    },
    ['kedactl plan --region eu-west-1', 'kedactl plan --stack demo --region eu-west-1 --account-id 123456789012 --oidc-issuer https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE -o json'],
  );
  register(program, ctx, 'render', 'write every manifest (YAML) and IAM document (JSON) to a folder, with an index', () => import('./commands/render.js'),
    (c) => {
      addSettings(c);
      c.requiredOption('--out <dir>', 'folder to write into (created if missing)');
    },
    ['kedactl render --out ./stack --stack demo --region eu-west-1 --account-id 123456789012 --cluster demo --oidc-issuer https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE'],
  );
  register(program, ctx, 'init', 'create the stack: SQS queue, IAM roles, KEDA (helm), Kubernetes objects; shows the plan first', () => import('./commands/init.js'),
    (c) => {
      addSettings(c);
      skipOption(c);
      c.option('--yes', 'apply without asking (needed without a terminal)');
      c.option('--create-oidc-provider', "create the cluster's IAM OIDC provider if it is missing (IRSA needs it)");
      c.option('--no-wait', 'do not wait for KEDA and the result analyzer to become ready');
      c.option('--force-conflicts', 'take over fields someone changed with another tool (server-side apply conflicts)');
      c.option('--no-write-config', 'do not save the settings to kedactl.yaml (the cluster records them either way)');
    },
    [
      'kedactl init                                   # asks what it needs, writes kedactl.yaml',
      'kedactl init --stack demo --region eu-west-1 --cluster demo --yes',
      'kedactl init --auth static --endpoint-url http://localhost:4566 --region us-east-1 --yes   # kind/minikube + an SQS emulator',
      'kedactl init --skip keda --yes                 # KEDA is managed elsewhere',
    ],
  );
  register(program, ctx, 'teardown', 'delete everything the stack created (found by tags and labels), Kubernetes first, then AWS', () => import('./commands/teardown.js'),
    (c) => {
      addSettings(c);
      skipOption(c);
      c.option('--yes', 'delete without asking (needed without a terminal)');
      c.option('--keep-keda', 'keep KEDA even if kedactl installed it and nothing else uses it');
    },
    ['kedactl teardown', 'kedactl teardown --stack demo --yes', 'kedactl teardown --skip aws --yes'],
  );
  register(program, ctx, 'status', 'is the stack healthy? queue, roles, KEDA, ScaledJob, Jobs, results (exit 1 when not)', () => import('./commands/status.js'),
    (c) => {
      addSettings(c);
      skipOption(c);
      c.addOption(new Option('-o, --output <format>', 'text or json').choices(['text', 'json']).default('text'));
    },
    ['kedactl status', 'kedactl status --stack demo -o json'],
  );
  register(program, ctx, 'produce', 'send messages to the stack\'s queue (SendMessageBatch, in parallel, retried until sent)', () => import('./commands/produce.js'),
    (c) => {
      addSettings(c);
      c.option('--count <n>', 'messages to send (default 10)');
      c.option('--concurrency <n>', 'batches in flight at once (default 16)');
      c.option('--rate <n>', 'at most this many messages per second');
      c.option('--body-file <file>', 'message body; {{videoId}}, {{quality}}, {{sentAt}} and {{index}} are filled in per message');
      c.addOption(new Option('-o, --output <format>', 'text or json').choices(['text', 'json']).default('text'));
    },
    ['kedactl produce --stack demo --count 10000', 'kedactl produce --stack demo --count 600 --rate 20', 'kedactl produce --stack demo --body-file body.json -o json'],
  );
  register(program, ctx, 'results', "read the result analyzer's counts (processed / killed Jobs) through the API server, no exec", () => import('./commands/results.js'),
    (c) => {
      addSettings(c);
      c.addOption(new Option('-o, --output <format>', 'text or json').choices(['text', 'json']).default('text'));
      c.option('--reset', 'set the counts back to zero (POST /reset)');
    },
    ['kedactl results --stack demo', 'kedactl results --stack demo -o json', 'kedactl results --stack demo --reset'],
  );
  register(program, ctx, 'watch', 'live view of queue depth, Jobs and Pods over time (a screen on a terminal, NDJSON when piped)', () => import('./commands/watch.js'),
    (c) => {
      addSettings(c, ['stack', 'region', 'profile', 'endpointUrl', 'kubeconfig', 'context', 'namespace', 'queueName', 'deadLetterQueue']);
      c.addOption(new Option('-o, --output <format>', 'text (the screen on a terminal, summary lines when piped) or ndjson (default: text on a terminal, ndjson otherwise)').choices(['text', 'ndjson']));
      c.option('--once', 'print the current state once and exit');
      c.option('--until-empty', 'exit 0 once the queue is empty and no Job is active (with --timeout: exit 1 if it takes longer)');
      c.option('--timeout <duration>', 'stop after this long (90s, 10m, 1h); with --until-empty, failing');
      c.option('--interval <seconds>', 'seconds between queue reads (default 2)');
    },
    ['kedactl watch --stack demo', 'kedactl watch --stack demo -o ndjson --until-empty --timeout 10m', 'kedactl watch --stack demo --once'],
  );
  return program;
}
