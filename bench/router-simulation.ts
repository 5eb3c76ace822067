import type { FakeModelServer } from '../src/fake-models/server';
import type { FakeScriptInput } from '../src/fake-models/script';
import { MemoryCostLedger } from '../src/models/cost-ledger';
import {
  callOneModel,
  estimateInputTokens,
  ModelCallError,
  type CallModelInput,
} from '../src/models/model-caller';
import { failsOver } from '../src/models/model-failures';
import { createModelRuntime, type ModelRuntime } from '../src/models/model-runtime';
import { RoutingPolicy } from '../src/models/model-step-input';
import { planRoute } from '../src/models/router-policy';
import { buildCatalogue, seeded } from './bench-support';

/**
 * Part 2: 1,000 seeded tasks of mixed difficulty, each answered as JSON that must match a schema,
 * run over real HTTP against the fake server once with every task sent to the cloud model and once
 * with Troupe's local-first routing, which escalates to the cloud when the local answer fails validation.
 */

export const Difficulty = { Easy: 'easy', Medium: 'medium', Hard: 'hard' } as const;
export type Difficulty = (typeof Difficulty)[keyof typeof Difficulty];

/** The simulation's assumptions, printed with its results. */
export const assumptions = {
  tasks: 1_000,
  mix: { easy: 0.6, medium: 0.3, hard: 0.1 } satisfies Record<Difficulty, number>,
  /** Share of answers that pass validation, per model and difficulty. */
  success: {
    local: { easy: 0.98, medium: 0.92, hard: 0.5 },
    cloud: { easy: 0.99, medium: 0.97, hard: 0.92 },
  } satisfies Record<string, Record<Difficulty, number>>,
  local: { id: 'local-8b', tokensPerSecond: 400, latencyMs: 20 },
  cloud: {
    id: 'cloud-large',
    tokensPerSecond: 800,
    latencyMs: 50,
    inputPerMillion: 2.5,
    outputPerMillion: 10,
  },
  /** Tasks in flight at once; the fake server keys its draws on the prompt, so results do not depend on it. */
  concurrency: 16,
};

const schema = {
  type: 'object',
  properties: { answer: { type: 'string' }, confidence: { type: 'number' } },
  required: ['answer', 'confidence'],
};
const goodAnswer = {
  answer: 'A scripted answer of a realistic length: '.padEnd(240, 'lorem ipsum dolor sit amet '),
  confidence: 0.9,
};

type Task = { id: number; difficulty: Difficulty; prompt: string };

function tasks(): Task[] {
  const random = seeded(1_000);
  return Array.from({ length: assumptions.tasks }, (_, id) => {
    const roll = random();
    const difficulty =
      roll < assumptions.mix.easy
        ? Difficulty.Easy
        : roll < assumptions.mix.easy + assumptions.mix.medium
          ? Difficulty.Medium
          : Difficulty.Hard;
    const context = 'context line of the task. '.repeat(10 + Math.floor(random() * 70));
    return { id, difficulty, prompt: `task ${id}, difficulty: ${difficulty}. Answer as JSON.\n${context}` };
  });
}

function script(): FakeScriptInput {
  const { local, cloud, success } = assumptions;
  const rules = (model: string, rates: Record<Difficulty, number>) =>
    Object.entries(rates).map(([difficulty, rate]) => ({
      match: { model, prompt: `difficulty: ${difficulty}.` },
      json: goodAnswer,
      invalidRate: 1 - rate,
      invalidReply: '{"answer": "I could not work this out"}',
    }));
  return {
    seed: 99,
    models: {
      [local.id]: { latencyMs: local.latencyMs, tokensPerSecond: local.tokensPerSecond },
      [cloud.id]: { latencyMs: cloud.latencyMs, tokensPerSecond: cloud.tokensPerSecond },
    },
    replies: [...rules(local.id, success.local), ...rules(cloud.id, success.cloud)],
  };
}

