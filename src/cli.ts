// Builds the commander program. Every command is registered the same way: its flags, its help, and a
// lazy import of its module, so `kedactl --help` loads nothing heavy.
import { Command, Option } from 'commander';
import { FIELDS, type SettingKey } from './core/stack/settings.js';
import { WORLD_FLAGS } from './core/simulate/world-flags.js';
import type { CommandContext, CommandFlags } from './commands/context.js';

export interface CommandModule {
  /** each command narrows CommandFlags to its own options type */
  run(opts: CommandFlags, ctx: CommandContext, args: string[]): Promise<void>;
}

type Loader = () => Promise<CommandModule>;

const count = (_v: string, prev: number) => prev + 1;

/** The stack-settings flags, declared once in core/stack/settings.ts. */
function addSettings(cmd: Command, only?: readonly SettingKey[]): Command {
  cmd.option('--config <file>', 'settings file (default: ./kedactl.yaml when present)');
  for (const f of FIELDS) {
    if (only && !only.includes(f.key)) continue;
    const flags =
      f.key === 'namespace'
        ? '-n, --namespace <name>'
        : f.kind === 'bool'
          ? `--${f.flag}`
          : `--${f.flag} <${f.kind === 'int' ? 'n' : 'value'}>`;
    // choices are checked by the settings model, so every problem is reported at once
    cmd.addOption(new Option(flags, f.choices ? `${f.describe} (${f.choices.join(', ')})` : f.describe));
  }
  return cmd;
}

/** A list of setting keys, wrapped under a label. */
function keyList(label: string, keys: string[], width = 80): string {
  const lines: string[] = [];
  let line = label;
  for (const [i, k] of keys.entries()) {
    const word = k + (i < keys.length - 1 ? ',' : '');
    if (line.length + 1 + word.length > width && line.trim().length > label.trim().length) {
      lines.push(line);
      line = ' '.repeat(label.length) + word;
    } else line += (line.length === label.length ? '' : ' ') + word;
  }
  return [...lines, line].join('\n');
}

/** What init saves to kedactl.yaml, and which of its lines another stack takes from it (from FIELDS). */
function configFileHelp(): string {
  const stack = FIELDS.filter((f) => f.perStack && f.key !== 'stack').map((f) => f.key);
  const folder = FIELDS.filter((f) => !f.perStack && f.key !== 'stack').map((f) => f.key);
  return `
kedactl.yaml holds what you gave: flags, KEDACTL_* and AWS_* variables, the
wizard's answers and the lines you wrote; never a value kedactl derived or took
from its defaults (the stack's record on its cluster keeps those). Used with
--stack naming another stack than the file's, the file gives that stack only
the settings that follow the folder, and init leaves the file as it is:
${keyList('  follow the folder: ', folder)}
${keyList('  follow the stack:  ', stack)}`;
}

/** per program: does this run's argv name the command? (unnamed commands need only name and description) */
const namedIn = new WeakMap<Command, (name: string) => boolean>();

/** -o text|json, text by default: what most commands print */
function addTextOrJson(cmd: Command): Command {
  return cmd.addOption(new Option('-o, --output <format>', 'text or json').choices(['text', 'json']).default('text'));
}

function register(
  program: Command,
  ctx: CommandContext,
  name: string,
  describe: string,
  load: Loader,
  setup: (c: Command) => void,
  examples: string[],
) {
  const cmd = program.command(name).description(describe);
  const verbose = () => cmd.option('-v, --verbose', 'more detail on stderr (repeat for more)', count, 0);
  // ~25 options per command; building them for commands this run does not use is most of `--help`'s
  // own time (-v alone keeps "[options]" in the command list)
  if (namedIn.get(program)?.(name) === false)
    return verbose().action(() => Promise.reject(new Error(`bug: command ${name} was not set up`)));
  setup(cmd);
  verbose();
  if (examples.length) cmd.addHelpText('after', `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}\n`);
  cmd.action(async (...params: unknown[]) => {
    const self = params[params.length - 1] as Command;
    const mod = await load();
    await mod.run(self.opts(), ctx, self.args);
  });
  return cmd;
}

