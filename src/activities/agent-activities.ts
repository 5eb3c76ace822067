import { join } from 'node:path';
import { activityInfo, Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { CompensationKind, type AgentDefinition } from '../agents/agent-definition';
import { continueNote, taskPrompt } from '../agents/agent-output';
import {
  AgentHeartbeat,
  type AgentResume,
  AgentProgress,
  AgentStepInput,
  CompensateAgentInput,
  type AgentStepResult,
} from '../agents/agent-step-input';
import type { AgentStatusBoard } from '../agents/agent-status';
import type { AgentRegistry } from '../agents/registry';
import type { ModelRuntime } from '../models/model-runtime';
import { runDeployCommand } from '../tools/deploy-tool';
import { toolBox } from '../tools/tool-box';
import { stepEnv } from '../tools/step-identity';
import { ToolSettings, type ToolSettingsInput } from '../tools/tool-kit';
import { runAgentLoop } from './agent-loop';
import { blobStoreFor, offloadLarge, type BlobStore } from './blob-store';
import { storeLocation } from '../store/store';
import { runFolderName } from './workspace';
import {
  prepareWorkspace,
  restoreWorkspace,
  snapshotWorkspace,
  WorkspaceSnapshot,
} from './workspace-snapshots';

export type AgentActivityDeps = {
  runtime: ModelRuntime;
  registry: AgentRegistry;
  /** Runs' workspaces live under `<dataDir>/workspaces/<runId>`; artefacts under `<dataDir>/artifacts/`. */
  workspaces: { dataDir: string };
  tools?: ToolSettingsInput;
  status?: AgentStatusBoard;
};

/** Strings in a run step's agent answer longer than this travel as blob references, as tool outputs do. */
const OUTPUT_INLINE_BYTES = 128 * 1024;
const runWorkflowTypes = new Set(['runWorkflow', 'foreachBatch']);

/** Beats while a model or tool call runs, so a heartbeat timeout catches a dead worker, not a slow call. */
const HEARTBEAT_EVERY_MS = 1_000;

/**
 * The agent activities: `runAgent` runs one specialist through its loop in the run's workspace,
 * `compensateAgent` undoes a finished step (restore the snapshot, or run the rollback command).
 */
export const createAgentActivities = ({
  runtime,
  registry,
  workspaces,
  tools,
  status,
}: AgentActivityDeps) => {
  const settings = ToolSettings.parse(tools ?? {});
  const progressStore = blobStoreFor(storeLocation(workspaces.dataDir));
  return {
    runAgent: async (raw: AgentStepInput): Promise<AgentStepResult> => {
      const parsed = AgentStepInput.safeParse(raw);
      if (!parsed.success) {
        const problems = parsed.error.issues.map(
          (issue) => `${issue.path.join('.') || '(input)'}: ${issue.message}`,
        );
        throw ApplicationFailure.create({
          type: 'InvalidAgentInput',
          message: `runAgent got invalid input: ${problems.join('; ')}`,
          nonRetryable: true,
        });
      }
      const input = parsed.data;
      let agent;
      try {
        agent = registry.get(input.agent);
      } catch (err) {
        throw ApplicationFailure.create({
          type: 'UnknownAgent',
          message: (err as Error).message,
          nonRetryable: true,
        });
      }
      const context = Context.current();
      const root = await prepareWorkspace({
        dataDir: workspaces.dataDir,
        runId: input.runId,
        repo: input.repo,
      });
      const start = await startingPoint(agent, input, root, progressStore);
      const finish = status?.begin(agent.id, input.runId, input.stepId);
      let last = start;
      let heartbeat = heartbeatOf(start);
      const beat = () => context.heartbeat(heartbeat);
      // Saved in order, so a slow write never replaces a later heartbeat with an earlier one.
      let saving = Promise.resolve();
      const save = (progress: AgentProgress) => {
        saving = saving.then(async () => {
          const progressRef = await progressStore.put(Buffer.from(JSON.stringify(progress)));
          heartbeat = { ...heartbeatOf(progress), progressRef };
          beat();
        });
        saving = saving.catch(() => undefined);
      };
      const ticker = setInterval(beat, HEARTBEAT_EVERY_MS);
      try {
        const { output, pending, progress } = await runAgentLoop(runtime, agent, input, start, {
          signal: context.cancellationSignal,
          knowsAgent: (id) => registry.agents.has(id),
          tools: {
            root,
            settings,
            artifactsDir: join(workspaces.dataDir, 'artifacts', runFolderName(input.runId), input.stepId),
            env: stepEnv({ ...input, attempt: activityInfo().attempt }),
          },
          onProgress: (progress) => {
            last = structuredClone(progress);
            save(last);
          },
        });
        await saving;
        await finish?.({ ok: true, costUsd: progress.costUsd });
        // A run's step keeps a large answer or transcript in the blob store, as a tool's output is;
        // a chat (which shows the text) and a paused loop (which resumes from it) keep theirs inline.
        const offloads = !pending && runWorkflowTypes.has(activityInfo().workflowType ?? '');
        const stored = async <T>(value: T): Promise<T> =>
          offloads ? ((await offloadLarge(value, progressStore, OUTPUT_INLINE_BYTES)) as T) : value;
        return {
          agent: agent.id,
          output: await stored(output),
          transcript: await stored(progress.transcript),
          toolCalls: progress.toolCalls,
          modelId: progress.modelId ?? '',
          usage: progress.usage,
          costUsd: progress.costUsd,
          iterations: progress.iteration,
          ...(progress.snapshotRef && { snapshotRef: progress.snapshotRef }),
          workspace: root,
          ...(pending && { pending, resume: progress }),
        };
      } catch (err) {
        // The last progress reaches the heartbeat before the attempt fails, so the retry resumes from it.
        await saving;
        await finish?.({ ok: false, costUsd: last.costUsd });
        throw err;
      } finally {
        clearInterval(ticker);
      }
    },

    /** Undoes a finished agent step as its definition says; safe to run twice. */
    compensateAgent: async (
      raw: CompensateAgentInput,
    ): Promise<{ compensated: CompensationKind; detail?: string }> => {
      const input = CompensateAgentInput.parse(raw);
      const agent = registry.get(input.agent);
      const root = await prepareWorkspace({
        dataDir: workspaces.dataDir,
        runId: input.runId,
        repo: input.repo,
      });
      const { compensation } = agent;
      if (compensation.kind === CompensationKind.RestoreWorkspace) {
        if (!input.snapshotRef)
          return { compensated: CompensationKind.None, detail: 'the step took no snapshot' };
        await restoreWorkspace(root, decodeSnapshot(input.snapshotRef));
        return { compensated: compensation.kind };
      }
      if (compensation.kind === CompensationKind.Command) {
        const context = Context.current();
        const result = await runDeployCommand(
          {
            root,
            settings,
            signal: context.cancellationSignal,
            artifactsDir: join(workspaces.dataDir, 'artifacts'),
            env: stepEnv({ ...input, attempt: activityInfo().attempt, compensation: true }),
          },
          'rollback',
        );
        if (result.exitCode !== 0) {
          throw ApplicationFailure.create({
            type: 'RollbackFailed',
            message: `rollback ${result.command.join(' ')} exited ${result.exitCode}: ${result.stderr.trim().slice(-500)}`,
          });
        }
        return { compensated: compensation.kind, detail: result.stdout.trim().slice(-500) };
      }
      return { compensated: CompensationKind.None };
    },
  };
};

export type AgentActivities = ReturnType<typeof createAgentActivities>;

const heartbeatOf = ({ iteration, lastTool, costUsd, snapshotRef }: AgentProgress): AgentHeartbeat => ({
  iteration,
  ...(lastTool && { lastTool }),
  costUsd,
  ...(snapshotRef && { snapshotRef }),
});

/** The progress a heartbeat points to; a heartbeat of a release before references carried it whole. */
async function resumedProgress(details: unknown, store: BlobStore): Promise<AgentProgress | undefined> {
  const whole = AgentProgress.safeParse(details);
  if (whole.success) return whole.data;
  const beat = AgentHeartbeat.safeParse(details);
  if (!beat.success) return undefined;
  const saved = beat.data.progressRef
    ? await store
        .get(beat.data.progressRef)
        .then((content) => AgentProgress.safeParse(JSON.parse(content.toString('utf8'))))
        .catch(() => undefined)
    : undefined;
  if (saved?.success) return saved.data;
  // The conversation is gone (another machine's disk): start over, but keep the first snapshot.
  return {
    iteration: beat.data.iteration,
    messages: [],
    transcript: [],
    toolCalls: [],
    usage: { inputTokens: 0, outputTokens: 0 },
    costUsd: beat.data.costUsd,
    ...(beat.data.snapshotRef && { snapshotRef: beat.data.snapshotRef }),
  };
}

/**
 * Where the loop starts: the last heartbeat's conversation on a retry, or a fresh one. A fresh
 * start snapshots the workspace first, unless an earlier attempt did (its snapshot is the one the
 * compensation must restore, since that attempt may have changed files already).
 */
async function startingPoint(
  agent: AgentDefinition,
  input: AgentStepInput,
  root: string,
  store: BlobStore,
): Promise<AgentProgress> {
  const earlier = await resumedProgress(activityInfo().heartbeatDetails, store);
  if (earlier && earlier.messages.length > 0) return earlier;
  if (input.resume) return answered(input.resume, input.stepId);
  const mutates = agent.tools.some((name) => toolBox.get(name)?.mutates);
  const snapshotRef =
    earlier?.snapshotRef ??
    (mutates ? encodeSnapshot(await snapshotWorkspace(root, `${input.runId}-${input.stepId}`)) : undefined);
  return {
    iteration: 0,
    messages: [{ role: 'user', content: taskPrompt(input.stepId, input.task, input.context) }],
    transcript: earlier?.transcript ?? [],
    toolCalls: earlier?.toolCalls ?? [],
    usage: earlier?.usage ?? { inputTokens: 0, outputTokens: 0 },
    costUsd: earlier?.costUsd ?? 0,
    ...(snapshotRef && { snapshotRef }),
  };
}

/** The paused conversation, with the other agent's answer given to the model as the ask_agent result. */
function answered({ progress, answer }: AgentResume, stepId: string): AgentProgress {
  return {
    ...progress,
    messages: [
      ...progress.messages,
      {
        role: 'tool',
        toolCallId: answer.toolCallId,
        name: 'ask_agent',
        content: JSON.stringify({ agent: answer.agent, answer: answer.content }),
      },
      { role: 'user', content: continueNote(stepId, progress.iteration + 1, ['ask_agent']) },
    ],
    transcript: [...progress.transcript, `${progress.iteration}. ${answer.agent} answered`],
  };
}

/** A snapshot travels as one string (its ref plus what restores it), so a step record can hold it. */
export function encodeSnapshot(snapshot: WorkspaceSnapshot): string {
  return `${snapshot.ref}#${Buffer.from(JSON.stringify(snapshot)).toString('base64url')}`;
}

export function decodeSnapshot(ref: string): WorkspaceSnapshot {
  const encoded = ref.split('#')[1];
  const parsed = WorkspaceSnapshot.safeParse(
    encoded ? JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) : undefined,
  );
  if (!parsed.success) {
    throw ApplicationFailure.create({
      type: 'BadSnapshotRef',
      message: `"${ref.slice(0, 80)}" is not a snapshot reference from runAgent`,
      nonRetryable: true,
    });
  }
  return parsed.data;
}
