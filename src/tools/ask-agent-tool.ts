import { z } from 'zod';
import { defineTool, ToolError } from './tool-kit';

/** The arguments of ask_agent; the agent loop reads them when it hands the question to the workflow. */
export const AskAgentArgs = z.strictObject({
  agent: z.string().min(1).describe('the id of the agent to ask, e.g. architecture-advisor'),
  question: z.string().min(1).max(20_000).describe('the question, with the facts the other agent needs'),
});
export type AskAgentArgs = z.infer<typeof AskAgentArgs>;

/**
 * Asks another agent a question and waits for its answer. The loop never runs this tool itself: it
 * pauses, the workflow runs the other agent as a child step, and the loop resumes with the answer.
 */
export const askAgentTool = defineTool({
  name: 'ask_agent',
  description:
    'Ask another specialist agent a question and wait for its answer (for example architecture-advisor about a design).',
  args: AskAgentArgs,
  mutates: false,
  run() {
    return Promise.reject(
      new ToolError('not-here', 'ask_agent is answered by the workflow, not run as a tool'),
    );
  },
});
