import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { loadAgentRegistry } from '../../src/agents/registry';
import type { ModelRuntime } from '../../src/models/model-runtime';
import { startApi, startApiServerForTest, startWorker, type Api } from './harness';
import { testDataConverter } from './payload-codec';
import { bundleWorkflows, startTestTemporal } from './temporal';

/** One test file's Troupe: a dev server, the API over real HTTP, and in-process workers. */
export type Stack = {
  env: TestWorkflowEnvironment;
  bundle: WorkflowBundle;
  api: Api;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  /** Replays a run's history on the current workflow code; throws on any nondeterminism. */
  replay(runId: string): Promise<void>;
  stop(): Promise<void>;
};

export type StackOptions = {
  /** Dynamic config for the dev server on top of Troupe's own. */
  dynamicConfig?: Record<string, unknown>;
  /** A model runtime for the workers, built once the API (and so the task queue) is known. */
  models?: (api: Api) => ModelRuntime;
  /** Run the agents pool too, with the shipped agent registry. */
  agents?: boolean;
  /** The whole API server (REST, Socket.IO, metrics, auth) instead of the REST app alone. */
  server?: boolean;
};

/** Starts a stack for the test file named `name`; its task queue and ids derive from the name. */
export async function startStack(
  name: string,
  { dynamicConfig, models, agents, server }: StackOptions = {},
): Promise<Stack> {
  const [env, bundle] = await Promise.all([startTestTemporal(dynamicConfig), bundleWorkflows()]);
  const registry = agents ? await loadAgentRegistry() : undefined;
  const apiDeps = registry && { agents: registry };
  const api = server ? await startApiServerForTest(env, name, apiDeps) : await startApi(env, name, apiDeps);
  const deps = {
    ...(models && { models: models(api) }),
    ...(registry && { agents: { registry } }),
  };
  let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
  const stack: Stack = {
    env,
    bundle,
    api,
    startWorker: async () => {
      worker = await startWorker(env, api, bundle, deps);
    },
    stopWorker: async () => {
      await worker?.stop();
      worker = undefined;
    },
    replay: async (runId) => {
      const history = await env.client.workflow.getHandle(runId).fetchHistory();
      await Worker.runReplayHistory(
        { workflowBundle: bundle, dataConverter: testDataConverter },
        history,
        runId,
      );
    },
    stop: async () => {
      await stack.stopWorker();
      await api.close();
      await env.teardown();
    },
  };
  await stack.startWorker();
  return stack;
}
