/**
 * What a team's agents and judge are asked, and how a decision is read back: the words of the shared
 * resolver (collaboration.ts). Pure.
 */

/** What a debater is told in round `round`: the others' answers, and to keep or change its own. */
export function debateNote(
  round: number,
  rounds: number,
  others: { agent: string; text: string }[],
  subject = "the user's message",
): string {
  const answers = others.map(({ agent, text }) => `### ${agent}\n${text}`).join('\n\n');
  return `Debate round ${round} of ${rounds}. The other agents answered:\n\n${answers}\n\nKeep your answer if you still think it right, or give a better one. Answer ${subject} again, in full.`;
}

/** What the judge is told the answers answer: a chat message, or a step's task. */
export type Subject = { what: string; heading: string };
export const ChatSubject: Subject = { what: "the user's message", heading: 'The message' };
export const TaskSubject: Subject = { what: 'the task', heading: 'The task' };

/** The judge's task: the question and the numbered answers. */
export function judgeTask(
  question: string,
  answers: { agent: string; text: string }[],
  subject: Subject = ChatSubject,
): string {
  const listed = answers.map(({ agent, text }, index) => `Answer ${index} (${agent}):\n${text}`).join('\n\n');
  return `Judge the team's answers to ${subject.what} and choose the best.\n\n${subject.heading}:\n${question}\n\n${listed}\n\nAnswer with the index of the best answer, whether the answers agree, and your reasons.`;
}

/** The JSON schema of a judge's or voter's decision. */
export const decisionSchema = {
  type: 'object',
  properties: {
    choice: { type: 'integer', minimum: 0 },
    agree: { type: 'boolean' },
    reasons: { type: 'array', items: { type: 'string' } },
  },
  required: ['choice', 'agree', 'reasons'],
} as const;

/** A judge's or voter's decision: an index into the answers, whether they agree, and why. */
export type Decision = { choice: number; agree: boolean; reasons: string[] };

/** Reads a decision from a model's answer; anything missing or malformed reads as choice 0, no reasons. */
export function parseDecision(raw: unknown): Decision {
  const decision = (raw && typeof raw === 'object' ? raw : {}) as {
    choice?: unknown;
    agree?: unknown;
    reasons?: unknown;
  };
  return {
    choice:
      typeof decision.choice === 'number' && Number.isFinite(decision.choice)
        ? Math.trunc(decision.choice)
        : 0,
    agree: decision.agree === true,
    reasons: Array.isArray(decision.reasons)
      ? decision.reasons.filter((item): item is string => typeof item === 'string')
      : [],
  };
}
