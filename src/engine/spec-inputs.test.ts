import { readdir, readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkInput, describeInputs, inputFields, inputsRead, InputDeclarations } from './spec-inputs';
import { describeIssues, parseSpec } from './spec-validation';

const declarations = InputDeclarations.parse({
  repo: { type: 'string', required: true, description: 'the repository' },
  retries: { type: 'integer', default: 2 },
  verbose: { type: 'boolean', required: false },
  tags: { type: 'array' },
});

const step = { id: 'a', kind: 'tool', tool: 'noop', with: {} };

describe('checkInput', () => {
  it('fills in defaults and keeps what was given', () => {
    expect(checkInput(declarations, { repo: '/r', tags: [] })).toEqual({
      ok: true,
      input: { repo: '/r', tags: [], retries: 2 },
    });
  });

  it('names every missing, mistyped and unknown input at once', () => {
    const result = checkInput(declarations, { retries: 1.5, verbose: 'yes', colour: 'red' });
    expect(!result.ok && describeIssues(result.issues, ['input'])).toBe(
      [
        'input.repo: the spec requires input "repo", a string (the repository)',
        'input.retries: input "retries" must be an integer, not a number',
        'input.verbose: input "verbose" must be a boolean, not a string',
        'input.tags: the spec requires input "tags", an array',
        'input.colour: the spec declares no input "colour"; it takes repo (string, required): the repository; ' +
          'retries (integer, optional, default 2); verbose (boolean, optional); tags (array, required)',
      ].join('\n'),
    );
  });

  it('takes any input when the spec declares none', () => {
    expect(checkInput(undefined, { anything: 1 })).toEqual({ ok: true, input: { anything: 1 } });
  });

  it('gives every valid input back with only the defaults added', () => {
    const valid = fc.record(
      {
        repo: fc.string(),
        retries: fc.integer(),
        verbose: fc.boolean(),
        tags: fc.array(fc.jsonValue()),
      },
      { requiredKeys: ['repo', 'tags'] },
    );
    fc.assert(
      fc.property(valid, (input) => {
        const result = checkInput(declarations, input);
        expect(result).toEqual({ ok: true, input: { retries: 2, ...input } });
      }),
      { seed: 20261201, numRuns: 300 },
    );
  });
});

describe('declared inputs in a spec', () => {
  it('lists the declarations as form fields in the spec order, with required spelled out', () => {
    expect(inputFields(declarations)).toEqual([
      { name: 'repo', type: 'string', required: true, description: 'the repository' },
      { name: 'retries', type: 'integer', required: false, default: 2 },
      { name: 'verbose', type: 'boolean', required: false },
      { name: 'tags', type: 'array', required: true },
    ]);
    expect(describeInputs(undefined)).toBe('it declares no inputs');
  });

  it('refuses a default of the wrong type, a required input with a default, and a bad name', () => {
    const result = parseSpec({
      name: 's',
      inputs: { n: { type: 'number', default: 'two' }, m: { required: true, default: 'x' } },
      steps: [step],
    });
    expect(!result.ok && describeIssues(result.issues)).toBe(
      [
        'inputs.n.default: the default of input "n" must be a number, not a string',
        'inputs.m.required: input "m" has a default, so it is never missing: drop required: true or the default',
      ].join('\n'),
    );
    const badName = parseSpec({ name: 's', inputs: { 'my-repo': {} }, steps: [step] });
    expect(!badName.ok && badName.issues[0]?.path).toEqual(['inputs', 'my-repo']);
  });

  it('refuses a template that reads an input the spec does not declare', () => {
    const result = parseSpec({
      name: 's',
      inputs: { name: {} },
      steps: [
        { ...step, with: { a: '${{ input.name }}', b: '${{ input.nmae }}' } },
        { ...step, id: 'b', when: 'input["who"] == "x"' },
      ],
      output: '${{ input.name + "!" }}',
    });
    expect(!result.ok && describeIssues(result.issues)).toBe(
      [
        'steps[0].with.b: ${{ input.nmae }} reads input "nmae", which the spec does not declare (its inputs: name)',
        'steps[1].when: ${{ input["who"] == "x" }} reads input "who", which the spec does not declare (its inputs: name)',
      ].join('\n'),
    );
  });

  it("checks a child spec's input against the child's declarations, leaving templates to run time", () => {
    const child = { name: 'child', inputs: { who: {}, times: { type: 'integer' } }, steps: [step] };
    const result = parseSpec({
      name: 's',
      steps: [{ id: 'sub', kind: 'subworkflow', with: { spec: child, input: { who: '${{ input.x }}' } } }],
    });
    expect(!result.ok && describeIssues(result.issues)).toBe(
      'steps[0].with.input.times: the spec requires input "times", an integer',
    );
  });

  it('finds the inputs an expression reads, but not words inside strings or other fields', () => {
    expect(inputsRead('input.a + input["b"] + steps.input.c + "input.d" + has(input.e)')).toEqual([
      'a',
      'b',
      'e',
    ]);
  });

  it('ships examples that are valid and declare their inputs', async () => {
    const dir = new URL('../../examples/', import.meta.url);
    for (const file of (await readdir(dir)).filter((name) => name.endsWith('.yaml'))) {
      const parsed = parseSpec(await readFile(new URL(file, dir), 'utf8'));
      expect(parsed.ok ? [] : describeIssues(parsed.issues), file).toEqual([]);
    }
    const fixAndTest = parseSpec(await readFile(new URL('fix-and-test.yaml', dir), 'utf8'));
    expect(fixAndTest.ok && checkInput(fixAndTest.spec.inputs, {})).toMatchObject({
      ok: false,
      issues: [{ path: ['repo'] }],
    });
  });
});
