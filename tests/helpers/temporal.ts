import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { requireTemporalCli } from '../../temporal/cli.mjs';
import { devServerFlags } from '../../temporal/dev-server';
import { workflowsPath } from '../../src/workers/worker';

/** A real dev server from the CLI that `npm run setup` installed, configured as `npm start` configures it. */
export function startTestTemporal(
  extraDynamicConfig: Record<string, unknown> = {},
): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: requireTemporalCli() },
      extraArgs: devServerFlags(extraDynamicConfig),
    },
  });
}

/** Builds a workflow bundle (Troupe's, or a test's own workflows); call once per test file and share it. */
export function bundleWorkflows(path = workflowsPath): Promise<WorkflowBundle> {
  return bundleWorkflowCode({
    workflowsPath: path,
    logger: {
      log: () => undefined,
      trace: () => undefined,
      debug: () => undefined,
      info: () => undefined,
      warn: console.warn,
      error: console.error,
    },
  });
}

/** Ids and task queues derived from a test's name, so tests never see each other's runs. */
export function testQueue(name: string): string {
  return `test-${name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 60)}`;
}
