// kedactl init: settings (flags, env, kedactl.yaml, then the wizard for what is left) -> plan ->
// approval -> apply (AWS, KEDA, Kubernetes) -> what to run next.
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { resolve } from 'node:path';
import { connect } from '../adapters/connect.js';
import { UsageError } from '../core/errors.js';
import { CONFIG_FILE, loadSettings, type LoadedSettings } from '../core/stack/load-settings.js';
import { afterReview, configText, userValues } from '../core/stack/config-file.js';
import { initStack } from '../core/stack/lifecycle.js';
import { parseSkip, type Part } from '../core/stack/ports.js';
import { questions, type Detected, type Question } from '../core/stack/wizard.js';
import { eksFromContext } from '../core/stack/detect.js';
import type { Layer, Settings, SettingKey } from '../core/stack/settings.js';
import type { Plan } from '../core/stack/plan.js';
import { planText } from '../ui/plan-text.js';
import { terminalAsker } from '../ui/prompts.js';
import { progressFor } from '../ui/progress.js';
import { paint, type IoHost } from '../ui/io.js';
import { needs } from '../core/stack/preflight.js';
import { desiredStack } from '../core/stack/desired.js';
import { plan } from '../core/stack/plan.js';
import { checkEnvironment } from '../adapters/environment.js';
import { loadKubeConfig } from '../adapters/kube.js';
import { beginWithRecord, settingFlags, withCtrlC } from './common.js';
import type { CommandContext, CommandFlags, SkipFlag } from './context.js';

export interface InitOptions extends CommandFlags {
  kubeconfig?: string;
  context?: string;
  skip?: SkipFlag;
  yes?: boolean;
  createOidcProvider?: boolean;
  /** --no-wait sets it false */
  wait?: boolean;
  forceConflicts?: boolean;
  /** --no-write-config sets it false */
  writeConfig?: boolean;
}

async function detect(ctx: CommandContext, flags: InitOptions): Promise<Detected> {
  const d: Detected = {};
  try {
    const kc = loadKubeConfig({ kubeconfig: flags.kubeconfig, context: flags.context, env: ctx.env });
    const c = kc.getContextObject(kc.getCurrentContext());
    const info = eksFromContext(kc.getCurrentContext(), c?.cluster, kc.getCurrentCluster()?.server);
    d.context = info.context;
    d.cluster = info.eksCluster;
    d.region = info.eksRegion;
  } catch {
    /* no kubeconfig: the plan says so later */
  }
  d.region ??= ctx.env.AWS_REGION ?? ctx.env.AWS_DEFAULT_REGION;
  return d;
}

/** Ask what is left, on a terminal; returns the answers as a settings layer (and the EKS cluster it found). */
async function wizard(host: IoHost, given: ReadonlySet<SettingKey>, soFar: Partial<Settings>, detected: Detected): Promise<Layer> {
  const c = paint(host.color);
  const found = [
    detected.context
      ? `kube context ${detected.context}${detected.cluster ? ` (EKS cluster ${detected.cluster})` : ''}`
      : 'no kube context',
    detected.region ? `region ${detected.region}` : undefined,
  ].filter(Boolean);
  host.notify('info', 'wizard.detected', c.dim(`found: ${found.join(', ')}`));
  const ask = terminalAsker(host);
  const answers: Layer = {};
  const partial: Partial<Settings> = { ...soFar };
  const asked = new Set<string>();
  // one question at a time, its default from the answers so far: a namespace offered after the stack
  // name was typed derives from that name, not from the default stack's
  for (let q: Question | undefined; (q = questions(given, detected, partial).find((x) => !asked.has(x.key))); ) {
    asked.add(q.key);
    const a = await ask(q, partial);
    answers[q.key as SettingKey] = { value: a, source: `your answer to "${q.message}"`, origin: 'wizard' };
    Object.assign(partial, { [q.key]: /^\d+$/.test(a) ? Number(a) : a });
  }
  // found, not asked: the stack's record keeps it; kedactl.yaml does not
  if (detected.cluster && !given.has('cluster') && (answers.auth?.value ?? soFar.auth) === 'irsa')
    answers.cluster = { value: detected.cluster, source: `kube context ${detected.context}`, origin: 'detected' };
  return answers;
}