function runtimeFor(fake: FakeModelServer): ModelRuntime {
  const { local, cloud } = assumptions;
  const catalogue = buildCatalogue({
    breaker: { failures: 1_000_000, halfOpenAfterMs: 1_000 },
    providers: [
      { id: 'ollama', kind: 'ollama', baseUrl: fake.url },
      { id: 'cloud', kind: 'openai', baseUrl: fake.openaiUrl },
    ],
    models: [
      {
        id: local.id,
        provider: 'ollama',
        capabilities: ['code', 'json'],
        contextTokens: 32_000,
        quality: 55,
      },
      {
        id: cloud.id,
        provider: 'cloud',
        capabilities: ['code', 'json', 'reasoning'],
        contextTokens: 128_000,
        quality: 90,
        pricing: { inputPerMillion: cloud.inputPerMillion, outputPerMillion: cloud.outputPerMillion },
      },
    ],
  });
  return createModelRuntime({ catalogue, env: {}, ledger: new MemoryCostLedger() });
}

export type StrategyResult = {
  name: string;
  succeeded: number;
  costUsd: number;
  cloudCalls: number;
  localCalls: number;
  computeSeconds: number;
  wallMs: number;
  byDifficulty: Record<Difficulty, { tasks: number; succeeded: number }>;
};

async function runStrategy(
  fake: FakeModelServer,
  name: string,
  chainFor: (runtime: ModelRuntime, input: CallModelInput) => string[],
): Promise<StrategyResult> {
  fake.setScript(script());
  const runtime = runtimeFor(fake);
  const started = performance.now();
  const byDifficulty = {
    easy: { tasks: 0, succeeded: 0 },
    medium: { tasks: 0, succeeded: 0 },
    hard: { tasks: 0, succeeded: 0 },
  };
  let succeeded = 0;
  const queue = tasks();
  const runTask = async (task: Task) => {
    const input: CallModelInput = {
      modelId: '',
      runId: 'bench',
      stepId: `task-${task.id}`,
      prompt: task.prompt,
      schema,
      maxTokens: 400,
    };
    byDifficulty[task.difficulty].tasks += 1;
    for (const modelId of chainFor(runtime, input)) {
      try {
        await callOneModel(runtime, { ...input, modelId });
        succeeded += 1;
        byDifficulty[task.difficulty].succeeded += 1;
        return;
      } catch (err) {
        if (!(err instanceof ModelCallError) || !failsOver(err.type)) throw err;
      }
    }
  };
  await Promise.all(
    Array.from({ length: assumptions.concurrency }, async () => {
      for (let task = queue.shift(); task; task = queue.shift()) await runTask(task);
    }),
  );
  const ran = Object.values(byDifficulty).reduce((sum, group) => sum + group.tasks, 0);
  if (ran !== assumptions.tasks) throw new Error(`${name} ran ${ran} of ${assumptions.tasks} tasks`);
  const entries = (runtime.ledger as MemoryCostLedger).calls;
  return {
    name,
    succeeded,
    costUsd: entries.reduce((sum, entry) => sum + entry.costUsd, 0),
    cloudCalls: entries.filter((entry) => entry.modelId === assumptions.cloud.id).length,
    localCalls: entries.filter((entry) => entry.modelId === assumptions.local.id).length,
    computeSeconds: entries.reduce((sum, entry) => sum + (entry.computeSeconds ?? 0), 0),
    wallMs: performance.now() - started,
    byDifficulty,
  };
}

/** Runs both strategies on the same tasks and the same script. */
export async function simulate(
  fake: FakeModelServer,
): Promise<{ cloud: StrategyResult; troupe: StrategyResult }> {
  const cloud = await runStrategy(fake, 'always-cloud', () => [assumptions.cloud.id]);
  const troupe = await runStrategy(fake, 'troupe local-first', (runtime, input) =>
    planRoute(
      runtime.catalogue,
      { providers: {}, breakers: {} },
      {
        policy: RoutingPolicy.LocalFirst,
        capabilities: ['json'],
        inputTokens: estimateInputTokens(input),
        maxOutputTokens: input.maxTokens,
      },
    ).chain.map((candidate) => candidate.modelId),
  );
  return { cloud, troupe };
}
