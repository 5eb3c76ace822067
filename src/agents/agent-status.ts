import { hostname } from 'node:os';
import { z } from 'zod';
import { asStatusStore, type StatusStore, type StatusWriter } from '../status-board';

export const AgentState = { Busy: 'busy', Idle: 'idle' } as const;
export type AgentState = (typeof AgentState)[keyof typeof AgentState];

const RECENT = 20;

export const AgentStats = z.object({
  state: z.enum([AgentState.Busy, AgentState.Idle]),
  /** The runs and steps this agent is working on now. */
  current: z.array(z.object({ runId: z.string(), stepId: z.string(), since: z.string() })),
  /** The last few finished steps, newest last: ok, latency and cost. */
  recent: z.array(z.object({ ok: z.boolean(), latencyMs: z.number(), costUsd: z.number() })),
});
export type AgentStats = z.infer<typeof AgentStats>;

export const AgentStatusFile = z.object({
  host: z.string(),
  pid: z.int(),
  updatedAt: z.string(),
  agents: z.record(z.string(), AgentStats),
});
export type AgentStatusFile = z.infer<typeof AgentStatusFile>;

/** An agent's status merged across worker processes, as GET /api/agents shows it. */
export type AgentSummary = {
  state: AgentState;
  current: AgentStats['current'];
  finished: number;
  successRate: number | undefined;
  avgLatencyMs: number | undefined;
  avgCostUsd: number | undefined;
};

/**
 * Agents run in worker processes; the API runs elsewhere. Each process publishes what its agents
 * are doing to the status store (Redis with REDIS_URL, else `<dataDir>/agents/status/<host>-<pid>.json`,
 * as the breaker board does), and the API merges the entries of live processes.
 */
export class AgentStatusBoard {
  private readonly agents = new Map<string, AgentStats>();
  private readonly writer: StatusWriter<AgentStatusFile>;
  /** Where this board publishes, for readers in the same process (chat's choice of agent). */
  readonly store: StatusStore;

  constructor(
    where: string | StatusStore,
    private readonly self = { host: hostname(), pid: process.pid },
  ) {
    this.store = asStatusStore(where);
    this.writer = this.store.writer('agents', self);
  }

  /** Marks the agent busy on a step; the returned function records how the step ended. */
  begin(
    agent: string,
    runId: string,
    stepId: string,
  ): (outcome: { ok: boolean; costUsd: number }) => Promise<void> {
    const stats = this.stats(agent);
    const since = new Date();
    const entry = { runId, stepId, since: since.toISOString() };
    stats.current.push(entry);
    stats.state = AgentState.Busy;
    void this.publish();
    let done = false;
    return ({ ok, costUsd }) => {
      if (done) return this.writer.settled();
      done = true;
      stats.current = stats.current.filter((item) => item !== entry);
      stats.state = stats.current.length > 0 ? AgentState.Busy : AgentState.Idle;
      stats.recent = [...stats.recent, { ok, latencyMs: Date.now() - since.getTime(), costUsd }].slice(
        -RECENT,
      );
      return this.publish();
    };
  }

  private stats(agent: string): AgentStats {
    let stats = this.agents.get(agent);
    if (!stats) {
      stats = { state: AgentState.Idle, current: [], recent: [] };
      this.agents.set(agent, stats);
    }
    return stats;
  }

  /** Writes this process's file; writes are queued so the last state always lands last. */
  publish(): Promise<void> {
    return this.writer.write({
      ...this.self,
      updatedAt: new Date().toISOString(),
      agents: Object.fromEntries(this.agents),
    });
  }
}

/** Merges every worker's status entry into one summary per agent (a gone process's steps are not current). */
export async function readAgentStatus(where: string | StatusStore): Promise<Record<string, AgentSummary>> {
  return (await readAgentStatusFrom(where)).agents;
}

/** The summaries, and why the store could not be read (when it could not). */
export async function readAgentStatusFrom(
  where: string | StatusStore,
): Promise<{ agents: Record<string, AgentSummary>; error?: string }> {
  const read = await asStatusStore(where).read(AgentStatusFile);
  const merged = new Map<string, { current: AgentStats['current']; recent: AgentStats['recent'] }>();
  const files = [
    ...read.live.map((file) => ({ file, live: true })),
    ...read.stale.map((file) => ({ file, live: false })),
  ];
  for (const { file, live } of files) {
    for (const [agent, stats] of Object.entries(file.agents)) {
      const into = merged.get(agent) ?? { current: [], recent: [] };
      if (live) into.current.push(...stats.current);
      into.recent.push(...stats.recent);
      merged.set(agent, into);
    }
  }
  const agents = Object.fromEntries([...merged].map(([agent, stats]) => [agent, summarise(stats)]));
  return { agents, ...(read.error !== undefined && { error: read.error }) };
}

/** Pure: the numbers the API shows, from the raw recent list. */
export function summarise(stats: Pick<AgentStats, 'current' | 'recent'>): AgentSummary {
  const n = stats.recent.length;
  const mean = (pick: (item: AgentStats['recent'][number]) => number) =>
    n === 0 ? undefined : stats.recent.reduce((sum, item) => sum + pick(item), 0) / n;
  return {
    state: stats.current.length > 0 ? AgentState.Busy : AgentState.Idle,
    current: stats.current,
    finished: n,
    successRate: mean((item) => (item.ok ? 1 : 0)),
    avgLatencyMs: mean((item) => item.latencyMs),
    avgCostUsd: mean((item) => item.costUsd),
  };
}
