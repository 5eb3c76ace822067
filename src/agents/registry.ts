import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { toolBox } from '../tools/tool-box';
import type { SpecContext } from '../engine/spec-validation';
import { AgentDefinition, AutoAgent } from './agent-definition';

export const defaultAgentsDir = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'config',
  'agents',
);

export type AgentRegistry = {
  /** Where the definitions were read from, for error messages. */
  source: string;
  agents: ReadonlyMap<string, AgentDefinition>;
  get(id: string): AgentDefinition;
};

export class AgentRegistryError extends Error {
  override name = 'AgentRegistryError';
}

/** A registry from definitions already parsed; the loader's checks (unique ids, known tools) apply. */
export function createAgentRegistry(definitions: AgentDefinition[], source = '(inline)'): AgentRegistry {
  const agents = new Map<string, AgentDefinition>();
  for (const definition of definitions) {
    if (agents.has(definition.id))
      throw new AgentRegistryError(`${source}: agent "${definition.id}" is defined twice`);
    if (definition.id === AutoAgent)
      throw new AgentRegistryError(
        `${source}: "${AutoAgent}" cannot be an agent id: a step's agent: ${AutoAgent} asks Troupe to choose one`,
      );
    const unknown = definition.tools.filter((tool) => !toolBox.has(tool));
    if (unknown.length > 0) {
      throw new AgentRegistryError(
        `${source}: agent "${definition.id}" names unknown tool(s) ${unknown.join(', ')}; known: ${[...toolBox.keys()].join(', ')}`,
      );
    }
    agents.set(definition.id, definition);
  }
  return {
    source,
    agents,
    get(id) {
      const found = agents.get(id);
      if (!found) {
        throw new AgentRegistryError(
          `no agent "${id}" in ${source}; it has: ${[...agents.keys()].join(', ')}`,
        );
      }
      return found;
    },
  };
}

/**
 * Reads every `*.yaml` in the agents folder (TROUPE_AGENTS_DIR, else config/agents). Agents are data,
 * so adding one is a file, not a release; a bad file fails the worker at start, naming file and field.
 */
export async function loadAgentRegistry({
  dir,
  env = process.env,
}: { dir?: string; env?: Record<string, string | undefined> } = {}): Promise<AgentRegistry> {
  const folder = dir ?? env.TROUPE_AGENTS_DIR ?? defaultAgentsDir;
  const names = await readdir(folder).catch((err: NodeJS.ErrnoException) => {
    throw new AgentRegistryError(
      `cannot read the agents folder ${folder} (${err.code ?? err.message}); set TROUPE_AGENTS_DIR`,
    );
  });
  const definitions: AgentDefinition[] = [];
  for (const name of names.filter((entry) => /\.ya?ml$/.test(entry)).sort()) {
    const file = join(folder, name);
    let raw: unknown;
    try {
      raw = parse(await readFile(file, 'utf8'));
    } catch (err) {
      throw new AgentRegistryError(`${file} is not valid YAML: ${(err as Error).message}`);
    }
    const parsed = AgentDefinition.safeParse(raw);
    if (!parsed.success) {
      const problems = parsed.error.issues.map(
        (issue) => `  ${issue.path.join('.') || '(file)'}: ${issue.message}`,
      );
      throw new AgentRegistryError(`${file} is not a valid agent definition:\n${problems.join('\n')}`);
    }
    if (parsed.data.id !== basename(name).replace(/\.ya?ml$/, '')) {
      throw new AgentRegistryError(`${file}: id "${parsed.data.id}" must match the file name`);
    }
    definitions.push(parsed.data);
  }
  if (definitions.length === 0) throw new AgentRegistryError(`no agent definitions (*.yaml) in ${folder}`);
  return createAgentRegistry(definitions, folder);
}

/** What spec validation needs of a registry: its agents, and what each provides to `agent: auto`. */
export function specContextOf(registry: AgentRegistry): SpecContext {
  return {
    agents: new Set(registry.agents.keys()),
    provides: new Map([...registry.agents.values()].map((agent) => [agent.id, agent.provides])),
  };
}
