// Flags → one library call → report. Policy lives in the library, not here.
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { spawnRunner, type CommandRunner } from './apply.js';
import { formatDiagnostics } from './diagnostics.js';
import type { HealthOptions } from './health.js';
import { doctor, formatFindings } from './doctor.js';
import { jsonSchema } from './declarations/json-schema.js';
import { EMITTER_NAMES } from './emitters/index.js';
import type { EmitterName } from './emitters/types.js';
import type { FsLike } from './fs.js';
import { closest } from './declarations/suggest.js';
import { checkDeclarations, generate, type StdinDeclaration } from './pipeline.js';
import { LockBusy } from './lock.js';
import { differences } from './plan.js';
import { terminalProgress } from './progress.js';
import { describeFailure, RefusedWrite, syncFileSystem } from './write.js';
import { restore } from './restore/run.js';
import { listBackups } from './restore/snapshots.js';
import { jsonReport, markdownReport, textReport } from './report.js';

export const EXIT = { ok: 0, changes: 1, invalid: 2, activation: 3 } as const;

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
  env: Record<string, string | undefined>;
  isTTY: boolean;
  /** Progress goes to stderr, only when it is a terminal (never into pipes or logs). */
  stderrIsTTY?: boolean;
  fs: FsLike;
  runner: CommandRunner;
  /** Makes written files durable on disk. */
  flush?: (dir: string) => Promise<void>;
  /** Standard input, read whole (for `--config -`). */
  stdin?: () => Promise<string>;
  /** The HTTP probe and the clock of the health checks (tests replace them). */
  health?: Pick<HealthOptions, 'probe' | 'sleep' | 'now'>;
}

/**
 * A stream whose reader went away (`| head`, `less` quit) takes no more output
 * and raises nothing: the run goes on (an --apply is never cut short by its
 * reader) and ends with its own exit status.
 */
function quietOnClosedPipe(stream: NodeJS.WriteStream): (text: string) => void {
  let closed = false;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    closed = true;
  });
  return (text) => {
    if (!closed) stream.write(text);
  };
}

export function processIo(): Io {
  return {
    stdout: quietOnClosedPipe(process.stdout),
    stderr: quietOnClosedPipe(process.stderr),
    cwd: process.cwd(),
    env: process.env,
    isTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    fs: nodeFs,
    runner: spawnRunner,
    flush: syncFileSystem,
    stdin: async () => {
      let text = '';
      for await (const chunk of process.stdin) text += chunk;
      return text;
    },
  };
}

interface EmitFlags {
  config: string[];
  stdinFormat?: StdinDeclaration['format'];
  out?: string;
  dryRun?: boolean;
  check?: boolean;
  json?: boolean;
  format?: 'text' | 'markdown' | 'json';
  only?: EmitterName[];
  prune?: boolean;
  force?: boolean;
  apply?: boolean;
  healthTimeout: number;
  rollbackOnFailure?: boolean;
  outFile?: string;
  color: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(n)) throw new CommanderError(EXIT.invalid, 'atelier.usage', `--health-timeout: "${value}" is not a number of seconds`);
  return n;
}

/** A command as printed: a long list of files is shortened to the first and a count. */
export function showCommand(command: readonly string[]): string {
  const files = command.filter((a) => a.startsWith('/'));
  if (files.length <= 3) return command.join(' ');
  return [...command.filter((a) => !a.startsWith('/')), files[0], `… (${files.length} files)`].join(' ');
}

function parseOnly(value: string): EmitterName[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const name of names) {
    if (!(EMITTER_NAMES as readonly string[]).includes(name)) throw new CommanderError(EXIT.invalid, 'atelier.only', `--only: unknown emitter "${name}" (known: ${EMITTER_NAMES.join(', ')})`);
  }
  return names as EmitterName[];
}

