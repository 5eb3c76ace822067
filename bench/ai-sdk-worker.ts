// The peer's worker for the engine benchmark's model shapes: @temporalio/ai-sdk's AiSdkPlugin with an
// OpenAI-compatible provider (@ai-sdk/openai-compatible) pointed at the scripted model server, so its
// model calls reach the same server, over the same API, as Troupe's.
import { fileURLToPath } from 'node:url';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { DataConverter } from '@temporalio/common';
import { AiSdkPlugin } from '@temporalio/ai-sdk';
import { bundleWorkflowCode, DefaultLogger, type NativeConnection, Worker } from '@temporalio/worker';
import { failureConverterPath } from '../src/codec/data-converter';

const workflowsPath = fileURLToPath(new URL('./ai-sdk-workflows.ts', import.meta.url));

export type AiSdkWorkerOptions = {
  connection: NativeConnection;
  taskQueue: string;
  /** The scripted server's OpenAI-compatible endpoint (FakeModelServer.openaiUrl). */
  baseURL: string;
  /**
   * Troupe's converter (encrypted payloads), as Troupe's workers use: one client starts both sides'
   * runs, and the history bytes compare what each side writes, not how it is encoded.
   */
  dataConverter: DataConverter;
};

/** The plugin, as a user of the package would set it up. */
const aiSdkPlugin = (baseURL: string) =>
  new AiSdkPlugin({
    modelProvider: createOpenAICompatible({ name: 'scripted', baseURL, apiKey: 'bench-key' }),
  });

/** Builds the peer's workflow bundle (once, before anything is measured). */
export function bundleAiSdkWorkflows(baseURL: string) {
  return bundleWorkflowCode({
    workflowsPath,
    plugins: [aiSdkPlugin(baseURL)],
    failureConverterPath,
    logger: new DefaultLogger('WARN'),
  });
}

export async function createAiSdkWorker({
  connection,
  taskQueue,
  baseURL,
  dataConverter,
  workflowBundle,
}: AiSdkWorkerOptions & { workflowBundle: Awaited<ReturnType<typeof bundleAiSdkWorkflows>> }) {
  return Worker.create({
    connection,
    namespace: 'default',
    taskQueue,
    dataConverter,
    workflowBundle,
    plugins: [aiSdkPlugin(baseURL)],
  });
}
