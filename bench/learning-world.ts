import { seededRng, type Rng } from '../src/learning/random';

/**
 * The hidden world of the learning benchmark: per agent, model and task type, the chance of success,
 * the quality of a success, the cost and the latency. The bandit never reads these numbers; it sees
 * only the catalogue (capabilities, quality, prices) and the outcomes of its own choices. The seed
 * jitters every success rate by up to ±0.03, draws the task stream and the outcomes.
 *
 * The world's shape is an assumption, stated here so the reader can judge it: a code-specialised
 * local model is as good as the cloud on small code and test tasks, a general local model on small
 * reviews, and the cheap cloud model is within a point or two of the expensive one everywhere: it
 * matches the expensive model in success, so the expensive model buys quality, not success. Local
 * models lose a lot on inputs over 4k tokens. Mid-run, an update of the local coder model makes it
 * much worse at code. The targets of issue 16 assume a world like this one: where the expensive
 * model is the only way to succeed, no policy can be 90% cheaper at equal success.
 */

export const TaskTypes = ['code', 'tests', 'review', 'debug'] as const;
export type TaskType = (typeof TaskTypes)[number];
export const Mix: Record<TaskType, number> = { code: 0.3, tests: 0.25, review: 0.25, debug: 0.2 };
export const LargeShare = 0.25;

export const Agents: Record<TaskType, string> = {
  code: 'code-generator',
  tests: 'tester',
  review: 'reviewer',
  debug: 'debugger',
};

export type ModelInfo = {
  id: string;
  local: boolean;
  /** The catalogue's published numbers: all the bandit may use as a prior. */
  catalogueQuality: number;
  inputPerMillion: number;
  outputPerMillion: number;
  tokensPerSecond: number;
};

export const Models: ModelInfo[] = [
  {
    id: 'qwen2.5-coder:7b',
    local: true,
    catalogueQuality: 55,
    inputPerMillion: 0,
    outputPerMillion: 0,
    tokensPerSecond: 30,
  },
  {
    id: 'llama3.1:8b',
    local: true,
    catalogueQuality: 50,
    inputPerMillion: 0,
    outputPerMillion: 0,
    tokensPerSecond: 35,
  },
  {
    id: 'gpt-4o-mini',
    local: false,
    catalogueQuality: 70,
    inputPerMillion: 0.15,
    outputPerMillion: 0.6,
    tokensPerSecond: 90,
  },
  {
    id: 'gpt-4o',
    local: false,
    catalogueQuality: 90,
    inputPerMillion: 2.5,
    outputPerMillion: 10,
    tokensPerSecond: 80,
  },
];

type Row = Record<TaskType, number>;
/** Success of the matching agent on small tasks. */
const baseSuccess: Record<string, Row> = {
  'qwen2.5-coder:7b': { code: 0.96, tests: 0.96, review: 0.72, debug: 0.8 },
  'llama3.1:8b': { code: 0.7, tests: 0.78, review: 0.95, debug: 0.68 },
  'gpt-4o-mini': { code: 0.9, tests: 0.91, review: 0.92, debug: 0.93 },
  'gpt-4o': { code: 0.91, tests: 0.91, review: 0.91, debug: 0.93 },
};
/** Quality of a success, 0–1. */
const baseQuality: Record<string, Row> = {
  'qwen2.5-coder:7b': { code: 0.86, tests: 0.86, review: 0.7, debug: 0.75 },
  'llama3.1:8b': { code: 0.7, tests: 0.72, review: 0.86, debug: 0.7 },
  'gpt-4o-mini': { code: 0.82, tests: 0.82, review: 0.84, debug: 0.82 },
  'gpt-4o': { code: 0.9, tests: 0.9, review: 0.9, debug: 0.92 },
};
const largePenalty: Record<string, number> = {
  'qwen2.5-coder:7b': 0.4,
  'llama3.1:8b': 0.4,
  'gpt-4o-mini': 0.12,
  'gpt-4o': 0.1,
};
/** An agent on a task outside its role keeps this share of its chance. */
const mismatch = 0.55;

export type Task = {
  index: number;
  type: TaskType;
  large: boolean;
  inputTokens: number;
  outputTokens: number;
};
export type Profile = { success: number; quality: number; costUsd: number; latencyMs: number };

export class World {
  private readonly jitter = new Map<string, number>();
  private readonly rng: Rng;
  drifted = false;

  constructor(readonly seed: number) {
    this.rng = seededRng(seed);
    const j = seededRng(seed ^ 0x9e3779b9);
    for (const m of Models) for (const t of TaskTypes) this.jitter.set(`${m.id}|${t}`, (j() - 0.5) * 0.06);
  }

  uniform(): number {
    return this.rng();
  }

  nextTask(index: number): Task {
    const r = this.rng();
    let acc = 0;
    let type: TaskType = 'code';
    for (const t of TaskTypes) {
      acc += Mix[t];
      if (r < acc) {
        type = t;
        break;
      }
    }
    const large = this.rng() < LargeShare;
    const inputTokens = Math.round(large ? 5000 + this.rng() * 3000 : 800 + this.rng() * 2000);
    return { index, type, large, inputTokens, outputTokens: 700 };
  }

  cost(model: string, task: Task): number {
    const m = Models.find((x) => x.id === model)!;
    return (task.inputTokens * m.inputPerMillion + task.outputTokens * m.outputPerMillion) / 1e6;
  }

  profile(agent: string, model: string, task: Task): Profile {
    const m = Models.find((x) => x.id === model)!;
    let success = baseSuccess[model]![task.type] + this.jitter.get(`${model}|${task.type}`)!;
    if (this.drifted && model === 'qwen2.5-coder:7b' && task.type === 'code') success -= 0.35;
    if (task.large) success -= largePenalty[model]!;
    if (Agents[task.type] !== agent) success *= mismatch;
    const quality = baseQuality[model]![task.type];
    return {
      success: Math.min(0.99, Math.max(0.01, success)),
      quality,
      costUsd: this.cost(model, task),
      latencyMs: (task.outputTokens / m.tokensPerSecond) * 1000 + (m.local ? task.inputTokens / 2 : 300),
    };
  }

  /** Draws an outcome from a profile. */
  outcome(p: Profile): boolean {
    return this.rng() < p.success;
  }
}
