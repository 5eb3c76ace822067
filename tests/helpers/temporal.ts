import { defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type ConnectionPlugin } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { readFile } from 'node:fs/promises';
import { bundleWorkflowCode } from '@temporalio/worker';
import { failureConverterPath } from '../../src/codec/data-converter';
import { requireTemporalCli } from '../../temporal/cli.mjs';
import { devServerFlags } from '../../temporal/dev-server';
import { workflowsPath } from '../../src/workers/worker';
import { workflowInterceptorModules } from '../../src/observability/tracing';
import { workflowBundlerOptions } from '../../src/workers/workflow-bundle';
import { testDataConverter } from './payload-codec';
import { closedChannelGuard } from '../../src/api/temporal-connection';

/**
 * The test client's connection keeps the SDK's retries and adds the API's closedChannelGuard after
 * them, as the API's own connection has it: a retry that comes due after the test closed the
 * connection is answered CANCELLED instead of throwing 'Channel has been shut down' in a timer.
 */
const guardClosedChannel: ConnectionPlugin = {
  name: 'troupe-tests-closed-channel-guard',
  configureConnection: (options) => ({
    ...options,
    interceptors: [
      ...(options.interceptors ?? [makeGrpcRetryInterceptor(defaultGrpcRetryOptions())]),
      closedChannelGuard,
    ],
  }),
};

/** A real dev server from the CLI that `npm run setup` installed, configured as `npm start` configures it. */
export function startTestTemporal(
  extraDynamicConfig: Record<string, unknown> = {},
): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: requireTemporalCli() },
      extraArgs: devServerFlags(extraDynamicConfig),
    },
    client: { dataConverter: testDataConverter },
    plugins: [guardClosedChannel],
  });
}

/** Where tests/helpers/global-setup.ts left the bundle of Troupe's workflows for this test run. */
export const WORKFLOW_BUNDLE_ENV = 'TROUPE_TEST_WORKFLOW_BUNDLE';

/**
 * A workflow bundle (Troupe's, or a test's own workflows); call once per test file and share it.
 * Troupe's own comes from the one the test run built at its start, when there is one.
 */
export async function bundleWorkflows(path = workflowsPath): Promise<{ code: string }> {
  const built = process.env[WORKFLOW_BUNDLE_ENV];
  if (path === workflowsPath && built) return { code: await readFile(built, 'utf8') };
  return bundleWorkflowCode({
    workflowsPath: path,
    // Troupe's workers bundle the tracing interceptors (src/workflows/tracing-interceptors.ts) and
    // preload the libraries its workflows share (src/workers/workflow-bundle.ts).
    ...(path === workflowsPath && { workflowInterceptorModules, ...workflowBundlerOptions }),
    failureConverterPath,
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
