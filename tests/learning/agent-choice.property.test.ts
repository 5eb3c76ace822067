import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  choiceSeed,
  chooseAgentFor,
  needsContext,
  type ChoiceEvidence,
} from '../../src/learning/agent-choice';
import { DefaultBanditOptions, NoArmFitsError } from '../../src/learning/bandit';

const capabilities = ['code', 'tests', 'review', 'docs'];

const arbAgents = fc.uniqueArray(
  fc.record({
    id: fc.constantFrom('a1', 'a2', 'a3', 'a4', 'a5', 'a6'),
    provides: fc.uniqueArray(fc.constantFrom(...capabilities), { minLength: 1, maxLength: 4 }),
  }),
  { minLength: 1, maxLength: 6, selector: (agent) => agent.id },
);

const arbNeeds = fc.uniqueArray(fc.constantFrom(...capabilities), { minLength: 1, maxLength: 2 });

/** Records for the agents in the context of `needs`, each with an outcome and a score. */
const arbRecords = (needs: string[]) =>
  fc
    .array(
      fc.record({
        agent: fc.constantFrom('a1', 'a2', 'a3', 'a4', 'a5', 'a6'),
        success: fc.boolean(),
        score: fc.integer({ min: 0, max: 100 }),
        explored: fc.boolean(),
        at: fc.integer({ min: 0, max: 1e6 }),
      }),
      { maxLength: 40 },
    )
    .map((rows) =>
      rows.map((row): ChoiceEvidence => ({
        agent: row.agent,
        success: row.success,
        score: row.success ? row.score : 0,
        costUsd: 0,
        endedAt: new Date(1_700_000_000_000 + row.at).toISOString(),
        features: { stepKind: 'agent', capabilities: needs, inputTokens: 0 },
        choice: { explored: row.explored, context: needsContext(needs) },
      })),
    );

describe('choosing the agent of an agent: auto step', () => {
  it('only ever chooses an agent that provides every capability needed, and lists exactly those as alternatives', () => {
    fc.assert(
      fc.property(
        arbAgents,
        arbNeeds.chain((needs) => fc.tuple(fc.constant(needs), arbRecords(needs))),
        fc.boolean(),
        fc.integer(),
        (agents, [needs, records], explore, seed) => {
          const fit = agents.filter((agent) => needs.every((need) => agent.provides.includes(need)));
          if (fit.length === 0) {
            expect(() => chooseAgentFor({ needs, agents, records, explore, seed })).toThrow(NoArmFitsError);
            return;
          }
          const choice = chooseAgentFor({ needs, agents, records, explore, seed });
          expect(fit.map((agent) => agent.id)).toContain(choice.agent);
          expect(choice.alternatives.map((a) => a.agent).sort()).toEqual(fit.map((agent) => agent.id).sort());
          expect(choice.reason.startsWith(`${choice.agent}: `)).toBe(true);
          expect(choice).toEqual(chooseAgentFor({ needs, agents, records, explore, seed }));
        },
      ),
    );
  });

  it('with exploration off, chooses the best posterior mean among agents not credibly less successful, and never explores', () => {
    fc.assert(
      fc.property(
        arbAgents,
        arbNeeds.chain((needs) => fc.tuple(fc.constant(needs), arbRecords(needs))),
        fc.integer(),
        (agents, [needs, records], seed) => {
          if (!agents.some((agent) => needs.every((need) => agent.provides.includes(need)))) return;
          const choice = chooseAgentFor({ needs, agents, records, explore: false, seed });
          const chosen = choice.alternatives.find((a) => a.agent === choice.agent)!;
          const mostSuccessful = Math.max(...choice.alternatives.map((a) => a.successMean));
          expect(choice.explored).toBe(false);
          for (const a of choice.alternatives) {
            if (a.estimate > chosen.estimate + 1e-3) {
              expect(a.successMean).toBeLessThan(
                mostSuccessful - DefaultBanditOptions.successTolerance + 1e-3,
              );
            }
          }
          expect(choice.reason).toMatch(/exploration is off$/);
        },
      ),
    );
  });

  it('prefers the specialist without records, and follows the records once they show it failing', () => {
    const agents = [
      { id: 'tester', provides: ['tests'] },
      { id: 'debugger', provides: ['debug', 'code', 'tests'] },
    ];
    const fresh = chooseAgentFor({
      needs: ['tests'],
      agents,
      records: [],
      explore: true,
      seed: choiceSeed('r', 's'),
    });
    expect(fresh.agent).toBe('tester');
    expect(fresh.reason).toMatch(
      /^tester: highest expected reward .*0 records\).*2 of 2 agents provide tests$/,
    );
    const records = Array.from({ length: 12 }, (_, n): ChoiceEvidence => {
      const tester = n % 2 === 0;
      return {
        agent: tester ? 'tester' : 'debugger',
        success: !tester,
        score: tester ? 0 : 95,
        costUsd: 0,
        endedAt: new Date(1_700_000_000_000 + n * 1000).toISOString(),
        features: { stepKind: 'agent', capabilities: ['tests'], inputTokens: 0 },
        choice: { explored: false, context: needsContext(['tests']) },
      };
    });
    const learned = chooseAgentFor({ needs: ['tests'], agents, records, explore: false, seed: 1 });
    expect(learned.agent).toBe('debugger');
    expect(learned.alternatives.find((a) => a.agent === 'tester')?.observations).toBeGreaterThan(0);
  });

  it('keeps exploring within its cap: over many steps, at most a fifth of the recorded choices explored', () => {
    const agents = [
      { id: 'a', provides: ['code'] },
      { id: 'b', provides: ['code'] },
      { id: 'c', provides: ['code'] },
    ];
    const records: ChoiceEvidence[] = [];
    for (let n = 0; n < 200; n++) {
      const choice = chooseAgentFor({
        needs: ['code'],
        agents,
        records,
        explore: true,
        seed: choiceSeed('run', `s${n}`),
      });
      records.push({
        agent: choice.agent,
        success: choice.agent !== 'c',
        score: choice.agent === 'a' ? 90 : 70,
        costUsd: 0,
        endedAt: new Date(1_700_000_000_000 + n * 1000).toISOString(),
        features: { stepKind: 'agent', capabilities: ['code'], inputTokens: 0 },
        choice: { explored: choice.explored, context: choice.context },
      });
    }
    const explored = records.filter((r) => r.choice?.explored).length;
    expect(explored).toBeGreaterThan(0);
    expect(explored).toBeLessThanOrEqual(0.2 * records.length);
  });
});
