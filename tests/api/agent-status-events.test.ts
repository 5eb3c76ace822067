import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AgentStatusBoard } from '../../src/agents/agent-status';
import { startApiServerForTest, type Api } from '../helpers/harness';
import { startTestTemporal } from '../helpers/temporal';

type Status = Record<
  string,
  { state: string; current: { runId: string; stepId: string }[]; finished: number }
>;

let env: TestWorkflowEnvironment;
let api: Api;
let dataDir: string;
let socket: Socket;

beforeAll(async () => {
  env = await startTestTemporal();
  dataDir = await mkdtemp(join(tmpdir(), 'troupe-agents-live-'));
  api = await startApiServerForTest(env, 'agent status events', { dataDir });
  socket = io(api.baseUrl, { transports: ['websocket'], reconnection: false });
});

afterAll(async () => {
  socket?.close();
  await api?.close();
  await env?.teardown();
});

function nextStatus(until: (status: Status) => boolean): Promise<Status> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no matching agents:status event within 10 s')), 10_000);
    const listener = (status: Status) => {
      if (!until(status)) return;
      clearTimeout(timer);
      socket.off('agents:status', listener);
      resolve(status);
    };
    socket.on('agents:status', listener);
  });
}

it("sends the agents' live status on subscribe and again whenever a worker changes it", async () => {
  const first = nextStatus(() => true);
  expect(await socket.timeout(10_000).emitWithAck('agents:subscribe', {})).toEqual({ ok: true, version: 0 });
  expect(await first).toEqual({});

  const board = new AgentStatusBoard(join(dataDir, 'agents', 'status'));
  const busy = nextStatus((status) => status.tester?.state === 'busy');
  const finish = board.begin('tester', 'run-1', 'test');
  expect((await busy).tester?.current).toEqual([expect.objectContaining({ runId: 'run-1', stepId: 'test' })]);

  const idle = nextStatus((status) => status.tester?.state === 'idle');
  await finish({ ok: true, costUsd: 0 });
  expect((await idle).tester?.finished).toBe(1);
});
