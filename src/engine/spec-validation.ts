import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { Spec, type Step } from './spec';
import { findReferences, formatPath, hasTemplate } from './template';

/** One problem in a spec, with the path to the field that has it. */
export type SpecIssue = { path: (string | number)[]; message: string };

export type SpecParseResult = { ok: true; spec: Spec } | { ok: false; issues: SpecIssue[] };

/**
 * Parses a spec from YAML/JSON text or a plain object and returns every problem at once, so a user
 * fixes a spec in one pass instead of one error per attempt.
 */
export function parseSpec(source: unknown): SpecParseResult {
  let raw = source;
  if (typeof source === 'string') {
    const document = parseDocument(source);
    if (document.errors.length > 0) {
      return {
        ok: false,
        issues: document.errors.map((error) => {
          const at = error.linePos?.[0];
          const where = at ? ` at line ${at.line}, column ${at.col}` : '';
          const reason = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
          return { path: [], message: `the spec is not valid YAML${where}: ${reason}` };
        }),
      };
    }
    raw = document.toJS();
  }
  const parsed = Spec.safeParse(raw);
  if (!parsed.success) return { ok: false, issues: parsed.error.issues.flatMap(fromZodIssue) };
  const issues = checkGraph(parsed.data);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, spec: parsed.data };
}

/** Turns zod's issues into Troupe's, naming each unknown field by its own path. */
export function fromZodIssue(issue: z.core.$ZodIssue): SpecIssue[] {
  const path = issue.path.filter((key): key is string | number => typeof key !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: [...path, key],
      message: `unknown field "${key}"`,
    }));
  }
  if (issue.code === 'invalid_union' && issue.discriminator && 'options' in issue) {
    const options = (issue.options ?? []).map((option) => JSON.stringify(option)).join(', ');
    return [{ path, message: `${issue.discriminator} must be one of: ${options}` }];
  }
  return [{ path, message: issue.message }];
}

function checkGraph(spec: Spec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const indexById = new Map<string, number>();
  spec.steps.forEach((step, index) => {
    const first = indexById.get(step.id);
    if (first === undefined) {
      indexById.set(step.id, index);
    } else {
      issues.push({
        path: ['steps', index, 'id'],
        message: `duplicate step id "${step.id}" (also steps[${first}])`,
      });
    }
  });
  spec.steps.forEach((step, index) => {
    step.dependsOn.forEach((dependency, position) => {
      if (!indexById.has(dependency)) {
        issues.push({
          path: ['steps', index, 'dependsOn', position],
          message: `step "${step.id}" depends on "${dependency}", which is not a step in this spec`,
        });
      } else if (dependency === step.id) {
        issues.push({
          path: ['steps', index, 'dependsOn', position],
          message: `step "${step.id}" depends on itself`,
        });
      }
    });
  });
  const cycles = findCycles(spec.steps);
  for (const cycle of cycles) {
    const index = indexById.get(cycle[0] ?? '') ?? 0;
    issues.push({ path: ['steps', index, 'dependsOn'], message: `dependency cycle: ${cycle.join(' -> ')}` });
  }
  spec.steps.forEach((step, index) =>
    issues.push(...checkStepTemplates(step, index, spec, cycles.length === 0)),
  );
  if (spec.output !== undefined) {
    for (const reference of findReferences(spec.output, ['output'])) {
      if ('error' in reference) {
        issues.push({ path: reference.at, message: reference.error });
      } else if (reference.path[0] === 'steps' && !indexById.has(String(reference.path[1]))) {
        issues.push({
          path: reference.at,
          message: `\${{ ${reference.expression} }} reads a step that does not exist`,
        });
      }
    }
  }
  return issues;
}

function checkStepTemplates(step: Step, index: number, spec: Spec, acyclic: boolean): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const at = (more: (string | number)[]) => ['steps', index, ...more];
  if (hasTemplate(step.with.run)) {
    issues.push({
      path: at(['with', 'run']),
      message:
        'templates are not allowed in run, because values spliced into a command line can run as code; ' +
        'pass them through env (env: { NAME: \'${{ input.name }}\' }, then use "$NAME") or stdin',
    });
  }
  const ancestors = acyclic ? ancestorsOf(step.id, spec.steps) : undefined;
  for (const reference of findReferences(step.with, ['with'])) {
    if ('error' in reference) {
      issues.push({ path: at(reference.at), message: reference.error });
      continue;
    }
    if (reference.path[0] !== 'steps') continue;
    const source = String(reference.path[1]);
    if (!spec.steps.some((other) => other.id === source)) {
      issues.push({
        path: at(reference.at),
        message: `\${{ ${reference.expression} }} reads step "${source}", which is not a step in this spec`,
      });
    } else if (ancestors && !ancestors.has(source)) {
      issues.push({
        path: at(reference.at),
        message: `\${{ ${reference.expression} }} reads step "${source}", so step "${step.id}" must list it (or a step after it) in dependsOn`,
      });
    }
  }
  return issues;
}

function ancestorsOf(id: string, steps: Step[]): Set<string> {
  const byId = new Map(steps.map((step) => [step.id, step]));
  const seen = new Set<string>();
  const stack = [...(byId.get(id)?.dependsOn ?? [])];
  while (stack.length > 0) {
    const next = stack.pop() as string;
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...(byId.get(next)?.dependsOn ?? []));
  }
  return seen;
}

/** Each dependency cycle once, as the ids along it with the first repeated at the end. */
export function findCycles(steps: Pick<Step, 'id' | 'dependsOn'>[]): string[][] {
  const byId = new Map(steps.map((step) => [step.id, step]));
  const state = new Map<string, 'visiting' | 'done'>();
  const cycles: string[][] = [];
  const trail: string[] = [];
  const visit = (id: string) => {
    state.set(id, 'visiting');
    trail.push(id);
    for (const dependency of byId.get(id)?.dependsOn ?? []) {
      if (!byId.has(dependency) || dependency === id) continue;
      const seen = state.get(dependency);
      if (seen === 'visiting') {
        cycles.push([...trail.slice(trail.indexOf(dependency)), dependency].reverse());
      } else if (seen === undefined) {
        visit(dependency);
      }
    }
    trail.pop();
    state.set(id, 'done');
  };
  for (const step of steps) if (!state.has(step.id)) visit(step.id);
  return cycles;
}

/** Formats issues as `path: message` lines for the CLI and logs. */
export function describeIssues(issues: SpecIssue[], prefix: (string | number)[] = []): string {
  return issues
    .map((issue) => `${formatPath([...prefix, ...issue.path]) || '(root)'}: ${issue.message}`)
    .join('\n');
}
