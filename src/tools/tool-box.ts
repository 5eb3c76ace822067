import { askAgentTool } from './ask-agent-tool';
import { browserTools } from './browser-tool';
import { runCommandTool } from './command-tool';
import { deployTools } from './deploy-tool';
import { fileTools } from './file-tools';
import { gitTools } from './git-tools';
import { httpTools } from './http-tools';
import { runTestsTool } from './test-runner-tool';
import type { Tool } from './tool-kit';

/** Every tool an agent definition may name, by name. */
export const toolBox: ReadonlyMap<string, Tool> = new Map(
  [
    ...fileTools,
    runCommandTool,
    ...gitTools,
    runTestsTool,
    ...httpTools,
    ...browserTools,
    ...deployTools,
    askAgentTool,
  ].map((tool) => [tool.name, tool]),
);

export const toolNames = [...toolBox.keys()];
