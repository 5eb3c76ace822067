import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkUntrustedData, DataLimits, parseUntrustedYaml } from './untrusted-data';

const billionLaughs = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...Array.from({ length: 8 }, (_, level) => {
    const [name, previous] = [String.fromCharCode(98 + level), String.fromCharCode(97 + level)];
    return `${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`;
  }),
].join('\n');

describe('parseUntrustedYaml', () => {
  it('refuses a billion-laughs alias bomb, naming the alias limit', () => {
    const parsed = parseUntrustedYaml(billionLaughs);
    expect(parsed).toEqual({
      ok: false,
      issues: [{ path: [], message: expect.stringContaining(`more than ${DataLimits.yamlAliases} times`) }],
    });
  });

  it('still resolves a few aliases and merge keys', () => {
    const parsed = parseUntrustedYaml('base: &b {x: 1}\none: {<<: *b, y: 2}\ntwo: *b');
    expect(parsed).toEqual({ ok: true, value: { base: { x: 1 }, one: { x: 1, y: 2 }, two: { x: 1 } } });
  });

  it('refuses text over the size limit before parsing it', () => {
    const parsed = parseUntrustedYaml(`name: ${'x'.repeat(DataLimits.yamlChars)}`);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.issues[0]?.message).toMatch(/the limit is 1,000,000$/);
  });

  it('refuses text nested past what the parser can follow before parsing it', () => {
    for (const deep of [
      `${'['.repeat(500_000)}${']'.repeat(500_000)}`,
      `${'- '.repeat(300_000)}x`,
      Array.from({ length: 1000 }, (_, level) => `${' '.repeat(level)}a:`).join('\n'),
    ]) {
      const parsed = parseUntrustedYaml(deep);
      expect(parsed).toEqual({
        ok: false,
        issues: [{ path: [], message: expect.stringMatching(/more than 200 levels deep at line \d+; /) }],
      });
    }
  });

  it('refuses nesting past the depth limit that the parser can still follow', () => {
    const parsed = parseUntrustedYaml(`x: ${'['.repeat(100)}${']'.repeat(100)}`);
    expect(parsed).toEqual({
      ok: false,
      issues: [{ path: ['x', ...Array(63).fill(0)], message: expect.stringContaining('64 levels') }],
    });
  });

  it('names a __proto__ key in YAML by its path', () => {
    const parsed = parseUntrustedYaml('steps:\n  - id: a\n    with:\n      __proto__: {polluted: true}\n');
    expect(parsed).toEqual({
      ok: false,
      issues: [{ path: ['steps', 0, 'with', '__proto__'], message: expect.stringContaining('"__proto__"') }],
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('checkUntrustedData', () => {
  it('names every forbidden key in document order', () => {
    const value = JSON.parse(
      '{"a": {"constructor": 1}, "b": [{"x": {"prototype": 2}}], "__proto__": {"y": 3}}',
    ) as unknown;
    expect(checkUntrustedData(value).map((issue) => issue.path)).toEqual([
      ['a', 'constructor'],
      ['b', 0, 'x', 'prototype'],
      ['__proto__'],
    ]);
  });

  it('reports nesting past the depth limit once, without overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown;
    const issues = checkUntrustedData(deep);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toHaveLength(DataLimits.depth);
    expect(issues[0]?.message).toContain(`${DataLimits.depth} levels`);
  });

  it('accepts any JSON without forbidden keys within the depth limit', () => {
    const forbidden = new Set(['__proto__', 'constructor', 'prototype']);
    fc.assert(
      fc.property(
        fc
          .jsonValue({ maxDepth: 10 })
          .filter((value) => !JSON.stringify(value).match(/"(__proto__|constructor|prototype)":/)),
        (value) => {
          expect(checkUntrustedData(value)).toEqual([]);
        },
      ),
      { seed: 12, numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), fc.constantFrom(...forbidden), (value, key) => {
        const issues = checkUntrustedData(JSON.parse(JSON.stringify({ wrap: [value, { [key]: 1 }] })));
        expect(issues.some((issue) => issue.path.join('.') === `wrap.1.${key}`)).toBe(true);
      }),
      { seed: 12, numRuns: 300 },
    );
  });
});
