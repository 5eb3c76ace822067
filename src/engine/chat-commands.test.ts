import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chatCommands,
  formatChatCommand,
  parseChatCommand,
  usageOf,
  type ChatCommand,
} from './chat-commands';

const word = (chars: string, max = 20) =>
  fc.string({ unit: fc.constantFrom(...chars.split('')), minLength: 1, maxLength: max });
const alnum = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const runId = fc.tuple(word(alnum, 1), word(`${alnum}_.:-`, 30)).map(([a, b]) => a + b);
const specName = word(`${alnum}_.-`, 40);
const stepId = fc.tuple(word(`${alnum}_`, 1), word(`${alnum}_-`, 20)).map(([a, b]) => a + b);
const text = fc
  .string({ minLength: 1, maxLength: 80 })
  .map((value) => value.replace(/\s+/g, ' ').trim())
  .filter((value) => value.length > 0);
const input = fc.dictionary(
  word('abcxyz', 8),
  fc.oneof(fc.integer(), fc.string({ maxLength: 10 }), fc.boolean()),
  {
    maxKeys: 4,
  },
);

const command: fc.Arbitrary<ChatCommand> = fc.oneof(
  fc.record({ name: fc.constant('run' as const), spec: specName, input }),
  fc.record({ name: fc.constant('plan' as const), goal: text }),
  fc.constant({ name: 'agents' as const }),
  fc.constant({ name: 'help' as const }),
  fc.constant({ name: 'status' as const }),
  fc.record({ name: fc.constant('status' as const), runId }),
  fc.record(
    { name: fc.constantFrom('approve' as const, 'reject' as const), runId, stepId, comment: text },
    { requiredKeys: ['name', 'runId', 'stepId'] },
  ),
  fc.record({ name: fc.constant('cancel' as const), runId }),
  fc.record({
    name: fc.constant('schedule' as const),
    spec: specName,
    every: fc
      .tuple(fc.integer({ min: 1, max: 999 }), fc.constantFrom('s', 'm', 'h', 'd'))
      .map(([n, unit]) => `${n}${unit}`),
  }),
  fc.record({ name: fc.constant('schedule' as const), spec: specName, cron: fc.constant('0 9 * * 1-5') }),
  fc.record({
    name: fc.constant('model' as const),
    model: fc.tuple(word(alnum, 1), word(`${alnum}.:-`, 20)).map(([a, b]) => a + b),
  }),
);

describe('parseChatCommand', () => {
  it('gives back every well-formed command it is shown, written out', () => {
    fc.assert(
      fc.property(command, (parsed) => {
        expect(parseChatCommand(formatChatCommand(parsed))).toEqual({ ok: true, command: parsed });
      }),
    );
  });

  it('never throws, and answers any slash line with a command or a usage line of a real command', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (tail) => {
        const result = parseChatCommand(`/${tail}`);
        if (!result) return;
        if (!result.ok) {
          expect(result.error.length).toBeGreaterThan(0);
          expect(chatCommands.map((entry) => entry.usage)).toContain(result.usage);
        }
      }),
    );
  });

  it('leaves text that does not start with a slash to the agents', () => {
    fc.assert(
      fc.property(
        fc.string().filter((value) => !value.trimStart().startsWith('/')),
        (value) => {
          expect(parseChatCommand(value)).toBeUndefined();
        },
      ),
    );
  });

  it('answers bad arguments with the reason and the usage line', () => {
    expect(parseChatCommand('/approve only-a-run')).toEqual({
      ok: false,
      name: 'approve',
      error: 'give the run id and the step id',
      usage: '/approve <runId> <stepId> [comment]',
    });
    expect(parseChatCommand('/run hello [1,2]')).toMatchObject({ ok: false, usage: usageOf('run') });
    expect(parseChatCommand('/schedule nightly at 9')).toMatchObject({
      ok: false,
      usage: usageOf('schedule'),
    });
    expect(parseChatCommand('/schedule nightly cron 0 9 *')).toMatchObject({ ok: false });
    expect(parseChatCommand('/frobnicate')).toMatchObject({ ok: false, usage: '/help' });
  });

  it('keeps the comment of an approval whole, spaces and all', () => {
    expect(parseChatCommand('/approve r-1 review looks  good, ship it')).toEqual({
      ok: true,
      command: { name: 'approve', runId: 'r-1', stepId: 'review', comment: 'looks  good, ship it' },
    });
  });
});
