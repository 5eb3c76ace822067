import { describe, expect, it } from 'vitest';
import { parseSpec, type SpecContext } from './spec-validation';

const registry: SpecContext = {
  agents: new Set(['tester', 'code-generator', 'debugger', 'docs-writer']),
  provides: new Map([
    ['tester', ['tests']],
    ['code-generator', ['code']],
    ['debugger', ['debug', 'code']],
    ['docs-writer', ['docs']],
  ]),
};

const specWith = (...steps: Record<string, unknown>[]) => ({
  name: 'auto',
  steps: steps.map((extra, n) => ({ id: `s${n}`, kind: 'agent', with: { task: 'Do it.' }, ...extra })),
});

describe('agent: auto with needs', () => {
  it('accepts agent: auto with needs some agent provides, and explore at the spec and the step', () => {
    const spec = { ...specWith({ agent: 'auto', needs: ['code'], explore: false }), explore: true };
    const result = parseSpec(spec, registry);
    expect(result.ok && result.spec.steps[0]).toMatchObject({
      agent: 'auto',
      needs: ['code'],
      explore: false,
    });
    expect(result.ok && result.spec.explore).toBe(true);
  });

  it('names the capability no agent provides by its path, with the capabilities there are', () => {
    const result = parseSpec(specWith({ agent: 'auto', needs: ['tests', 'telepathy'] }), registry);
    expect(result).toEqual({
      ok: false,
      issues: [
        {
          path: ['steps', 0, 'needs', 1],
          message: 'no agent provides "telepathy"; the registry\'s capabilities are code, debug, docs, tests',
        },
      ],
    });
  });

  it('refuses needs that no single agent provides together', () => {
    const result = parseSpec(specWith({ agent: 'auto', needs: ['tests', 'docs'] }), registry);
    expect(!result.ok && result.issues).toEqual([
      {
        path: ['steps', 0, 'needs'],
        message: expect.stringMatching(/no single agent provides all of tests, docs/),
      },
    ]);
  });

  it('refuses agent: auto without needs, and needs or explore beside a named agent, even without a registry', () => {
    const result = parseSpec(
      specWith({ agent: 'auto' }, { agent: 'tester', needs: ['tests'] }, { agent: 'tester', explore: false }),
    );
    expect(!result.ok && result.issues.map((issue) => [issue.path, issue.message])).toEqual([
      [['steps', 0, 'needs'], expect.stringMatching(/agent: auto needs a list of capabilities/)],
      [
        ['steps', 1, 'needs'],
        expect.stringMatching(/needs applies only to agent: auto; this step names agent "tester"/),
      ],
      [['steps', 2, 'explore'], expect.stringMatching(/explore applies only to agent: auto/)],
    ]);
  });

  it('chooses only among the candidates: needs must fit one of them, and each must be a known agent', () => {
    const fits = parseSpec(specWith({ agent: 'auto', needs: ['code'], candidates: ['debugger'] }), registry);
    expect(fits.ok && fits.spec.steps[0]).toMatchObject({ candidates: ['debugger'] });
    const result = parseSpec(
      specWith(
        { agent: 'auto', needs: ['tests'], candidates: ['code-generator', 'docs-writer'] },
        { agent: 'auto', needs: ['code'], candidates: ['deploy'] },
        { agent: 'tester', candidates: ['tester'] },
      ),
      registry,
    );
    expect(!result.ok && result.issues.map((issue) => [issue.path, issue.message])).toEqual([
      [
        ['steps', 1, 'candidates', 0],
        expect.stringMatching(/^unknown agent "deploy"; the registry has code-generator, debugger/),
      ],
      [
        ['steps', 0, 'needs'],
        'none of the candidates (code-generator, docs-writer) provides all of tests; add a candidate that does, or need less',
      ],
      [
        ['steps', 1, 'needs'],
        'none of the candidates (deploy) provides all of code; add a candidate that does, or need less',
      ],
      [['steps', 2, 'candidates'], expect.stringMatching(/candidates applies only to agent: auto/)],
    ]);
  });

  it('refuses a capability that is not one kebab-case word, and checks steps of a child spec too', () => {
    const bad = parseSpec(specWith({ agent: 'auto', needs: ['Run Tests'] }), registry);
    expect(!bad.ok && bad.issues[0]?.path).toEqual(['steps', 0, 'needs', 0]);
    const child = parseSpec(
      {
        name: 'parent',
        steps: [
          { id: 'c', kind: 'subworkflow', with: { spec: specWith({ agent: 'auto', needs: ['nope'] }) } },
        ],
      },
      registry,
    );
    expect(!child.ok && child.issues[0]?.path).toEqual(['steps', 0, 'with', 'spec', 'steps', 0, 'needs', 0]);
  });
});