export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  let code: number = EXIT.ok;
  const program = new Command('atelier-emit')
    .description('Turn service declarations into hardened systemd units, Caddy sites and restic backups.')
    .version(VERSION)
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .option('-c, --config <path>', 'declaration file or folder (repeatable; - reads standard input; default ./atelier.yaml|toml|json)', collect, [])
    .addOption(stdinFormatOption())
    .option('-o, --out <dir>', 'folder to write the tree into (/etc on a server)')
    .option('--dry-run', 'write nothing; print the plan and a unified diff')
    .option('--check', 'like --dry-run, but exit 1 when anything would change')
    .option('--json', 'print a machine-readable report (same as --format json)')
    .addOption(new Option('--format <format>', 'report format').choices(['text', 'markdown', 'json']))
    .addOption(new Option('--only <emitters>', `run only these emitters (${EMITTER_NAMES.join(',')})`).argParser(parseOnly))
    .option('--prune', 'delete files atelier-emit wrote earlier that no longer follow from the declarations')
    .option('--force', 'allow overwriting or deleting files atelier-emit did not write or that were edited by hand')
    .option('--apply', 'after writing, activate on this host (sysusers, tmpfiles, daemon-reload, start/restart, Caddy reload)')
    .addOption(new Option('--health-timeout <seconds>', 'after --apply starts or restarts services: the longest wait for each healthUrl to answer 2xx (0: no health checks)').default(60).argParser(parseSeconds))
    .option('--rollback-on-failure', 'when --apply fails or a service does not come up, put the previous files back and restart them (still exit 3)')
    .option('--out-file <file>', 'also write the full plan with its unified diff to this file (the markdown plan points at it)')
    .option('--no-color', 'no colour in the output (also NO_COLOR)')
    .addHelpText(
      'after',
      `
Examples:
  atelier-emit --config services/ --out /etc --apply
  atelier-emit --config app.yaml --config host.yaml --out ./tree --dry-run
  atelier-emit --out /etc --check --json          # drift gate / Ansible
  atelier-emit validate --config services/

Exit codes: 0 success, 1 --check found changes, 2 invalid declarations or refused write, 3 an activation step failed.`,
    )
    .action(async (flags: EmitFlags) => {
      code = await runEmit(flags, io);
    });

  program
    .command('validate')
    .description('check the declarations only')
    .option('-c, --config <path>', 'declaration file or folder (repeatable; - reads standard input)', collect, [])
    .addOption(stdinFormatOption())
    .option('--json', 'print the result as JSON (for CI)')
    .addHelpText('after', '\nExamples:\n  atelier-emit validate --config services/\n  atelier-emit validate --config app.yaml --config host.yaml\n  cat app.toml | atelier-emit validate --config - --stdin-format toml --json\n\nExit codes: 0 valid, 2 invalid (every problem with file:line:column).')
    .action(async (flags: { config: string[]; stdinFormat?: StdinDeclaration['format']; json?: boolean }) => {
      // The emit run's own checks, every one of them: validate and emit can never disagree.
      const loaded = await checkDeclarations(io.fs, io.cwd, flags.config, undefined, undefined, await readStdin(flags, io));
      if (!loaded.model) {
        io.stderr(formatDiagnostics(loaded.diagnostics, loaded.texts).replace('nothing was written', 'the declarations are invalid'));
        if (flags.json) io.stdout(`${JSON.stringify({ valid: false, errors: loaded.diagnostics }, null, 2)}\n`);
        code = EXIT.invalid;
        return;
      }
      const { model } = loaded;
      if (flags.json) {
        io.stdout(`${JSON.stringify({ valid: true, services: model.services.map((s) => s.name), disabled: model.disabled, sources: model.sources }, null, 2)}\n`);
        return;
      }
      io.stdout(`ok: ${model.services.length} enabled ${model.services.length === 1 ? 'service' : 'services'} in ${model.sources.join(', ')}\n`);
    });

  program
    .command('doctor')
    .description('check that this host has what the declared services need (systemd, Caddy modules, restic, runtimes, …)')
    .option('-c, --config <path>', 'declaration file or folder (repeatable; - reads standard input)', collect, [])
    .addOption(stdinFormatOption())
    .option('--root <dir>', 'root of the host file system to inspect', '/')
    .option('--json', 'print the findings as JSON (for CI)')
    .addHelpText('after', '\nExamples:\n  atelier-emit doctor --config /etc/atelier/declarations\n  atelier-emit doctor --config /etc/atelier/declarations --json\n\nExit codes: 0 ready, 1 a check failed (each says what to do), 2 invalid declarations.')
    .action(async (flags: { config: string[]; root: string; stdinFormat?: StdinDeclaration['format']; json?: boolean }) => {
      // The emit run's own checks, every one of them: validate and emit can never disagree.
      const loaded = await checkDeclarations(io.fs, io.cwd, flags.config, undefined, undefined, await readStdin(flags, io));
      if (!loaded.model) {
        io.stderr(formatDiagnostics(loaded.diagnostics, loaded.texts).replace('nothing was written', 'the declarations are invalid'));
        if (flags.json) io.stdout(`${JSON.stringify({ ready: false, errors: loaded.diagnostics }, null, 2)}\n`);
        code = EXIT.invalid;
        return;
      }
      const findings = await doctor({ model: loaded.model, run: io.runner, fs: io.fs, root: flags.root });
      io.stdout(flags.json ? `${JSON.stringify({ ready: !findings.some((f) => f.level === 'fail'), findings }, null, 2)}\n` : formatFindings(findings));
      if (findings.some((f) => f.level === 'fail')) code = EXIT.changes;
    });

  program
    .command('restore')
    .description('restore a service from its newest (or a given) backup snapshot, on this host, as root')
    .argument('<service>', 'the declared service')
    .option('-c, --config <path>', 'declaration file or folder (repeatable)', collect, [])
    .option('--snapshot <id>', 'snapshot to restore: latest or an ID from `atelier-emit backups`', 'latest')
    .option('--dry-run', 'print what would be done; change nothing')
    .option('--target <dir>', 'restore into this folder only; the service is not touched')
    .option('--into <database>', 'restore the PostgreSQL dump into this new database; the service is not touched')
    .addHelpText('after', '\nExamples:\n  atelier-emit restore myapp --config /etc/atelier/declarations --dry-run\n  atelier-emit restore myapp --snapshot 4f2a9c1e\n  atelier-emit restore ledger --into ledger_restored\n\nExit codes: 0 restored, 1 a step failed (the previous data is kept and named), 2 invalid declarations or options.')
    .action(async (service: string, flags: { config: string[]; snapshot: string; dryRun?: boolean; target?: string; into?: string }) => {
      const loaded = await checkDeclarations(io.fs, io.cwd, flags.config);
      if (!loaded.model) {
        io.stderr(formatDiagnostics(loaded.diagnostics, loaded.texts).replace('nothing was written', 'the declarations are invalid'));
        code = EXIT.invalid;
        return;
      }
      const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
      const options = { service, snapshot: flags.snapshot, target: flags.target ? path.resolve(io.cwd, flags.target) : null, into: flags.into ?? null, stamp };
      const result = await restore({ model: loaded.model, options, dryRun: Boolean(flags.dryRun), run: io.runner, say: io.stdout });
      if (result !== 'ok') code = result === 'invalid' ? EXIT.invalid : EXIT.changes;
    });

  program
    .command('backups')
    .description("list each service's backup snapshots with their age and size")
    .argument('[service]', 'only this service')
    .option('-c, --config <path>', 'declaration file or folder (repeatable)', collect, [])
    .action(async (service: string | undefined, flags: { config: string[] }) => {
      const loaded = await checkDeclarations(io.fs, io.cwd, flags.config);
      if (!loaded.model) {
        io.stderr(formatDiagnostics(loaded.diagnostics, loaded.texts).replace('nothing was written', 'the declarations are invalid'));
        code = EXIT.invalid;
        return;
      }
      if (!(await listBackups({ model: loaded.model, service: service ?? null, run: io.runner, now: new Date(), say: io.stdout }))) code = EXIT.changes;
    });

  program
    .command('schema')
    .description('print the JSON Schema of the declaration format (for editor completion)')
    .addHelpText('after', '\nExample:\n  atelier-emit schema > atelier.schema.json   # then: # yaml-language-server: $schema=./atelier.schema.json')
    .action(() => {
      io.stdout(`${JSON.stringify(jsonSchema(), null, 2)}\n`);
    });

  const at = commandWordAt(argv, program);
  const word = argv[at];
  const commands = program.commands.map((c) => c.name());
  if (word === 'help') {
    // `atelier-emit help <command>`, as git and npm have it; options before it (`--no-color help`) change nothing.
    const topic = argv[at + 1];
    if (topic === undefined) return (program.outputHelp(), EXIT.ok);
    const command = program.commands.find((c) => c.name() === topic);
    if (command) return (command.outputHelp(), EXIT.ok);
    io.stderr(unknownCommand(topic, commands));
    return EXIT.invalid;
  }
  // The main command takes no words: a word that is no option's value is a mistyped subcommand.
  if (word !== undefined && !commands.includes(word)) {
    io.stderr(unknownCommand(word, commands));
    return EXIT.invalid;
  }
  try {
    await program.parseAsync(['node', 'atelier-emit', ...argv]);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      if (err.code === 'atelier.only' || err.code === 'atelier.usage') io.stderr(`error: ${err.message}\n`);
      return EXIT.invalid;
    }
    throw err;
  }
  return code;
}