/** With argv, only the commands argv names get their options (the rest show in the command list). */
export function buildProgram(ctx: CommandContext, version: string, argv?: readonly string[]): Command {
  const program = new Command('kedactl')
    .description('From nothing to a working, observable KEDA + AWS SQS autoscaling stack on Kubernetes, and back to nothing.')
    .version(version, '--version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    // a command's options come after its name (simulate's, before "decide"; decide's, after it)
    .enablePositionalOptions()
    .addHelpText(
      'after',
      `
The flow:
  kedactl plan        what init would create or change (reads, changes nothing)
  kedactl render      write every manifest and IAM document to a folder (GitOps)
  kedactl init        create it (asks, shows the plan, applies)
  kedactl produce     send test messages
  kedactl watch       queue depth, Jobs and Pods, live
  kedactl simulate    what KEDA would do with this ScaledJob under a load, on a virtual clock
  kedactl results     processed / killed counts
  kedactl status      is it healthy?
  kedactl doctor      why it does not scale, and the fix
  kedactl teardown    remove it all

Settings come from flags, then KEDACTL_* variables, then AWS_REGION / AWS_PROFILE / AWS_ENDPOINT_URL,
then kedactl.yaml, then defaults. Run 'kedactl <command> --help' for a command's flags.
`,
    );
  if (argv) namedIn.set(program, (name) => argv.includes(name));

  const skipOption = (c: Command) =>
    c.option('--skip <part>', 'leave out a part: aws, keda or kubernetes (repeatable)', (v: string, prev: string[] = []) => [...prev, v]);
  register(
    program,
    ctx,
    'plan',
    'show what init would create or change: queue, IAM roles and policies, KEDA, Kubernetes objects',
    () => import('./commands/plan.js'),
    (c) => {
      addSettings(c);
      c.addOption(new Option('-o, --output <format>', 'text, json or yaml').choices(['text', 'json', 'yaml']).default('text'));
      c.option('--offline', 'read nothing from AWS or the cluster: show everything as to be created');
      skipOption(c);
    },
    [
      'kedactl plan --region eu-west-1',
      'kedactl plan --stack demo --region eu-west-1 --account-id 123456789012 --oidc-issuer https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE -o json',
    ],
  );
  register(
    program,
    ctx,
    'render',
    'write every manifest (YAML) and IAM document (JSON) to a folder, with an index',
    () => import('./commands/render.js'),
    (c) => {
      addSettings(c);
      c.requiredOption('--out <dir>', 'folder to write into (created if missing)');
    },
    [
      'kedactl render --out ./stack --stack demo --region eu-west-1 --account-id 123456789012 --cluster demo --oidc-issuer https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE',
    ],
  );
  register(
    program,
    ctx,
    'init',
    'create the stack: SQS queue, IAM roles, KEDA (helm), Kubernetes objects; shows the plan first',
    () => import('./commands/init.js'),
    (c) => {
      addSettings(c);
      skipOption(c);
      c.option('--yes', 'apply without asking (needed without a terminal)');
      c.option('--create-oidc-provider', "create the cluster's IAM OIDC provider if it is missing (IRSA needs it)");
      c.option('--no-wait', 'do not wait for KEDA and the result analyzer to become ready');
      c.option('--force-conflicts', 'take over fields someone changed with another tool (server-side apply conflicts)');
      c.option('--no-write-config', 'do not save the settings you gave to kedactl.yaml (the cluster records them either way)');
      c.addHelpText('after', configFileHelp());
    },
    [
      'kedactl init                                   # asks what it needs, writes kedactl.yaml',
      'kedactl init --stack demo --region eu-west-1 --cluster demo --yes',
      'kedactl init --auth static --endpoint-url http://localhost:4566 --region us-east-1 --yes   # kind/minikube + an SQS emulator',
      'kedactl init --skip keda --yes                 # KEDA is managed elsewhere',
    ],
  );
  register(
    program,
    ctx,
    'teardown',
    'delete everything the stack created (found by tags and labels), Kubernetes first, then AWS',
    () => import('./commands/teardown.js'),
    (c) => {
      addSettings(c);
      skipOption(c);
      c.option('--yes', 'delete without asking (needed without a terminal)');
      c.option('--keep-keda', 'keep KEDA even if kedactl installed it and nothing else uses it');
    },
    ['kedactl teardown', 'kedactl teardown --stack demo --yes', 'kedactl teardown --skip aws --yes'],
  );
  register(
    program,
    ctx,
    'status',
    'is the stack healthy? queue, roles, KEDA, ScaledJob, Jobs, results (exit 1 when not)',
    () => import('./commands/status.js'),
    (c) => {
      addSettings(c);
      skipOption(c);
      addTextOrJson(c);
    },
    ['kedactl status', 'kedactl status --stack demo -o json'],
  );
  register(
    program,
    ctx,
    'doctor',
    "why a stack (or any ScaledJob) does not scale: each check's verdict, the evidence it read and the fix (reads only; exit 1 when a check fails)",
    () => import('./commands/doctor.js'),
    (c) => {
      addSettings(c);
      c.option(
        '--scaled-job <name>',
        "diagnose this ScaledJob instead of the stack's (in the namespace of -n, KEDACTL_NAMESPACE or kedactl.yaml)",
      );
      addTextOrJson(c);
    },
    [
      'kedactl doctor',
      'kedactl doctor --stack demo -o json',
      'kedactl doctor --scaled-job my-scaledjob -n jobs --region eu-west-1 --cluster prod',
    ],
  );
  register(
    program,
    ctx,
    'produce',
    "send messages to the stack's queue (SendMessageBatch, in parallel, retried until sent)",
    () => import('./commands/produce.js'),
    (c) => {
      addSettings(c);
      c.option('--count <n>', 'messages to send (default 10)');
      c.option('--concurrency <n>', 'batches in flight at once (default 16)');
      c.option('--rate <n>', 'at most this many messages per second');
      c.option(
        '--load <profile>',
        'send on a schedule: steady:rate=R,duration=D, ramp:from=R,to=R,duration=D, burst:count=N, spike:base=R,peak=R,at=D,for=D,duration=D, pause:duration=D, joined with "+", or a YAML file of them',
      );
      c.option('--body-file <file>', 'message body; {{videoId}}, {{quality}}, {{sentAt}} and {{index}} are filled in per message');
      c.option(
        '--in-cluster',
        'send from Pods in the cluster (an Indexed Job under the producer service account; init --producer in-cluster)',
      );
      c.option('--parallelism <n>', 'with --in-cluster: producer Pods sending at once, each its exact share (default 4)');
      addTextOrJson(c);
    },
    [
      'kedactl produce --stack demo --count 10000',
      'kedactl produce --stack demo --in-cluster --count 100000 --parallelism 8',
      'kedactl produce --stack demo --count 600 --rate 20',
      'kedactl produce --stack demo --load ramp:from=0,to=50,duration=5m+steady:rate=50,duration=10m',
      'kedactl produce --stack demo --body-file body.json -o json',
    ],
  );
  const simulate = register(
    program,
    ctx,
    'simulate',
    "what KEDA would do with this stack's ScaledJob under a load profile: queue depth against Jobs, time to drain, Jobs per message (virtual clock, nothing is touched)",
    () => import('./commands/simulate.js'),
    (c) => {
      addSettings(c);
      c.option(
        '--load <profile>',
        'load profile: a spec like steady:rate=50,duration=10m or burst:count=N (shapes joined with "+"), or a YAML file',
      );
      c.option('--count <n>', 'shorthand for --load burst:count=N (default 1000)');
      c.option(
        '--compare <name=values>',
        'one run per value, side by side: a setting or a simulate flag, e.g. strategy=default,accurate,eager',
      );
      for (const w of Object.values(WORLD_FLAGS)) c.option(`--${w.flag} <n>`, w.describe);
      addTextOrJson(c);
    },
    [
      'kedactl simulate --count 10000 --compare strategy=default,accurate,eager',
      'kedactl simulate --load steady:rate=2,duration=1h --compare max-replicas=20,50,100',
      'kedactl simulate --load day.yaml --failure-rate 0.05 -o json',
      'kedactl simulate decide --visible 10 --in-flight 10 --running 10 --strategy accurate',
    ],
  );
  register(
    simulate,
    ctx,
    'decide',
    "one KEDA polling cycle for the ScaledJob: the metric, activity, KEDA's max scale and the Jobs it creates (checkable against KEDA's tests)",
    () => import('./commands/simulate-decide.js'),
    (c) => {
      addSettings(c, ['queueLength', 'activationQueueLength', 'maxReplicas', 'strategy']);
      c.option('--visible <n>', 'ApproximateNumberOfMessages (default 0)');
      c.option('--in-flight <n>', 'ApproximateNumberOfMessagesNotVisible (default 0)');
      c.option('--delayed <n>', 'ApproximateNumberOfMessagesDelayed (default 0)');
      c.option('--running <n>', "the ScaledJob's Jobs not yet Complete or Failed, pending ones included (default 0)");
      c.option('--pending <n>', 'of those, Jobs whose Pods are not Running or Succeeded yet (default 0)');
      c.option('--min-replicas <n>', 'minReplicaCount (default 0, as kedactl renders)');
      c.option('--scale-on-in-flight <bool>', 'the trigger counts in-flight messages (default true, as kedactl renders)');
      c.option('--scale-on-delayed <bool>', 'the trigger counts delayed messages (default false)');
      c.option('--custom-deduction <n>', 'customScalingQueueLengthDeduction (strategy custom)');
      c.option(
        '--custom-running-percentage <value>',
        'customScalingRunningJobPercentage, as written in the ScaledJob (strategy custom; without it KEDA runs default)',
      );
      addTextOrJson(c);
    },
    [
      'kedactl simulate decide --visible 3 --running 2 --max-replicas 5',
      'kedactl simulate decide --visible 20 --running 15 --pending 10 --max-replicas 20 --strategy accurate -o json',
    ],
  );
  register(
    program,
    ctx,
    'results',
    "read the result analyzer's counts (processed / killed Jobs) through the API server, no exec",
    () => import('./commands/results.js'),
    (c) => {
      addSettings(c);
      addTextOrJson(c);
      c.option('--reset', 'set the counts back to zero (POST /reset)');
    },
    ['kedactl results --stack demo', 'kedactl results --stack demo -o json', 'kedactl results --stack demo --reset'],
  );
  register(
    program,
    ctx,
    'watch',
    'live view of queue depth, Jobs and Pods over time (a screen on a terminal, NDJSON when piped)',
    () => import('./commands/watch.js'),
    (c) => {
      addSettings(c, ['stack', 'region', 'profile', 'endpointUrl', 'kubeconfig', 'context', 'namespace', 'queueName', 'deadLetterQueue']);
      c.addOption(
        new Option(
          '-o, --output <format>',
          'text (the screen on a terminal, summary lines when piped) or ndjson (default: text on a terminal, ndjson otherwise)',
        ).choices(['text', 'ndjson']),
      );
      c.option('--once', 'print the current state once and exit');
      c.option(
        '--until-empty',
        "exit 0 once the queue is empty and no Job is active (a Deployment's consumers: nothing visible or in flight on two reads in a row) (with --timeout: exit 1 if it takes longer)",
      );
      c.option('--timeout <duration>', 'stop after this long (90s, 10m, 1h); with --until-empty, failing');
      c.option('--interval <seconds>', 'seconds between queue reads (default 2)');
    },
    ['kedactl watch --stack demo', 'kedactl watch --stack demo -o ndjson --until-empty --timeout 10m', 'kedactl watch --stack demo --once'],
  );
  return program;
}
