import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import type { RunSnapshot } from '../engine/run-snapshot';
import { checkInput, inputFields, type InputField } from '../engine/spec-inputs';
import { describeIssues, parseSpec } from '../engine/spec-validation';
import { CliEnv, createApiClient, type ApiClient } from './api-client';
import { CliError, ExitCode } from './exit-codes';
import { followRun } from './follow-run';
import { scheduleCommand } from './schedule-command';
import { chatCommand } from './chat-command';

const print = (value: unknown): void => {
  process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}\n`);
};

function parseJson(text: string, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // Reported below.
  }
  throw new CliError(ExitCode.BadInput, `${what} must be a JSON object, e.g. '{"name": "world"}'`);
}

async function readText(file: string): Promise<string> {
  return readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new CliError(ExitCode.BadInput, `cannot read ${file}: ${err.code ?? err.message}`);
  });
}

type RunOptions = { input: string; repo?: string; budget?: string; follow?: boolean };

/** The inputs a spec takes, one aligned line each: what `troupe spec show` and a refused input print. */
function formatInputs(name: string, fields: InputField[]): string {
  if (fields.length === 0) return `spec "${name}" declares no inputs (it takes any --input object)`;
  const width = Math.max(...fields.map((field) => field.name.length));
  const lines = fields.map((field) => {
    const how = field.required
      ? 'required'
      : field.default !== undefined
        ? `default ${JSON.stringify(field.default)}`
        : 'optional';
    return `  ${field.name.padEnd(width)}  ${field.type.padEnd(7)}  ${how.padEnd(16)}  ${field.description ?? ''}`.trimEnd();
  });
  return [`spec "${name}" takes:`, ...lines].join('\n');
}

/** Checks a spec file's input before anything is sent, so a missing input names what the spec takes. */
function checkFileInput(file: string, text: string, input: Record<string, unknown>): void {
  const parsed = parseSpec(text);
  if (!parsed.ok) return;
  const checked = checkInput(parsed.spec.inputs, input);
  if (checked.ok) return;
  throw new CliError(
    ExitCode.BadInput,
    `${file} needs other --input:\n${describeIssues(checked.issues, ['input'])}\n${formatInputs(parsed.spec.name, inputFields(parsed.spec.inputs))}`,
  );
}

/**
 * `troupe run` takes a spec file, or a goal in words. Anything that names a file (it exists, or it ends
 * in .yaml, .yml or .json) is read as a spec, so a mistyped file name is an error, not a goal.
 */
async function startRequest(what: string, options: RunOptions, input: Record<string, unknown>) {
  const isFile = await stat(what).then(
    (info) => info.isFile(),
    () => false,
  );
  if (isFile || /\.(ya?ml|json)$/i.test(what)) {
    if (options.repo || options.budget)
      throw new CliError(ExitCode.BadInput, '--repo and --budget are for goals; a spec file sets its own');
    const text = await readText(what);
    checkFileInput(what, text, input);
    return { spec: text, input };
  }
  const budget = options.budget === undefined ? undefined : Number(options.budget);
  if (budget !== undefined && !(budget >= 0))
    throw new CliError(ExitCode.BadInput, `--budget must be a number of USD, not "${options.budget}"`);
  return {
    goal: what,
    input,
    ...(options.repo && { repo: resolve(options.repo) }),
    ...(budget !== undefined && { budget: { usd: budget } }),
  };
}

/** Runs another entry point of this repo through tsx and ends with its exit code. */
function runEntry(entry: string, args: string[] = []): Promise<never> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL(entry, import.meta.url)), ...args],
    { stdio: 'inherit' },
  );
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((_, reject) =>
    child.once('exit', (code) => reject(new CliError((code ?? 1) as ExitCode, ''))),
  );
}

const closedBadly = (run: RunSnapshot) => run.status === 'failed' || run.status === 'cancelled';

/** The `troupe` program; `api` is built lazily so `spec validate` works with no API. */
export function buildProgram(api: () => ApiClient): Command {
  const program = new Command('troupe')
    .description('Run teams of AI agents as durable workflows')
    .exitOverride();
  const control = (verb: string) => async (runId: string) =>
    print((await api().call('POST', `/api/runs/${encodeURIComponent(runId)}/${verb}`)).body);

  program
    .command('run <spec-file-or-goal>')
    .description(
      'start a run of a spec file (YAML or JSON), or of a goal in words that the planner agent breaks into steps',
    )
    .option(
      '--input <json>',
      'the run input as a JSON object (`troupe spec show <file>` lists the inputs a spec takes)',
      '{}',
    )
    .option('--repo <path>', 'a goal: the repository the agents work in')
    .option('--budget <usd>', 'a goal: the most the run may spend on models, in USD')
    .option('--follow', 'show progress until the run ends, then print its output')
    .action(async (what: string, options: RunOptions) => {
      const input = parseJson(options.input, '--input');
      const { body } = await api().call<{ runId: string; temporalUrl: string }>(
        'POST',
        '/api/runs',
        await startRequest(what, options, input),
      );
      if (!options.follow) return print(body.runId);
      process.stderr.write(`run ${body.runId} (${body.temporalUrl})\n`);
      const run = await followRun(api(), body.runId);
      if (run.output !== undefined) print(run.output);
      if (closedBadly(run))
        throw new CliError(
          ExitCode.RunFailed,
          `run ${run.runId} ${run.status}${run.error ? `: ${run.error}` : ''}`,
        );
    });

  program
    .command('list')
    .description('list runs, newest first')
    .addOption(
      new Option('--status <status>', 'only runs with this status').choices([
        'running',
        'paused',
        'waiting',
        'completed',
        'failed',
        'cancelled',
      ]),
    )
    .option('--agent <agent>', 'only runs that use this agent or tool')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'print JSON')
    .action(async (options: { status?: string; agent?: string; limit: string; json?: boolean }) => {
      const query = new URLSearchParams({
        limit: options.limit,
        ...(options.status && { status: options.status }),
        ...(options.agent && { agent: options.agent }),
      });
      const { body } = await api().call<{
        runs: { runId: string; status: string; startedAt: string; title?: string }[];
      }>('GET', `/api/runs?${query.toString()}`);
      if (options.json) return print(body);
      for (const run of body.runs)
        print(`${run.runId.padEnd(36)} ${run.status.padEnd(10)} ${run.startedAt}  ${run.title ?? ''}`);
    });

  program
    .command('show <runId>')
    .description("print a run's full state")
    .action(async (runId: string) =>
      print((await api().call('GET', `/api/runs/${encodeURIComponent(runId)}`)).body),
    );
  program.command('pause <runId>').description('start no new step').action(control('pause'));
  program.command('resume <runId>').description('carry on after a pause').action(control('resume'));
  program
    .command('cancel <runId>')
    .description('cancel a run (its compensations run)')
    .action(control('cancel'));
  for (const verb of ['approve', 'reject'] as const) {
    program
      .command(`${verb} <runId> <stepId>`)
      .description(`${verb} a waiting approval step`)
      .option('--comment <text>', 'why')
      .action(async (runId: string, stepId: string, options: { comment?: string }) =>
        print(
          (
            await api().call('POST', `/api/runs/${encodeURIComponent(runId)}/${verb}`, {
              stepId,
              ...(options.comment && { comment: options.comment }),
            })
          ).body,
        ),
      );
  }

  const spec = program.command('spec').description('work with spec files');
  spec
    .command('validate <file>')
    .description('check a spec file and name every problem by its path (needs no API)')
    .action(async (file: string) => {
      const parsed = parseSpec(await readText(file));
      if (!parsed.ok)
        throw new CliError(
          ExitCode.BadInput,
          `${file} is not a valid spec:\n${describeIssues(parsed.issues)}`,
        );
      print(`${file}: valid spec "${parsed.spec.name}" with ${parsed.spec.steps.length} steps`);
    });
  spec
    .command('show <file-or-name>')
    .description('print what a spec file, or a saved spec, is and the inputs it takes')
    .option('--json', 'print JSON')
    .action(async (what: string, options: { json?: boolean }) => {
      const isFile = await stat(what).then(
        (info) => info.isFile(),
        () => false,
      );
      let shown: { name: string; description?: string; steps: number; inputs: InputField[] };
      if (isFile || /\.(ya?ml|json)$/i.test(what)) {
        const parsed = parseSpec(await readText(what));
        if (!parsed.ok)
          throw new CliError(
            ExitCode.BadInput,
            `${what} is not a valid spec:\n${describeIssues(parsed.issues)}`,
          );
        const { name, description, steps, inputs } = parsed.spec;
        shown = {
          name,
          ...(description && { description }),
          steps: steps.length,
          inputs: inputFields(inputs),
        };
      } else {
        const { body } = await api().call<{
          name: string;
          spec: { description?: string; steps?: unknown[] };
          inputs: InputField[];
        }>('GET', `/api/specs/${encodeURIComponent(what)}`);
        shown = {
          name: body.name,
          ...(body.spec.description && { description: body.spec.description }),
          steps: body.spec.steps?.length ?? 0,
          inputs: body.inputs,
        };
      }
      if (options.json) return print(shown);
      print(
        [
          `${shown.name}: ${shown.description ?? '(no description)'} (${shown.steps} steps)`,
          formatInputs(shown.name, shown.inputs),
        ].join('\n'),
      );
    });
  spec
    .command('save <file>')
    .description(
      'save a spec file to the library under its name, so schedules can run it (--replace to update)',
    )
    .option('--replace', 'replace a saved spec of the same name, if there is one')
    .action(async (file: string, options: { replace?: boolean }) => {
      const text = await readText(file);
      const parsed = parseSpec(text);
      if (!parsed.ok)
        throw new CliError(
          ExitCode.BadInput,
          `${file} is not a valid spec:\n${describeIssues(parsed.issues)}`,
        );
      const { name } = parsed.spec;
      const { body } = await api()
        .call('POST', '/api/specs', { spec: text })
        .catch((err: unknown) => {
          const exists = err instanceof CliError && err.status === 409;
          if (!exists || !options.replace) throw err;
          return api().call('PUT', `/api/specs/${encodeURIComponent(name)}`, { spec: text });
        });
      print(body);
    });

  program.addCommand(scheduleCommand(api, print, parseJson));
  program.addCommand(chatCommand(api));
  program
    .command('worker')
    .description('run a worker for some pools, or all (src/workers/main.ts)')
    .option('--pool <names>', 'orchestration, tools, agents, local-models, cloud-models (comma-separated)')
    .action((options: { pool?: string }) =>
      runEntry('../workers/main.ts', options.pool ? ['--pool', options.pool] : []),
    );
  program
    .command('start')
    .description('start Temporal, a worker and the API (src/start.ts)')
    .action(() => runEntry('../start.ts'));
  return program;
}

async function main(argv: string[]): Promise<number> {
  let client: ApiClient | undefined;
  const api = () => {
    if (client) return client;
    const env = CliEnv.safeParse(process.env);
    if (!env.success)
      throw new CliError(ExitCode.BadInput, `TROUPE_API_URL must be a URL such as http://127.0.0.1:3000`);
    return (client = createApiClient(env.data));
  };
  try {
    await buildProgram(api).parseAsync(argv);
    return ExitCode.Ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.code === 'commander.help'
        ? ExitCode.Ok
        : ExitCode.BadInput;
    }
    if (err instanceof CliError) {
      if (err.message) process.stderr.write(`troupe: ${err.message}\n`);
      return err.code;
    }
    process.stderr.write(`troupe: ${err instanceof Error ? err.message : String(err)}\n`);
    return ExitCode.Unreachable;
  }
}

main(process.argv).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(ExitCode.Unreachable);
  },
);