/** Where the first word is that is neither an option of the main command nor an option's value (argv.length: none). */
function commandWordAt(argv: readonly string[], program: Command): number {
  const takesValue = new Set(program.options.filter((o) => o.required || o.optional).flatMap((o) => [o.short, o.long]));
  let i = 0;
  // `-` alone is a value (standard input), and only ever after --config, which takes it.
  for (; i < argv.length && argv[i].startsWith('-'); i++) if (takesValue.has(argv[i])) i++;
  return i;
}

function unknownCommand(word: string, commands: string[]): string {
  const guess = closest(word, [...commands, 'help']);
  return `error: unknown command "${word}"${guess ? `. Did you mean ${guess}?` : ''} (commands: ${commands.join(', ')}, help; atelier-emit --help for the options)\n`;
}

function stdinFormatOption(): Option {
  // Not --format: on the main command that already names the report's format (text, markdown, json).
  return new Option('--stdin-format <format>', 'format of the declaration read with --config -').choices(['yaml', 'toml', 'json']).default('yaml');
}

async function readStdin(flags: { config: string[]; stdinFormat?: StdinDeclaration['format'] }, io: Io): Promise<StdinDeclaration | undefined> {
  if (!flags.config.includes('-')) return undefined;
  return { text: io.stdin ? await io.stdin() : '', format: flags.stdinFormat ?? 'yaml' };
}

