/**
 * `agent: auto`: chooses the agent for a step from the capabilities it needs, by the Thompson-sampling
 * bandit over the agents that provide all of them. The prior comes from the agent catalogue (a
 * specialist starts ahead of a generalist), the posterior from the outcome records of earlier steps
 * with the same needs. Pure: the caller passes the records and the seed, so the same seed gives the
 * same choice, which is what lets a retried activity answer as the first attempt did.
 */
import type { AgentChoice, AgentEstimate } from '../engine/run-snapshot';
import { NoArmFitsError, ThompsonBandit, type Arm } from './bandit';
import { agentCapabilityPrior } from './catalogue-prior';
import { contextOf, type OutcomeRecord } from './outcome-record';
import { seededRng } from './random';

/** An agent as the choice sees it: its id and what it provides. */
export type AgentCandidate = { id: string; provides: readonly string[] };

/** What the choice reads of an outcome record. */
export type ChoiceEvidence = Pick<OutcomeRecord, 'agent' | 'success' | 'score' | 'costUsd' | 'endedAt'> & {
  features: Pick<OutcomeRecord['features'], 'stepKind' | 'capabilities' | 'inputTokens'>;
  choice?: { explored: boolean; context: string } | undefined;
};

export type AgentChoiceInput = {
  needs: readonly string[];
  agents: readonly AgentCandidate[];
  records: readonly ChoiceEvidence[];
  /** false: the best posterior mean, never a sample. */
  explore: boolean;
  seed: number;
  /** The task's size, which picks the context's size bucket. */
  inputTokens?: number;
};

/** The arms are agents, whatever model each routes to: one pseudo-model names them all. */
const anyModel = 'any';

/** The context of a step that needs these capabilities: the one its outcome record will carry. */
export function needsContext(needs: readonly string[], inputTokens = 0): string {
  return contextOf({ stepKind: 'agent', capabilities: [...needs], inputTokens });
}

/** A 32-bit seed from the run and step (FNV-1a), so every attempt of one choice draws the same. */
export function choiceSeed(runId: string, stepId: string): number {
  let hash = 0x811c9dc5;
  for (const char of `${runId}\u0000${stepId}`) {
    hash ^= char.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

export function chooseAgentFor({
  needs,
  agents,
  records,
  explore,
  seed,
  inputTokens = 0,
}: AgentChoiceInput): AgentChoice {
  const fit = agents
    .filter((agent) => needs.every((need) => agent.provides.includes(need)))
    .sort((a, b) => a.id.localeCompare(b.id));
  if (fit.length === 0) {
    throw new NoArmFitsError(
      `no agent provides all of ${needs.join(', ')}; the registry's agents provide ${
        [...new Set(agents.flatMap((agent) => agent.provides))].sort().join(', ') || 'nothing'
      }`,
    );
  }
  const context = needsContext(needs, inputTokens);
  const ids = new Set(fit.map((agent) => agent.id));
  const bandit = new ThompsonBandit({}, { explore });
  const cost = new Map<string, { sum: number; n: number }>();
  const evidence = records
    .filter(
      (r) =>
        r.agent !== undefined && ids.has(r.agent) && (r.choice?.context ?? contextOf(r.features)) === context,
    )
    .sort((a, b) => a.endedAt.localeCompare(b.endedAt));
  for (const r of evidence) {
    const agent = r.agent as string;
    bandit.update(
      context,
      { agent, model: anyModel },
      { success: r.success, quality: Math.min(1, Math.max(0, r.score / 100)) },
    );
    if (r.choice) bandit.noteChoice(context, r.choice.explored);
    const c = cost.get(agent) ?? { sum: 0, n: 0 };
    cost.set(agent, { sum: c.sum + r.costUsd, n: c.n + 1 });
  }
  const arms: Arm[] = fit.map((agent) => {
    const prior = agentCapabilityPrior(needs, agent.provides);
    const c = cost.get(agent.id);
    return {
      agent: agent.id,
      model: anyModel,
      local: false,
      costUsd: c ? c.sum / c.n : 0,
      priorSuccess: prior,
      priorQuality: prior,
    };
  });
  const choice = bandit.choose(context, arms, seededRng(seed));
  const alternatives: AgentEstimate[] = choice.alternatives.map((a) => ({
    agent: a.agent,
    estimate: a.expectedReward,
    successMean: a.successMean,
    qualityMean: a.qualityMean,
    ...(a.sampledReward !== undefined && { sampled: a.sampledReward }),
    observations: a.observations,
  }));
  const of =
    fit.length === 1
      ? `the only agent of ${agents.length} providing`
      : `${fit.length} of ${agents.length} agents provide`;
  const why = choice.reason.replaceAll(`@${anyModel}`, '');
  return {
    agent: choice.agent,
    needs: [...needs],
    context,
    explored: choice.explored,
    reason: `${why}; ${of} ${needs.join(' + ')}${explore ? '' : '; exploration is off'}`,
    alternatives,
  };
}