function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path); // a crash never leaves half a file
}

/**
 * On a terminal, the user says whether they chose the lines an older init pinned (listed by begin()):
 * removed, or kept as their choice; either way the file is marked as reviewed. True when it changed.
 */
async function reviewPinned(path: string, loaded: LoadedSettings, host: IoHost): Promise<boolean> {
  const pinned = loaded.file?.otherStack ? [] : (loaded.file?.pinned ?? []);
  if (pinned.length === 0) return false;
  const keys = pinned.map((p) => p.key).join(', ');
  const drop = await host.confirm(
    `Remove ${keys} from ${path}? kedactl derives the same values itself ("no" keeps them as your choice)`,
    true,
  );
  try {
    writeAtomically(path, afterReview(readFileSync(path, 'utf8'), drop ? pinned : []));
  } catch (e) {
    host.notify(
      'warn',
      'init.saved',
      `could not rewrite ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); edit it as the warning above says`,
    );
    return false;
  }
  host.notify('info', 'init.saved', drop ? `removed ${keys} from ${path}` : `${path} keeps ${keys} as your choice`);
  return true;
}

/**
 * Save what the user gave (and nothing kedactl derived) to kedactl.yaml, in place: the file's own lines
 * and comments stay. A file that names another stack is that stack's and is left as it is.
 */
function saveConfig(path: string, loaded: LoadedSettings, host: IoHost, saved: string): boolean {
  const { settings, file } = loaded;
  if (file?.otherStack) {
    host.notify(
      'info',
      'init.saved',
      `${path} names stack "${file.stack}" and stays as it is; later commands for "${settings.stack}" need --stack ${settings.stack}`,
    );
    return false;
  }
  try {
    const before = file ? readFileSync(path, 'utf8') : undefined;
    const text = configText(before, userValues(settings, loaded.origins));
    if (text === before) {
      host.notify('info', 'init.saved', `${path} holds the settings you gave already`);
      return true;
    }
    writeAtomically(path, text);
  } catch (e) {
    host.notify(
      'warn',
      'init.saved',
      `could not write ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); pass the same flags to later commands`,
    );
    return false;
  }
  host.notify('info', 'init.saved', `settings saved to ${path}${saved}`);
  return true;
}

