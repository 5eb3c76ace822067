import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadAgentRegistry } from '../../src/agents/registry';
import { loadToolSettings } from '../../src/tools/tool-settings';
import { shippedAgents } from './helpers';

async function folderWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'troupe-agents-dir-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

const minimal = (id: string, extra = '') => `id: ${id}
description: test agent
capabilities: [testing]
system: You are a test agent. Answer with JSON.
output: { type: object, properties: { ok: { type: boolean } }, required: [ok] }
${extra}`;

describe('agent registry', () => {
  it('ships twelve agents whose output schemas zod can read', async () => {
    const registry = await loadAgentRegistry({ env: {} });
    expect([...registry.agents.keys()].sort()).toEqual(shippedAgents);
    for (const agent of registry.agents.values()) {
      expect(() => z.fromJSONSchema(agent.output)).not.toThrow();
      expect(agent.system.length).toBeGreaterThan(200);
    }
    expect(registry.get('deploy').compensation).toEqual({ kind: 'command', command: 'deploy.rollback' });
    expect(registry.get('debugger').compensation).toEqual({ kind: 'restore-workspace' });
  });

  it('reads the folder TROUPE_AGENTS_DIR names', async () => {
    const dir = await folderWith({ 'solo.yaml': minimal('solo') });
    const registry = await loadAgentRegistry({ env: { TROUPE_AGENTS_DIR: dir } });
    expect([...registry.agents.keys()]).toEqual(['solo']);
    expect(registry.get('solo').limits).toEqual({ maxIterations: 12, maxTotalTokens: 200_000 });
  });

  it('names the file and the field of a bad definition', async () => {
    const dir = await folderWith({ 'bad.yaml': minimal('bad', 'limits: { maxIterations: 0 }') });
    await expect(loadAgentRegistry({ dir })).rejects.toThrow(
      new RegExp(`${join(dir, 'bad.yaml')} is not a valid agent definition:\\n  limits.maxIterations:`),
    );
  });

  it('refuses an unknown tool, listing the known ones', async () => {
    const dir = await folderWith({ 'rogue.yaml': minimal('rogue', 'tools: [read_file, launch_missiles]') });
    await expect(loadAgentRegistry({ dir })).rejects.toThrow(
      /unknown tool\(s\) launch_missiles; known: read_file/,
    );
  });

  it('refuses an id that does not match its file name, and a folder with no agents', async () => {
    const mismatched = await folderWith({ 'one.yaml': minimal('two') });
    await expect(loadAgentRegistry({ dir: mismatched })).rejects.toThrow(/id "two" must match the file name/);
    const empty = await folderWith({});
    await expect(loadAgentRegistry({ dir: empty })).rejects.toThrow(/no agent definitions/);
  });

  it('refuses an agent named auto, which a step uses to ask Troupe to choose', async () => {
    const dir = await folderWith({ 'auto.yaml': minimal('auto') });
    await expect(loadAgentRegistry({ dir })).rejects.toThrow(/"auto" cannot be an agent id/);
  });

  it('gives every shipped agent at least one capability for agent: auto, and the tester provides tests', async () => {
    const registry = await loadAgentRegistry({ env: {} });
    for (const agent of registry.agents.values()) expect(agent.provides.length, agent.id).toBeGreaterThan(0);
    expect(
      [...registry.agents.values()].filter((agent) => agent.provides.includes('tests')).map((a) => a.id),
    ).toEqual(['tester']);
  });

  it('names the agents it has when asked for one it lacks', async () => {
    const registry = await loadAgentRegistry({ env: {} });
    expect(() => registry.get('wizard')).toThrow(
      /no agent "wizard" in .*; it has: architecture-advisor, browser/,
    );
  });
});

describe('tool settings', () => {
  it('default to a small allowlist and loopback hosts, and read TROUPE_TOOLS_FILE', async () => {
    expect((await loadToolSettings({ env: {} })).httpAllowHosts).toEqual([]);
    const dir = await folderWith({
      'tools.yaml':
        'commandAllowlist: [node]\ndeploy: { command: [node, deploy.js], rollback: [node, rollback.js] }\n',
    });
    const settings = await loadToolSettings({ env: { TROUPE_TOOLS_FILE: join(dir, 'tools.yaml') } });
    expect(settings.commandAllowlist).toEqual(['node']);
    expect(settings.deploy?.rollback).toEqual(['node', 'rollback.js']);
  });

  it('name the file and field of a bad setting', async () => {
    const dir = await folderWith({ 'tools.yaml': 'commandTimeoutMs: -1\n' });
    await expect(loadToolSettings({ file: join(dir, 'tools.yaml') })).rejects.toThrow(
      /tools\.yaml are invalid:\n {2}commandTimeoutMs:/,
    );
  });
});
