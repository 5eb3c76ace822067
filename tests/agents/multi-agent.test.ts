import { readFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentActivities, decodeSnapshot } from '../../src/activities/agent-activities';
import { restoreWorkspace, treeOf } from '../../src/activities/workspace-snapshots';
import { AgentStatusBoard, readAgentStatus } from '../../src/agents/agent-status';
import { loadAgentRegistry } from '../../src/agents/registry';
import { loadScript } from '../../src/fake-models/script';
import { startFakeModelServer, type FakeModelServer } from '../../src/fake-models/server';
import { runTestsTool } from '../../src/tools/test-runner-tool';
import { invokeTool } from '../../src/tools/tool-kit';
import { fakeModels, testRuntime } from '../models/helpers';
import { runActivity, sampleRepo, toolContext } from './helpers';

const scriptPath = new URL('../../config/fake-models/fix-and-test.yaml', import.meta.url).pathname;

let fake: FakeModelServer;
beforeAll(async () => {
  const script = loadScript(scriptPath);
  fake = await startFakeModelServer({ script: { ...script, models: { ...script.models, ...fakeModels } } });
});
afterAll(() => fake.close());

async function testsPass(dir: string): Promise<boolean> {
  const outcome = await invokeTool(runTestsTool, {}, await toolContext(dir));
  return outcome.ok && (outcome.output as { passed: boolean }).passed;
}

describe('a team of agents in sequence', () => {
  it('generates, tests, debugs, re-tests and documents, then restores to the first snapshot exactly', async () => {
    const { runtime } = await testRuntime(fake);
    const dataDir = await mkdtemp(join(tmpdir(), 'troupe-team-'));
    const status = new AgentStatusBoard(join(dataDir, 'agents', 'status'));
    const registry = await loadAgentRegistry();
    const { runAgent } = createAgentActivities({ runtime, registry, workspaces: { dataDir }, status });
    const env = new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
    const repo = await sampleRepo();
    const runId = 'team-run';
    const step = (stepId: string, agent: string, task: string) =>
      runActivity(env, runAgent, { runId, stepId, agent, task, repo });

    const generated = await step(
      'generate',
      'code-generator',
      'Add a mean(xs) function in src/stats.js with a test.',
    );
    const workspace = generated.workspace;
    const startTree = await treeOf(repo);
    expect(generated.output).toMatchObject({ filesChanged: ['src/stats.js', 'test/stats.test.js'] });
    expect(await readFile(join(workspace, 'src', 'stats.js'), 'utf8')).toContain('export function mean');

    const firstTest = await step('test', 'tester', 'Run the tests and report.');
    expect(firstTest.output).toMatchObject({ passed: false });
    expect(await testsPass(workspace)).toBe(false);

    const fixed = await step('debug', 'debugger', 'Make the failing tests pass.');
    expect(fixed.output).toMatchObject({ testsPass: true, filesChanged: ['src/math.js'] });
    expect(fixed.toolCalls).toContainEqual({
      tool: 'read_file',
      ok: false,
      error: expect.stringContaining('no-parent-escape') as string,
    });

    const retest = await step('retest', 'tester', 'Run the tests again after the fix.');
    expect(retest.output).toMatchObject({ passed: true });
    expect(await testsPass(workspace)).toBe(true);

    const documented = await step('document', 'docs-writer', 'Document the new functions in the README.');
    expect(documented.output).toMatchObject({ filesChanged: ['README.md'] });
    expect(await readFile(join(workspace, 'README.md'), 'utf8')).toContain('mean(xs)');

    expect(generated.snapshotRef).toBeDefined();
    expect(decodeSnapshot(generated.snapshotRef ?? '').tree).toBe(startTree);
    await restoreWorkspace(workspace, decodeSnapshot(generated.snapshotRef ?? ''));
    expect(await treeOf(workspace)).toBe(startTree);

    const board = await readAgentStatus(join(dataDir, 'agents', 'status'));
    expect(board.tester).toMatchObject({ state: 'idle', finished: 2, successRate: 1 });
    expect(board['docs-writer']?.finished).toBe(1);
  });
});
