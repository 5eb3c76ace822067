import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { specContextOf, type AgentRegistry } from '../agents/registry';
import type { Config } from '../config';
import { chatCommands, type ChatCommand } from '../engine/chat-commands';
import type { ChatSnapshot } from '../engine/chat-types';
import type { Spec } from '../engine/spec';
import { parseSpec } from '../engine/spec-validation';
import type { ModelRuntime } from '../models/model-runtime';
import { decideUpdate } from '../workflows/run-messages';
import type { CommandRecord } from '../workflows/chat-messages';
import { HttpError } from './http-error';
import { controlRun } from './run-control';
import { readRun } from './run-reader';
import { scheduleOptions, UpdateScheduleRequest } from './schedule-options';
import type { SpecStore } from './spec-store';

const examplesDir = fileURLToPath(new URL('../../examples/', import.meta.url));

export type CommandDeps = {
  client: Client;
  config: Config;
  specs: SpecStore;
  agents: AgentRegistry;
  models?: ModelRuntime;
  /** Whether the caller may change schedules (its key has the admin scope). */
  mayAdmin: () => Promise<boolean>;
};

type Outcome = Omit<CommandRecord, 'text'>;

const done = (reply: string, extra: Partial<Outcome> = {}): Outcome => ({ reply, ok: true, ...extra });
const refused = (reply: string): Outcome => ({ reply, ok: false });

/**
 * Carries out a slash command (all but /plan, which is a message in workflow mode) and answers it in
 * words. Whatever goes wrong is the answer, never an exception: the chat shows it like any reply.
 */
export async function runChatCommand(
  command: Exclude<ChatCommand, { name: 'plan' }>,
  session: ChatSnapshot,
  deps: CommandDeps,
): Promise<Outcome> {
  try {
    return await carryOut(command, session, deps);
  } catch (err) {
    return refused(err instanceof Error ? err.message : String(err));
  }
}

async function carryOut(
  command: Exclude<ChatCommand, { name: 'plan' }>,
  session: ChatSnapshot,
  { client, config, specs, agents, models, mayAdmin }: CommandDeps,
): Promise<Outcome> {
  switch (command.name) {
    case 'help':
      return done(
        `Commands:\n${chatCommands.map((entry) => `- \`${entry.usage}\` — ${entry.description}`).join('\n')}`,
      );
    case 'agents':
      return done(
        `Agents:\n${[...agents.agents.values()].map((agent) => `- **${agent.id}** — ${agent.description}`).join('\n')}`,
      );
    case 'status': {
      if (!command.runId) {
        const runs = session.messages.filter((entry) => entry.run);
        if (runs.length === 0)
          return done('This chat has started no runs yet. Try `/run hello {"name": "you"}`.');
        return done(
          `Runs of this chat:\n${runs.map((entry) => `- ${entry.run?.runId}: ${entry.run?.status}`).join('\n')}`,
        );
      }
      const run = await readRun(client, command.runId);
      const steps = run.steps.map((step) => `- ${step.id}: ${step.status}`).join('\n');
      return done(
        `Run ${run.runId} (${run.name}) is ${run.status}.${steps ? `\n${steps}` : ''}${run.error ? `\n\nError: ${run.error}` : ''}`,
      );
    }
    case 'approve':
    case 'reject': {
      const approved = command.name === 'approve';
      await controlRun(client, command.runId, (handle) =>
        handle.executeUpdate(decideUpdate, {
          args: [{ stepId: command.stepId, approved, ...(command.comment && { comment: command.comment }) }],
        }),
      );
      return done(`${approved ? 'Approved' : 'Rejected'} step ${command.stepId} of run ${command.runId}.`);
    }
    case 'cancel':
      await controlRun(client, command.runId, (handle) => handle.cancel());
      return done(`Cancelling run ${command.runId}.`);
    case 'schedule': {
      if (!(await mayAdmin())) return refused('/schedule needs an API key with the admin scope');
      const { spec } = await specs.get(command.spec);
      const id = `${command.spec}-${'every' in command ? command.every : 'cron'}-${Date.now().toString(36)}`;
      const timing = 'every' in command ? { every: command.every } : { cron: [command.cron] };
      const request = UpdateScheduleRequest.parse({ specName: command.spec, ...timing });
      await client.schedule.create(scheduleOptions(config, id, request, spec));
      return done(
        `Scheduled ${command.spec} ${'every' in command ? `every ${command.every}` : `on cron ${command.cron}`} as schedule ${id}.`,
      );
    }
    case 'model': {
      if (command.model === 'auto') return done('The router picks the model again.', { model: null });
      const known = models?.catalogue.models.map((model) => model.id) ?? [];
      if (models && !known.includes(command.model))
        return refused(`no model "${command.model}" in the catalogue; it has: ${known.join(', ')}`);
      return done(`This chat now uses ${command.model}.`, { model: command.model });
    }
    case 'run': {
      const spec = await findSpec(specs, command.spec, agents);
      return done(
        `Starting ${spec.name}${Object.keys(command.input).length > 0 ? ` with ${JSON.stringify(command.input)}` : ''}.`,
        {
          run: { spec, input: command.input },
        },
      );
    }
  }
}

/** A spec from the library, else a shipped example of that name, checked as POST /api/runs checks one. */
async function findSpec(specs: SpecStore, name: string, agents: AgentRegistry): Promise<Spec> {
  const saved = await specs.find(name);
  const source =
    saved?.yaml ??
    (await readFile(join(examplesDir, `${name.replace(/\.ya?ml$/, '')}.yaml`), 'utf8').catch(
      () => undefined,
    ));
  if (source === undefined) {
    const library = (await specs.list()).map((spec) => spec.name);
    throw new HttpError(404, {
      message: `no spec "${name}" in the library${library.length > 0 ? ` (${library.join(', ')})` : ''} or in examples/`,
    });
  }
  const parsed = parseSpec(source, specContextOf(agents));
  if (!parsed.ok)
    throw new HttpError(400, {
      message: `spec "${name}" is invalid: ${parsed.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    });
  return parsed.spec;
}
