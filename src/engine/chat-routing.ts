/** Auto mode: which agent answers a message, and why. Pure: the activity gathers the facts. */

export type AgentCandidate = {
  id: string;
  description: string;
  capabilities: string[];
  /** The agent's routing policy: cheaper policies win ties. */
  policy?: string;
  /** Steps it is working on now, across the workers. */
  busy: number;
  /** Recent outcomes in this session and on the workers, newest last. */
  recent: boolean[];
};

/** Agents auto mode never picks: they plan, judge, sum up or deploy, which a chat asks for by name or mode. */
export const notForAuto = new Set(['planner', 'summarizer', 'deploy', 'reviewer']);

const stop = new Set([
  'a',
  'an',
  'and',
  'the',
  'to',
  'of',
  'in',
  'for',
  'on',
  'with',
  'is',
  'it',
  'me',
  'my',
  'this',
  'that',
  'what',
  'how',
  'please',
  'can',
  'you',
  'i',
]);

function words(text: string): Set<string> {
  return new Set(
    text
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((word) => word.length > 2 && !stop.has(word))
      .map((word) => word.replace(/(ing|ed|es|s)$/, '')),
  );
}

const costRank: Record<string, number> = { cheapest: 2, 'local-first': 2, balanced: 1, 'best-quality': 0 };

/**
 * Scores each candidate: words of the message found in its capabilities (3 each) and description
 * (1 each), recent success (up to 2), a cheaper routing policy (up to 1), minus 1 per step it is busy
 * with. The best score wins; ties go to the first. Answers the choice and the reasons in words.
 */
export function chooseAgent(text: string, candidates: AgentCandidate[]): { agent: string; why: string } {
  const asked = words(text);
  let best: { agent: string; score: number; why: string } | undefined;
  for (const candidate of candidates.filter((entry) => !notForAuto.has(entry.id))) {
    const capabilityHits = [...words(candidate.capabilities.join(' '))].filter((word) => asked.has(word));
    const descriptionHits = [...words(candidate.description)].filter(
      (word) => asked.has(word) && !capabilityHits.includes(word),
    );
    const ok = candidate.recent.filter(Boolean).length;
    const success = candidate.recent.length > 0 ? ok / candidate.recent.length : 0.5;
    const cost = (costRank[candidate.policy ?? 'local-first'] ?? 1) / 2;
    const score = capabilityHits.length * 3 + descriptionHits.length + success * 2 + cost - candidate.busy;
    const matched = [...capabilityHits, ...descriptionHits];
    const why = [
      matched.length > 0
        ? `matches ${matched.map((word) => `"${word}"`).join(', ')}`
        : 'no capability matched',
      candidate.recent.length > 0
        ? `${ok}/${candidate.recent.length} recent answers ok`
        : 'no recent answers',
      `cost: ${candidate.policy ?? 'local-first'}`,
      candidate.busy > 0 ? `busy with ${candidate.busy}` : 'idle',
    ].join('; ');
    if (!best || score > best.score) best = { agent: candidate.id, score, why };
  }
  if (!best) throw new Error('no agent can answer in auto mode');
  return { agent: best.agent, why: `auto chose ${best.agent}: ${best.why}` };
}
