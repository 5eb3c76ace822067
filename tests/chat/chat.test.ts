import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorkspacePath } from '../../src/activities/workspace';
import type { Spec } from '../../src/engine/spec';
import { loadScript } from '../../src/fake-models/script';
import { defaultScriptPath, startFakeModelServer, type FakeModelServer } from '../../src/fake-models/server';
import { postJson, waitForRun, waitUntil, isClosed } from '../helpers/harness';
import { startStack, type Stack } from '../helpers/stack';
import { shippedCatalogueOn } from '../models/helpers';
import {
  answersTo,
  createSession,
  readSession,
  streamedText,
  turnDone,
  waitForSession,
  watchSession,
} from './helpers';

let stack: Stack;
let fake: FakeModelServer;
let base: string;

const slowReply = Array.from({ length: 60 }, (_, index) => `token${index}`).join(' ');

beforeAll(async () => {
  fake = await startFakeModelServer();
  const script = loadScript(defaultScriptPath);
  fake.setScript({
    ...script,
    replies: [
      { match: { prompt: 'stream slowly' }, reply: slowReply, latencyMs: 300, tokensPerSecond: 200 },
      {
        match: { agent: 'planner', prompt: 'choose who tests it' },
        json: {
          steps: [
            { id: 'code', agent: 'code-generator', task: 'Write greet(name)', dependsOn: [] },
            { id: 'check', agent: 'auto', needs: ['tests'], task: 'Test greet(name)', dependsOn: ['code'] },
          ],
        },
      },
      {
        match: { prompt: '/attachments\\/sales\\.csv/' },
        toolCalls: [{ name: 'read_file', arguments: { path: 'attachments/sales.csv' } }],
      },
      ...script.replies,
    ],
  });
  stack = await startStack('chat', { server: true, agents: true, models: shippedCatalogueOn(fake).runtime });
  base = stack.api.baseUrl;
});

afterAll(async () => {
  await stack?.stop();
  await fake?.close();
});

const send = (sessionId: string, body: Record<string, unknown>) =>
  postJson(`${base}/api/chat/sessions/${sessionId}/messages`, body);

/** Approves a proposed plan and waits for the run it starts to end; the session as it is then. */
async function approveAndAwaitRun(sessionId: string, planId: string | undefined) {
  const decided = await postJson(`${base}/api/chat/sessions/${sessionId}/plans/${planId}`, {
    approved: true,
  });
  expect(decided.status, JSON.stringify(decided.body)).toBe(200);
  return waitForSession(
    base,
    sessionId,
    (view) => view.messages.some((entry) => entry.role === 'run' && entry.status !== 'running'),
    { what: 'the run to end', timeoutMs: 90_000 },
  );
}

