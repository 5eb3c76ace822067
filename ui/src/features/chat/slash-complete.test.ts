import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applySuggestion, slashSuggestions } from './slash-complete';

const commands = [
  { name: 'run', usage: '/run <spec> [input JSON]', description: '' },
  { name: 'approve', usage: '/approve <runId> <stepId> [comment]', description: '' },
  { name: 'agents', usage: '/agents', description: '' },
  { name: 'status', usage: '/status [runId]', description: '' },
  { name: 'help', usage: '/help', description: '' },
];

describe('slash-command autocomplete', () => {
  it('offers the commands a name is starting, then those that contain it', () => {
    expect(slashSuggestions('/a', commands).map((c) => c.name)).toEqual(['approve', 'agents', 'status']);
    expect(slashSuggestions('/', commands)).toHaveLength(commands.length);
    expect(slashSuggestions('/RU', commands).map((c) => c.name)).toEqual(['run']);
  });

  it('offers nothing once arguments begin, or for a message that is not a command', () => {
    expect(slashSuggestions('/run hello', commands)).toEqual([]);
    expect(slashSuggestions('hello /run', commands)).toEqual([]);
    expect(slashSuggestions('', commands)).toEqual([]);
  });

  it('leaves a space after a command that takes arguments, and none after one that does not', () => {
    expect(applySuggestion(commands[1]!)).toBe('/approve ');
    expect(applySuggestion(commands[2]!)).toBe('/agents');
  });

  it('only ever offers known commands, each once, for any draft', () => {
    fc.assert(
      fc.property(fc.string(), (draft) => {
        const offered = slashSuggestions(draft, commands).map((c) => c.name);
        expect(new Set(offered).size).toBe(offered.length);
        for (const name of offered) expect(commands.map((c) => c.name)).toContain(name);
        if (!draft.startsWith('/') || /\s/.test(draft)) expect(offered).toEqual([]);
      }),
    );
  });
});
