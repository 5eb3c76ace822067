import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findCycles, parseSpec, type SpecIssue } from './spec-validation';

const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

/** A random graph of steps: ids from a small pool (so duplicates happen), dependencies on any id or on a ghost. */
const graph = fc.array(
  fc.record({
    id: fc.constantFrom(...ids),
    dependsOn: fc.uniqueArray(fc.constantFrom(...ids, 'ghost'), { maxLength: 3 }),
  }),
  { minLength: 1, maxLength: 8 },
);

/** Steps of a graph, each either valid or broken in its schema (no kind, or a tool step without a tool). */
const withSteps = (
  steps: { id: string; dependsOn: string[] }[],
  broken: boolean[],
): Record<string, unknown>[] =>
  steps.map(({ id, dependsOn }, index) => {
    const valid = { id, kind: 'tool', tool: 'shell', dependsOn, with: { run: 'true' } };
    if (!broken[index]) return valid;
    return index % 2 === 0 ? { id, dependsOn } : { id, kind: 'tool', dependsOn, with: { run: 'true' } };
  });

const isGraphIssue = (issue: SpecIssue) =>
  /duplicate step id|depends on|dependency cycle/.test(issue.message);
const key = (issue: SpecIssue) => `${issue.path.join('.')}: ${issue.message}`;

describe('parseSpec, for any graph', () => {
  it('reports the same graph problems whether or not some steps break the schema', () => {
    fc.assert(
      fc.property(graph, fc.array(fc.boolean(), { maxLength: 8 }), (steps, broken) => {
        const valid = parseSpec({ name: 'p', steps: withSteps(steps, []) });
        const mixed = parseSpec({ name: 'p', steps: withSteps(steps, broken) });
        const graphIssues = (result: ReturnType<typeof parseSpec>) =>
          result.ok ? [] : result.issues.filter(isGraphIssue).map(key).sort();
        expect(graphIssues(mixed)).toEqual(graphIssues(valid));
        if (broken.some((bad, index) => bad && index < steps.length)) expect(mixed.ok).toBe(false);
      }),
      { seed: 20261201, numRuns: 500 },
    );
  });

  it('names each unknown dependency once, at its own path', () => {
    fc.assert(
      fc.property(graph, (steps) => {
        const result = parseSpec({ name: 'p', steps: withSteps(steps, []) });
        const expected = steps.flatMap((step, index) =>
          step.dependsOn.flatMap((dependency, position) =>
            dependency === 'ghost' ? [`steps.${index}.dependsOn.${position}`] : [],
          ),
        );
        const reported = result.ok
          ? []
          : result.issues.filter((issue) => issue.message.includes('"ghost"')).map((i) => i.path.join('.'));
        expect(reported).toEqual(expected);
      }),
      { seed: 20261201, numRuns: 500 },
    );
  });

  it('finds a cycle exactly when the graph has one, and every cycle it names is made of real edges', () => {
    fc.assert(
      fc.property(graph, (steps) => {
        const cycles = findCycles(steps);
        const edges = new Set(steps.flatMap((step) => step.dependsOn.map((dep) => `${dep}>${step.id}`)));
        for (const cycle of cycles) {
          expect(cycle[0]).toBe(cycle.at(-1));
          for (let i = 0; i + 1 < cycle.length; i++) expect(edges).toContain(`${cycle[i]}>${cycle[i + 1]}`);
        }
        expect(cycles.length > 0).toBe(hasCycle(steps));
      }),
      { seed: 20261201, numRuns: 1000 },
    );
  });

  it('never throws, and answers either a spec or at least one issue, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => {
        const result = parseSpec(value);
        expect(result.ok || result.issues.length > 0).toBe(true);
      }),
      { seed: 20261201, numRuns: 500 },
    );
  });

  it('accepts every acyclic graph of known, unique steps', () => {
    const dag = fc
      .array(fc.array(fc.nat(), { maxLength: 3 }), { minLength: 1, maxLength: 12 })
      .map((parents) =>
        parents.map((picks, index) => ({
          id: `s${index}`,
          dependsOn: index === 0 ? [] : [...new Set(picks.map((pick) => `s${pick % index}`))],
        })),
      );
    fc.assert(
      fc.property(dag, (steps) => {
        const result = parseSpec({ name: 'p', steps: withSteps(steps, []) });
        expect(result.ok ? [] : result.issues.map(key)).toEqual([]);
      }),
      { seed: 20261201, numRuns: 500 },
    );
  });
});

/** A reference check: Kahn's algorithm over the known, non-self edges leaves steps behind only on a cycle. */
function hasCycle(steps: { id: string; dependsOn: string[] }[]): boolean {
  const byId = new Map<string, Set<string>>();
  // As findCycles reads a duplicated id: the last step with it.
  for (const step of steps) byId.set(step.id, new Set(step.dependsOn));
  for (const [id, deps] of byId) for (const dep of deps) if (!byId.has(dep) || dep === id) deps.delete(dep);
  let removed = true;
  while (removed) {
    removed = false;
    for (const [id, deps] of byId) {
      if (deps.size > 0) continue;
      byId.delete(id);
      for (const other of byId.values()) other.delete(id);
      removed = true;
    }
  }
  return byId.size > 0;
}