describe('single-agent chat', () => {
  it('streams a reply token by token, then records it once with its model, tokens and cost', async () => {
    const sessionId = await createSession(base);
    const watcher = await watchSession(base, sessionId);
    try {
      const sent = await send(sessionId, { text: 'please stream slowly', agent: 'architecture-advisor' });
      expect(sent.status, JSON.stringify(sent.body)).toBe(202);
      const turn: string = sent.body.message.id;
      const session = await waitForSession(base, sessionId, turnDone(turn), { what: 'the reply' });
      const [reply] = answersTo(session, turn);
      expect(reply).toMatchObject({
        role: 'assistant',
        agent: 'architecture-advisor',
        status: 'done',
        simulated: true,
      });
      expect(reply?.text).toContain('token59');
      expect(reply?.modelId).toBeTruthy();
      expect(reply?.usage?.outputTokens).toBeGreaterThan(0);
      const chunks = watcher.seen.tokens.filter((chunk) => chunk.stepId === reply?.id);
      expect(chunks.length).toBeGreaterThan(2);
      expect(streamedText(chunks, reply?.id ?? '')).toEqual([reply?.text]);
      // The first chunk came well before the reply was recorded: it streamed.
      const recordedDelta = () =>
        watcher.seen.deltas.find((delta) =>
          delta.messages.some((entry) => entry.id === reply?.id && entry.status === 'done'),
        );
      await waitUntil(() => recordedDelta() !== undefined, { what: 'the delta that records the reply' });
      const recorded = recordedDelta();
      expect(recorded).toBeDefined();
      expect(chunks[0]?.at ?? Infinity).toBeLessThan(recorded?.sentAt ?? 0);
      // Snapshot then deltas: each delta chains on the version before it.
      let version = watcher.seen.snapshots[0]?.version;
      for (const delta of watcher.seen.deltas) {
        expect(delta.from).toBe(version);
        version = delta.version;
      }
    } finally {
      watcher.close();
    }
  });

  it('chooses an agent in auto mode and says why', async () => {
    const sessionId = await createSession(base);
    const sent = await send(sessionId, { text: 'find the security vulnerabilities in the login code' });
    const session = await waitForSession(base, sessionId, turnDone(sent.body.message.id));
    const [reply] = answersTo(session, sent.body.message.id);
    expect(reply?.agent).toBe('security-reviewer');
    expect(reply?.why).toMatch(/^auto chose security-reviewer: matches .*security/);
  });

  it('refuses empty, oversized and unknown-agent messages before history records them', async () => {
    const sessionId = await createSession(base);
    await waitForSession(base, sessionId, () => true);
    const before = (await stack.env.client.workflow.getHandle(sessionId).fetchHistory()).events?.length ?? 0;
    const empty = await send(sessionId, { text: '   ' });
    expect(empty.status).toBe(400);
    expect(empty.body.detail).toContain('a message needs text or an attachment');
    const long = await send(sessionId, { text: 'x'.repeat(16_001) });
    expect(long.status).toBe(400);
    expect(long.body.errors[0].path).toBe('body.text');
    const unknown = await send(sessionId, { text: 'hi', agent: 'poet' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.detail).toMatch(/unknown agent poet; known: .*code-generator/);
    const team = await send(sessionId, { text: 'hi', mode: 'team', team: { agents: ['tester', 'bard'] } });
    expect(team.status).toBe(400);
    const after = (await stack.env.client.workflow.getHandle(sessionId).fetchHistory()).events?.length ?? 0;
    expect(after).toBe(before);
    expect((await readSession(base, sessionId)).messages).toEqual([]);
  });
});

describe('team mode', () => {
  it('shows three answers side by side and the judge settling their disagreement', async () => {
    const sessionId = await createSession(base);
    const agents = ['code-generator', 'security-reviewer', 'architecture-advisor'];
    const sent = await send(sessionId, {
      text: 'How should we store user passwords?',
      mode: 'team',
      team: { agents, resolve: 'judge' },
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    const turn = sent.body.message.id;
    const session = await waitForSession(base, sessionId, turnDone(turn), { what: 'the team' });
    const entries = answersTo(session, turn);
    const answers = entries.filter((entry) => !entry.team);
    expect(answers.map((entry) => entry.agent)).toEqual(agents);
    for (const answer of answers) {
      expect(answer.status).toBe('done');
      expect(answer.modelId).toBeTruthy();
      expect(answer.usage?.inputTokens).toBeGreaterThan(0);
      expect(answer.costUsd).toBeGreaterThanOrEqual(0);
    }
    const resolution = entries.find((entry) => entry.team);
    expect(resolution?.team).toMatchObject({
      method: 'judge',
      disagreed: true,
      winner: 'security-reviewer',
      answers: answers.map((entry) => entry.id),
    });
    expect(resolution?.team?.settled).toMatch(
      /the judge \(reviewer\) chose security-reviewer: .*most complete/,
    );
    expect(resolution?.text).toBe(answers[1]?.text);
  });

  it('debates for the rounds asked, then lets the judge settle what is still disputed', async () => {
    const sessionId = await createSession(base);
    const sent = await send(sessionId, {
      text: 'Tabs or spaces?',
      mode: 'team',
      team: { agents: ['code-generator', 'docs-writer'], resolve: 'debate', rounds: 1 },
    });
    const session = await waitForSession(base, sessionId, turnDone(sent.body.message.id), {
      what: 'the debate',
    });
    const entries = answersTo(session, sent.body.message.id);
    expect(entries.filter((entry) => entry.round === 1)).toHaveLength(2);
    expect(entries.find((entry) => entry.team)?.team).toMatchObject({
      method: 'debate',
      rounds: 1,
      disagreed: true,
    });
  });

  it('settles by vote, naming each vote', async () => {
    const sessionId = await createSession(base);
    const sent = await send(sessionId, {
      text: 'Name the module',
      mode: 'team',
      team: { agents: ['code-generator', 'tester', 'docs-writer'], resolve: 'vote' },
    });
    const session = await waitForSession(base, sessionId, turnDone(sent.body.message.id));
    const outcome = answersTo(session, sent.body.message.id).find((entry) => entry.team)?.team;
    expect(outcome).toMatchObject({ method: 'vote', winner: 'code-generator' });
    expect(outcome?.settled).toBe('vote: code-generator 3, tester 0, docs-writer 0');
  });
});

describe('workflow mode', () => {
  it('turns "add a greet function with docs" into a plan, runs it once approved, and posts its summary', async () => {
    const sessionId = await createSession(base);
    const sent = await send(sessionId, { text: 'add a greet function with docs', mode: 'workflow' });
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    const turn = sent.body.message.id;
    let session = await waitForSession(base, sessionId, turnDone(turn), { what: 'the plan' });
    const plan = answersTo(session, turn).find((entry) => entry.role === 'plan');
    expect(plan?.plan?.status).toBe('proposed');
    expect(plan?.plan?.yaml).toContain('agent: code-generator');
    expect(plan?.text).toMatch(/1\. \*\*plan_code\*\* \(code-generator\)/);

    session = await approveAndAwaitRun(sessionId, plan?.id);
    const run = session.messages.find((entry) => entry.role === 'run');
    expect(run?.run?.status).toBe('completed');
    expect(run?.text).toContain('The team made the change, tested it and documented it.');
    expect(session.messages.find((entry) => entry.id === plan?.id)?.plan).toMatchObject({
      status: 'approved',
      runId: run?.run?.runId,
    });
    const snapshot = await waitForRun(stack.api, run?.run?.runId ?? '', isClosed);
    expect(snapshot.steps.map((step) => step.id)).toEqual([
      'plan_code',
      'plan_test',
      'plan_docs',
      'summarize',
    ]);

    // A later message sees the run's outcome in its context.
    const later = await send(sessionId, { text: 'now add tests for that', agent: 'tester' });
    await waitForSession(base, sessionId, turnDone(later.body.message.id));
    const asked = fake.requests.filter(
      (request) => request.agent === 'tester' && request.prompt === 'now add tests for that',
    );
    expect(asked.length).toBeGreaterThan(0);
  }, 120_000);

  it('plans a step by capability: approved, the run chooses its agent among the specialists and says why', async () => {
    const sessionId = await createSession(base);
    const sent = await send(sessionId, { text: 'add greet, then choose who tests it', mode: 'workflow' });
    let session = await waitForSession(base, sessionId, turnDone(sent.body.message.id), { what: 'the plan' });
    const plan = answersTo(session, sent.body.message.id).find((entry) => entry.role === 'plan');
    expect(plan?.plan?.status, plan?.text).toBe('proposed');
    expect(plan?.text).toMatch(/2\. \*\*plan_check\*\* \(auto, needs tests\)/);
    const proposed = plan?.plan?.spec as Spec | undefined;
    const check = proposed?.steps.find((step) => step.id === 'plan_check');
    expect(check).toMatchObject({ agent: 'auto', needs: ['tests'] });
    const candidates = (check?.kind === 'agent' && check.candidates) || [];
    expect(candidates).toContain('tester');
    expect(candidates).not.toEqual(expect.arrayContaining(['deploy']));
    expect(candidates).not.toEqual(expect.arrayContaining(['planner']));

    session = await approveAndAwaitRun(sessionId, plan?.id);
    const run = session.messages.find((entry) => entry.role === 'run');
    const snapshot = await waitForRun(stack.api, run?.run?.runId ?? '', isClosed);
    expect(snapshot.status, snapshot.error).toBe('completed');
    const chosen = snapshot.steps.find((step) => step.id === 'plan_check');
    expect(chosen?.choice).toMatchObject({
      agent: 'tester',
      reason: expect.stringMatching(new RegExp(`the only agent of ${candidates.length} providing tests$`)),
      alternatives: [expect.objectContaining({ agent: 'tester' })],
    });
    expect(chosen?.output).toMatchObject({ agent: 'tester' });
  }, 120_000);

  it('refuses to decide a plan twice, and an edited plan that is not a valid spec', async () => {
    const sessionId = await createSession(base);
    const sent = await send(sessionId, { text: 'write a changelog', mode: 'workflow' });
    const session = await waitForSession(base, sessionId, turnDone(sent.body.message.id));
    const plan = answersTo(session, sent.body.message.id).find((entry) => entry.role === 'plan');
    const url = `${base}/api/chat/sessions/${sessionId}/plans/${plan?.id}`;
    const bad = await postJson(url, {
      approved: true,
      yaml: 'name: x\nsteps:\n  - id: a\n    kind: agent\n    agent: poet\n    with: {task: t}\n',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toMatch(/^yaml\.steps\[0\]\.agent/);
    expect((await postJson(url, { approved: false, comment: 'not now' })).status).toBe(200);
    const again = await postJson(url, { approved: true });
    expect(again.status).toBe(400);
    expect(again.body.detail).toContain('was already rejected');
  });
});

describe('slash commands', () => {
  it('answers a command with bad arguments with its usage line, in the chat', async () => {
    const sessionId = await createSession(base);
    const answer = await send(sessionId, { text: '/approve only-a-run-id' });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      command: 'approve',
      ok: false,
      usage: '/approve <runId> <stepId> [comment]',
    });
    const session = await readSession(base, sessionId);
    expect(session.messages.map((entry) => [entry.role, entry.text])).toEqual([
      ['user', '/approve only-a-run-id'],
      ['command', 'give the run id and the step id\nusage: /approve <runId> <stepId> [comment]'],
    ]);
  });

  it('runs a shipped example with /run, reports it with /status, and lists the commands for autocomplete', async () => {
    const sessionId = await createSession(base);
    const started = await send(sessionId, { text: '/run hello {"name": "chat"}' });
    expect(started.body).toMatchObject({ command: 'run', ok: true });
    const session = await waitForSession(base, sessionId, (view) =>
      view.messages.some((entry) => entry.role === 'run' && entry.status === 'done'),
    );
    const run = session.messages.find((entry) => entry.role === 'run');
    expect(run?.text).toContain('Hello, chat! (12 characters)');
    const status = await send(sessionId, { text: `/status ${run?.run?.runId}` });
    expect(status.body.reply).toContain(`Run ${run?.run?.runId} (hello) is completed.`);
    const mine = await send(sessionId, { text: '/status' });
    expect(mine.body.reply).toContain(`${run?.run?.runId}: completed`);
    const model = await send(sessionId, { text: '/model gpt-4o' });
    expect(model.body).toMatchObject({ ok: true, reply: 'This chat now uses gpt-4o.' });
    expect((await readSession(base, sessionId)).model).toBe('gpt-4o');
    const commands = (await (await fetch(`${base}/api/chat/commands`)).json()) as {
      commands: { name: string }[];
    };
    expect(commands.commands.map((command: { name: string }) => command.name)).toContain('schedule');
  });
});

describe('attachments', () => {
  it('lets an agent read an attached CSV with its file tools', async () => {
    const sessionId = await createSession(base);
    const put = await fetch(`${base}/api/chat/sessions/${sessionId}/attachments/sales.csv`, {
      method: 'PUT',
      headers: { 'content-type': 'text/csv' },
      body: 'region,amount\nnorth,10\nsouth,32\n',
    });
    expect(put.status).toBe(201);
    expect(await put.json()).toMatchObject({
      name: 'sales.csv',
      kind: 'csv',
      path: 'attachments/sales.csv',
    });
    const sent = await send(sessionId, {
      text: 'Which region sold most?',
      agent: 'architecture-advisor',
      attachments: ['sales.csv'],
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    const session = await waitForSession(base, sessionId, turnDone(sent.body.message.id));
    const [reply] = answersTo(session, sent.body.message.id);
    expect(reply?.toolCalls).toEqual([{ tool: 'read_file', ok: true }]);
    expect(reply?.text).toContain('south,32');
  });

  it('names the limit an upload breaks and leaves nothing half-uploaded', async () => {
    const sessionId = await createSession(base);
    const url = (name: string) => `${base}/api/chat/sessions/${sessionId}/attachments/${name}`;
    const exe = await fetch(url('tool.exe'), { method: 'PUT', body: 'MZ' });
    expect(exe.status).toBe(415);
    expect(((await exe.json()) as { detail: string }).detail).toContain(
      'files of type .exe cannot be attached',
    );
    const big = await fetch(url('big.txt'), { method: 'PUT', body: Buffer.alloc(10 * 1024 * 1024 + 1, 97) });
    expect(big.status).toBe(413);
    const fakePdf = await fetch(url('report.pdf'), { method: 'PUT', body: 'not a pdf' });
    expect(fakePdf.status).toBe(415);
    const badJson = await fetch(url('data.json'), {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{"a":',
    });
    expect(badJson.status).toBe(415);
    expect(((await badJson.json()) as { detail: string }).detail).toContain('is not valid JSON');
    const folder = join(runWorkspacePath(stack.api.config.TROUPE_DATA_DIR, sessionId), 'attachments');
    expect(await readdir(folder).catch(() => [])).toEqual([]);
    const missing = await send(sessionId, { text: 'read it', attachments: ['never.csv'] });
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0].path).toBe('attachments[0]');
  });
});

describe('sessions', () => {
  it('lists sessions by their search attributes, newest activity first, and deletes one', async () => {
    const first = await createSession(base, { title: 'Alpha planning' });
    const second = await createSession(base);
    const sent = await send(second, { text: 'Beta question about caching', agent: 'tester' });
    await waitForSession(base, second, turnDone(sent.body.message.id));
    let listed: { sessionId: string; title: string; costUsd: number }[] = [];
    await waitUntil(
      async () => {
        listed = ((await (await fetch(`${base}/api/chat/sessions`)).json()) as { sessions: typeof listed })
          .sessions;
        return listed.some(
          (entry) => entry.sessionId === second && entry.title === 'Beta question about caching',
        );
      },
      { what: 'the session list to show the new title' },
    );
    expect(listed.findIndex((entry) => entry.sessionId === second)).toBeLessThan(
      listed.findIndex((entry) => entry.sessionId === first),
    );
    const searched = (
      (await (await fetch(`${base}/api/chat/sessions?q=alpha`)).json()) as {
        sessions: { sessionId: string }[];
      }
    ).sessions;
    expect(searched.map((entry: { sessionId: string }) => entry.sessionId)).toEqual([first]);
    expect((await fetch(`${base}/api/chat/sessions/${first}`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${base}/api/chat/sessions/${first}`)).status).toBe(404);
    expect((await fetch(`${base}/api/chat/sessions/chat-nope`)).status).toBe(404);
  });
});