export async function run(opts: InitOptions, ctx: CommandContext): Promise<void> {
  ctx.setVerbosity(Number(opts.verbose ?? 0));
  const host = ctx.host();
  const skip = parseSkip(opts.skip);
  const yes = opts.yes === true;
  const configPath = opts.config;

  // settings: what flags/env/file say over what the stack recorded on its cluster (a re-run keeps what
  // the stack was made with); on a terminal the wizard asks for the rest
  const first = await beginWithRecord(opts, ctx, { regionOptional: true, readCluster: !skip.has('kubernetes') });
  let loaded: LoadedSettings = first;
  const interactive = host.interactive && !yes;
  const write = opts.writeConfig !== false;
  const path = first.configFile ?? resolve(ctx.cwd, configPath ?? CONFIG_FILE);
  let saved = false;
  if (interactive) {
    const detected = await detect(ctx, opts);
    const answers = await wizard(host, first.given, first.settings, detected);
    const reload = () =>
      loadSettings({ flags: opts, answers, env: ctx.env, cwd: ctx.cwd, configPath, regionOptional: true, recorded: first.recorded?.layer });
    loaded = reload();
    if (write && (await reviewPinned(path, loaded, host))) loaded = reload();
    saved = write && saveConfig(path, loaded, host, '; later commands need no flags');
  }
  const settings = loaded.settings;

  await requireEverything(settings, ctx, host, skip);
  const ports = connect(settings, ctx.env, host, skip, ctx.awsClient);
  const progress = await progressFor(host, ctx.env);
  let createOidcProvider = opts.createOidcProvider === true;
  try {
    const result = await withCtrlC((signal) =>
      initStack(settings, ports, progress, {
        skip,
        createOidcProvider,
        wait: opts.wait !== false,
        signal,
        forceConflicts: opts.forceConflicts === true,
        approve: async (p: Plan) => {
          await progress.close?.();
          host.notify('info', 'plan', planText(p, host.color));
          const missingOidc = p.changes.find((c) => c.kind === 'IAM OIDC provider' && c.action === 'create');
          if (missingOidc && !createOidcProvider) {
            // --yes approves the plan, not an OIDC provider it did not ask for: that needs its own flag
            await host.approve("The cluster's IAM OIDC provider does not exist. Create it (IRSA needs it)?", {
              unattended: yes,
              defaultAnswer: true,
              withoutTerminal: {
                message: `the cluster's IAM OIDC provider ${missingOidc.name} does not exist`,
                next: 'pass --create-oidc-provider to create it (IRSA needs it), or --auth static; nothing was changed',
              },
              declined: 'IRSA needs the OIDC provider; nothing was changed (use --auth static to do without)',
            });
            createOidcProvider = true;
          }
          await host.approve(p.widensPermissions ? 'Apply this plan? It grants the IAM permissions listed above.' : 'Apply this plan?', {
            yes,
            withoutTerminal: {
              message: 'init would change your AWS account and cluster, and there is no terminal to ask',
              next: 'review `kedactl plan`, then pass --yes to apply it; nothing was changed',
            },
            declined: 'not approved; nothing was changed',
          });
          return true;
        },
      }),
    );
    await progress.close?.();
    // what the user gave, for later commands from this folder (the cluster records the rest)
    if (!interactive) saved = write && saveConfig(path, loaded, host, ' (--no-write-config to skip)');
    if (!result.applied) {
      host.result(`stack "${settings.stack}" is up to date: nothing to do`);
      return;
    }
    // a saved kedactl.yaml carries the settings; otherwise repeat the flags this run was given
    nextSteps(host, settings, skip, saved ? '' : settingFlags(opts, settings));
  } finally {
    await progress.close?.();
  }
}

/** On a machine without a cluster or credentials: show the plan anyway, and everything that is missing. */
async function requireEverything(settings: Settings, ctx: CommandContext, host: IoHost, skip: ReadonlySet<Part>): Promise<void> {
  const need = needs(skip);
  // credentials are needed to change AWS, to ask STS for the account, to find the OIDC issuer, and for
  // the static Secret; --skip aws with the ids given as flags needs none
  const awsCredentials = !skip.has('aws') || !settings.accountId || settings.auth === 'static' || !settings.oidcIssuer;
  const missing = await checkEnvironment(settings, ctx.env, { region: true, awsCredentials, kube: need.kube, helm: need.helm });
  if (missing.length === 0) return;
  const p = plan(await desiredStack(settings));
  host.notify('info', 'plan.offline', planText(p, host.color));
  throw new UsageError(
    `init cannot start; the plan above is what it would create. Missing:\n${missing.map((m) => `  - ${m.what}: ${m.problem}`).join('\n')}`,
    'provide what is missing and run kedactl init again; nothing was changed',
  );
}

function nextSteps(host: IoHost, s: Settings, skip: ReadonlySet<Part>, flags: string) {
  const c = paint(host.color);
  const stack = flags ? ` ${flags}` : '';
  host.result(
    [
      c.green(`stack "${s.stack}" is ready${skip.size ? ` (skipped: ${[...skip].join(', ')})` : ''}`),
      '',
      'Next:',
      `  kedactl produce${stack} --count 100    send test messages`,
      `  kedactl watch${stack}    see the queue drain and Jobs run`,
      `  kedactl results${stack}    processed / killed counts`,
      `  kedactl status${stack}    is everything healthy?`,
      `  kedactl teardown${stack}    remove it all`,
    ].join('\n'),
  );
}
