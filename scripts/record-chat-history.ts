// The chat session's recording for `npm run record-histories [-- chat]`: one session that goes through
// every shape chatWorkflow has (an auto-routed answer, a judged team, a plan approved into a linked run,
// a slash command, a stopped turn, deletion), saved as tests/fixtures/histories/chat-session.json.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FakeModelServer } from '../src/fake-models/server';
import { loadScript } from '../src/fake-models/script';
import { defaultScriptPath } from '../src/fake-models/server';
import { TroupeCost, TroupeLastActivity, TroupeTitle } from '../src/engine/search-attributes';
import type { ChatSnapshot } from '../src/engine/chat-types';
import { postJson, waitUntil, type Api } from '../tests/helpers/harness';

/** The workflow id, and so the fixture's name: replay takes the file name as the workflow id. */
export const chatRecordingId = 'chat-session';

export async function recordChatSession(
  env: TestWorkflowEnvironment,
  api: Api,
  fake: FakeModelServer,
  agents: string[],
): Promise<void> {
  const script = loadScript(defaultScriptPath);
  fake.setScript({
    ...script,
    replies: [
      { match: { prompt: 'a slow answer' }, reply: 'slow '.repeat(200), tokensPerSecond: 20 },
      ...script.replies,
    ],
  });
  await env.client.workflow.start('chatWorkflow', {
    workflowId: chatRecordingId,
    taskQueue: api.config.TROUPE_TASK_QUEUE,
    args: [{ agents, title: 'Recorded chat' }],
    memo: { kind: 'chat' },
    typedSearchAttributes: [
      { key: TroupeTitle, value: 'Recorded chat' },
      { key: TroupeLastActivity, value: new Date() },
      { key: TroupeCost, value: 0 },
    ],
  });
  const base = `${api.baseUrl}/api/chat/sessions/${chatRecordingId}`;
  const read = async () => (await (await fetch(base)).json()) as ChatSnapshot;
  const settled = (turn: string) => async () =>
    ['done', 'failed', 'cancelled'].includes(
      (await read()).messages.find((entry) => entry.id === turn)?.status ?? '',
    );
  const send = async (body: Record<string, unknown>) => {
    const sent = await postJson(`${base}/messages`, body);
    if (sent.status >= 300) throw new Error(`sending ${JSON.stringify(body)}: ${JSON.stringify(sent.body)}`);
    return sent.body as { message: { id: string } };
  };
  const wait = (what: string, until: () => Promise<boolean>) =>
    waitUntil(until, { timeoutMs: 120_000, everyMs: 200, what });

  const single = await send({ text: 'find the security problems in the login code' });
  await wait('the auto-routed answer', settled(single.message.id));
  const team = await send({
    text: 'How should we store passwords?',
    mode: 'team',
    team: { agents: ['code-generator', 'security-reviewer', 'architecture-advisor'], resolve: 'judge' },
  });
  await wait('the team', settled(team.message.id));
  const goal = await send({ text: 'add a greet function with docs', mode: 'workflow' });
  await wait('the plan', settled(goal.message.id));
  const plan = (await read()).messages.find((entry) => entry.role === 'plan');
  await postJson(`${base}/plans/${plan?.id}`, { approved: true });
  await wait('the linked run', async () =>
    (await read()).messages.some((entry) => entry.role === 'run' && entry.status !== 'running'),
  );
  await send({ text: '/status' });
  const slow = await send({ text: 'give me a slow answer', agent: 'tester' });
  await wait('the slow answer to start', async () =>
    (await read()).messages.some((entry) => entry.turn === slow.message.id && entry.status === 'running'),
  );
  await postJson(`${base}/cancel`, {});
  await wait('the stopped turn', settled(slow.message.id));
  const deleted = await fetch(base, { method: 'DELETE' });
  if (deleted.status !== 204) throw new Error(`deleting the session: ${deleted.status}`);
  await env.client.workflow.getHandle(chatRecordingId).result();
}