async function runEmit(flags: EmitFlags, io: Io): Promise<number> {
  if (!flags.out) {
    io.stderr('error: --out <dir> is required (the folder to write the tree into, /etc on a server)\n');
    return EXIT.invalid;
  }
  const format = flags.json ? 'json' : (flags.format ?? 'text');
  const color = flags.color && io.isTTY && !io.env.NO_COLOR && format === 'text';
  const dryRun = Boolean(flags.dryRun || flags.check);
  const phases: Record<string, number> = {};
  const progress = io.stderrIsTTY ? terminalProgress(io.stderr) : null;
  let result: Awaited<ReturnType<typeof generate>>;
  try {
    result = await generate(io.fs, {
    cwd: io.cwd,
    configs: flags.config,
    stdin: await readStdin(flags, io),
    outDir: path.resolve(io.cwd, flags.out),
    only: flags.only ?? EMITTER_NAMES,
    prune: Boolean(flags.prune),
    force: Boolean(flags.force),
    dryRun,
    apply: Boolean(flags.apply),
    // Without a healthUrl, a service must stay up this long (a few seconds, never more than the timeout).
    health: flags.healthTimeout > 0 ? { ...io.health, timeoutMs: flags.healthTimeout * 1000, settleMs: Math.min(3, flags.healthTimeout) * 1000 } : undefined,
    rollbackOnFailure: Boolean(flags.rollbackOnFailure),
    runner: io.runner,
    flush: io.flush,
    // ATELIER_EMIT_PROFILE=1: phase timings on stderr, as one JSON line, for `npm run bench`.
    // On a terminal, a progress line names the phase and counts files; a long phase (thousands of services, --apply) leaves its time.
    timer: (phase, ms) => {
      phases[phase] = (phases[phase] ?? 0) + ms;
      if (progress && ms >= 500) {
        progress.end();
        io.stderr(`atelier-emit: ${phase} took ${(ms / 1000).toFixed(1)} s\n`);
      }
    },
    progress: progress?.report,
    onStep: (step) => {
      progress?.end();
      // A failed step's own output follows on lines of its own, ending with one (systemctl's may not).
      const output = step.code === 0 ? '' : step.output.replace(/([^\n])$/, '$1\n');
      const line = `${step.code === 0 ? 'ran' : 'FAILED'}: ${showCommand(step.command)}\n${output}`;
      (format === 'text' ? io.stdout : io.stderr)(line);
    },
    });
  } catch (err) {
    progress?.end();
    // A file-system error outside the writer's own handling (the lock, a folder): a sentence, never a stack trace.
    const refusal = err instanceof LockBusy || err instanceof RefusedWrite ? err : (err as NodeJS.ErrnoException)?.code ? describeFailure(err) : null;
    if (refusal) {
      io.stderr(`refused: ${refusal.message}; nothing was written.\n`);
      return EXIT.invalid;
    }
    throw err;
  }
  progress?.end();
  if (result.kind === 'invalid') {
    io.stderr(formatDiagnostics(result.diagnostics, result.texts));
    if (format === 'json') io.stdout(`${JSON.stringify({ changed: false, errors: result.diagnostics }, null, 2)}\n`);
    return EXIT.invalid;
  }
  if (io.env.ATELIER_EMIT_PROFILE) io.stderr(`atelier-emit-profile ${JSON.stringify({ phases, maxRssKb: process.resourceUsage().maxRSS })}\n`);
  const { plan } = result;
  if (flags.outFile) {
    try {
      nodeFs.writeFileSync(path.resolve(io.cwd, flags.outFile), textReport(plan, { diff: true, color: false }));
    } catch (err) {
      io.stderr(`error: cannot write --out-file ${flags.outFile}: ${(err as Error).message}\n`);
      return EXIT.invalid;
    }
  }
  if (format === 'json') io.stdout(`${JSON.stringify({ ...jsonReport(plan, { contents: dryRun }), written: result.written, ...applyJson(result) }, null, 2)}\n`);
  else if (format === 'markdown') io.stdout(markdownReport(plan, { fullDiff: flags.outFile }));
  else io.stdout(textReport(plan, { diff: dryRun, color }));
  if (result.refused) {
    io.stderr(`refused: ${result.refused}; nothing was written.\n`);
    return EXIT.invalid;
  }
  const apply = result.apply;
  if (apply?.failed) io.stderr(`activation failed at: ${showCommand(apply.failed.command)} (exit ${apply.failed.code}); later steps were not run.\n`);
  for (const u of apply?.unhealthy ?? []) io.stderr(`not healthy: ${u.unit} ${u.why}. Its journal:\n${u.journal.replace(/^/gm, '  ')}\n`);
  if (result.rollback) {
    const r = result.rollback;
    const ok = !r.error && !r.apply?.failed;
    io.stderr(ok ? `rolled back: the previous files are in place again and their units were restarted (${r.plan.files.length} files).\n` : `rollback FAILED: ${r.error ?? `at ${showCommand(r.apply!.failed!.command)}`}; the next --apply finishes the activation.\n`);
  }
  if (apply?.failed || apply?.unhealthy) return EXIT.activation;
  if (flags.check) {
    const diffs = differences(plan);
    if (diffs.length > 0) {
      io.stderr(`check: the tree differs from the declarations: ${diffs.join('; ')}.\n`);
      return EXIT.changes;
    }
  }
  return EXIT.ok;
}

function applyJson(result: Extract<Awaited<ReturnType<typeof generate>>, { kind: 'planned' }>) {
  if (!result.apply) return {};
  return {
    apply: {
      steps: result.apply.steps.map((s) => ({ command: s.command, code: s.code })),
      ...(result.apply.failed ? { failed: result.apply.failed.command } : {}),
      ...(result.apply.unhealthy ? { unhealthy: result.apply.unhealthy } : {}),
      ...(result.rollback ? { rolledBack: !result.rollback.error && !result.rollback.apply?.failed } : {}),
    },
  };
}

declare const __VERSION__: string | undefined;
const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev';
