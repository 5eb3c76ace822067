import { z } from 'zod';
import { lazySchema } from './lazy-schema';
import { AutoAgent } from '../agents/agent-definition';
import { CollaborationMode } from './collaboration';
import { checkPendingLimits } from './pending-limits';
import { Spec, StepKind, ToolName, type Step } from './spec';
import { checkDeclarations, checkInput, inputsRead } from './spec-inputs';
import { checkUntrustedData, parseUntrustedYaml } from './untrusted-data';
import { bareExpression, findReferences, formatPath, hasTemplate, type Reference } from './template';

/** One problem in a spec, with the path to the field that has it. */
export type SpecIssue = { path: (string | number)[]; message: string };

export type SpecParseResult = { ok: true; spec: Spec } | { ok: false; issues: SpecIssue[] };

/**
 * Parses a spec from YAML/JSON text or a plain object and returns every problem at once, so a user
 * fixes a spec in one pass instead of one error per attempt.
 */
export type SpecContext = {
  /** The agent registry's ids; when given, agent steps must name one of them. */
  agents?: ReadonlySet<string>;
  /** What each agent provides to `agent: auto`; when given, every capability a step needs must exist. */
  provides?: ReadonlyMap<string, readonly string[]>;
};

export function parseSpec(source: unknown, context: SpecContext = {}): SpecParseResult {
  const raw = typeof source === 'string' ? parseUntrustedYaml(source) : checkedData(source);
  if (!raw.ok) return raw;
  const parsed = Spec.safeParse(raw.value);
  if (!parsed.success)
    return { ok: false, issues: [...parsed.error.issues.flatMap(fromZodIssue), ...checkSkeleton(raw.value)] };
  const issues = [
    ...checkGraph(parsed.data),
    ...checkAgents(parsed.data, context.agents),
    ...checkNeeds(parsed.data, context.provides),
  ];
  return issues.length > 0 ? { ok: false, issues } : { ok: true, spec: parsed.data };
}

function checkedData(value: unknown): { ok: true; value: unknown } | { ok: false; issues: SpecIssue[] } {
  const issues = checkUntrustedData(value);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value };
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

/**
 * What the graph checks need of a spec: each step's id and dependsOn. A spec that fails the schema
 * elsewhere (a step without `kind`, a missing `tool`) still has its graph checked when these parse, so
 * the user learns of a cycle in the same answer as the schema errors, not after fixing them.
 */
const SkeletonStep = lazySchema(() =>
  z.object({
    id: z.string(),
    dependsOn: z.array(z.string()).default([]),
    kind: z.unknown().optional(),
    with: z.unknown().optional(),
  }),
);
const Skeleton = lazySchema(() => z.object({ steps: z.array(SkeletonStep) }));
type SkeletonStep = Pick<z.infer<typeof SkeletonStep>, 'id' | 'dependsOn'>;

/** The id-and-dependsOn checks of a spec the schema refused, and of the child specs inside it. */
function checkSkeleton(raw: unknown): SpecIssue[] {
  const skeleton = Skeleton.safeParse(raw);
  if (!skeleton.success) return [];
  const { steps } = skeleton.data;
  const children = steps.flatMap((step, index) => {
    const child = step.kind === StepKind.Subworkflow && isRecord(step.with) ? step.with.spec : undefined;
    if (!isRecord(child)) return [];
    const parsed = Spec.safeParse(child);
    const issues = parsed.success ? checkGraph(parsed.data) : checkSkeleton(child);
    return issues.map((issue) => ({ ...issue, path: ['steps', index, 'with', 'spec', ...issue.path] }));
  });
  return [...checkDependencies(steps).issues, ...children];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Duplicate ids, unknown or self dependencies, and cycles: everything that needs only ids and dependsOn. */
function checkDependencies(steps: readonly SkeletonStep[]): {
  issues: SpecIssue[];
  indexById: Map<string, number>;
  acyclic: boolean;
} {
  const issues: SpecIssue[] = [];
  const indexById = new Map<string, number>();
  steps.forEach((step, index) => {
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
  steps.forEach((step, index) => {
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
  const cycles = findCycles(steps);
  for (const cycle of cycles) {
    const index = indexById.get(cycle[0] ?? '') ?? 0;
    issues.push({ path: ['steps', index, 'dependsOn'], message: `dependency cycle: ${cycle.join(' -> ')}` });
  }
  return { issues, indexById, acyclic: cycles.length === 0 };
}

function checkGraph(spec: Spec): SpecIssue[] {
  const { issues, indexById, acyclic } = checkDependencies(spec.steps);
  spec.steps.forEach((step, index) => issues.push(...checkStep(step, index, spec, acyclic)));
  issues.push(...checkDeclarations(spec.inputs), ...checkInputReads(spec), ...checkPendingLimits(spec));
  spec.steps.forEach((step, index) => issues.push(...checkCollaborate(step, index)));
  spec.steps.forEach((step, index) => {
    if (step.kind === StepKind.Plan && step.foreach)
      issues.push({
        path: ['steps', index, 'foreach'],
        message: 'a plan step plans once: it takes no foreach',
      });
  });
  for (const reference of findReferences(spec.output, ['output'])) {
    if (reference.error) issues.push({ path: reference.at, message: reference.error });
    for (const source of reference.steps) {
      if (!indexById.has(source)) {
        issues.push({
          path: reference.at,
          message: `\${{ ${reference.expression} }} reads step "${source}", which is not a step in this spec`,
        });
      }
    }
  }
  return issues;
}

/**
 * With declared inputs, every `input.<name>` a template or condition reads must be declared (a typo
 * would fail only mid-run), and a child spec's input must give what the child requires.
 */
function checkInputReads(spec: Spec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const declared = spec.inputs;
  const check = (references: Reference[], at: (string | number)[]) => {
    if (!declared) return;
    for (const reference of references) {
      for (const name of inputsRead(reference.expression)) {
        if (name in declared) continue;
        const names = Object.keys(declared);
        issues.push({
          path: [...at, ...reference.at],
          message: `\${{ ${reference.expression} }} reads input "${name}", which the spec does not declare (its inputs: ${names.join(', ') || 'none'})`,
        });
      }
    }
  };
  const bare = (text: string) => `\${{ ${bareExpression(text)} }}`;
  spec.steps.forEach((step, index) => {
    const at = ['steps', index];
    if (step.when !== undefined) check(findReferences(bare(step.when), ['when']), at);
    if (step.foreach) check(findReferences(bare(step.foreach.items), ['foreach']), at);
    if (step.publish) check(findReferences(step.publish, ['publish']), at);
    if (step.compensate) check(findReferences(step.compensate.with, ['compensate', 'with']), at);
    if (step.kind !== StepKind.Subworkflow) {
      check(findReferences(step.with, ['with']), at);
      return;
    }
    check(findReferences(step.with.input, ['with', 'input']), at);
    const given = checkInput(step.with.spec.inputs, step.with.input ?? {}, { templated: true });
    if (!given.ok)
      for (const issue of given.issues)
        issues.push({ ...issue, path: [...at, 'with', 'input', ...issue.path] });
  });
  check(findReferences(spec.output, ['output']), []);
  return issues;
}

function checkAgents(
  spec: Spec,
  agents: ReadonlySet<string> | undefined,
  at: (string | number)[] = [],
): SpecIssue[] {
  if (!agents) return [];
  return spec.steps.flatMap((step, index): SpecIssue[] => {
    if (step.kind === StepKind.Subworkflow)
      return checkAgents(step.with.spec, agents, [...at, 'steps', index, 'with', 'spec']);
    const unknown = (agent: string, path: (string | number)[]): SpecIssue[] =>
      agents.has(agent)
        ? []
        : [
            {
              path: [...at, 'steps', index, ...path],
              message: `unknown agent "${agent}"; the registry has ${[...agents].sort().join(', ')}`,
            },
          ];
    if (step.kind === StepKind.Agent && step.collaborate) {
      const { agents: team, judge } = step.collaborate;
      return [
        ...team.flatMap((agent, n) =>
          agent === AutoAgent ? [] : unknown(agent, ['collaborate', 'agents', n]),
        ),
        ...(judge ? unknown(judge, ['collaborate', 'judge']) : []),
      ];
    }
    if (step.kind === StepKind.Agent)
      return step.agent === AutoAgent
        ? (step.candidates ?? []).flatMap((agent, n) => unknown(agent, ['candidates', n]))
        : unknown(step.agent, ['agent']);
    if (step.kind !== StepKind.Plan) return [];
    return [
      ...unknown(step.with.agent, ['with', 'agent']),
      ...(step.with.agents ?? []).flatMap((agent, n) => unknown(agent, ['with', 'agents', n])),
    ];
  });
}

/**
 * `agent: auto` needs `needs`, and `needs` (or `explore`, `candidates`) means nothing without it. With
 * the registry, every capability needed must be one some agent provides, and one agent (a candidate,
 * when the step lists them) must provide them all.
 */
function checkNeeds(
  spec: Spec,
  provides: ReadonlyMap<string, readonly string[]> | undefined,
  at: (string | number)[] = [],
): SpecIssue[] {
  const known = provides && new Set([...provides.values()].flat());
  return spec.steps.flatMap((step, index): SpecIssue[] => {
    const path = (more: (string | number)[]) => [...at, 'steps', index, ...more];
    if (step.kind === StepKind.Subworkflow)
      return checkNeeds(step.with.spec, provides, path(['with', 'spec']));
    if (step.kind !== StepKind.Agent) return [];
    if (step.agent !== AutoAgent) {
      const stray = (['needs', 'explore', 'candidates'] as const).filter(
        (field) => step[field] !== undefined,
      );
      return stray.map((field) => ({
        path: path([field]),
        message: `${field} applies only to agent: ${AutoAgent}; this step names agent "${step.agent}" (drop ${field}, or let Troupe choose with agent: ${AutoAgent})`,
      }));
    }
    if (!step.needs)
      return [
        {
          path: path(['needs']),
          message: `agent: ${AutoAgent} needs a list of capabilities to choose by, for example needs: [tests]`,
        },
      ];
    if (!provides || !known) return [];
    const unknown = step.needs.flatMap((need, n): SpecIssue[] =>
      known.has(need)
        ? []
        : [
            {
              path: path(['needs', n]),
              message: `no agent provides "${need}"; the registry's capabilities are ${[...known].sort().join(', ')}`,
            },
          ],
    );
    if (unknown.length > 0) return unknown;
    const allowed = step.candidates && new Set(step.candidates);
    const fit = [...provides].filter(
      ([agent, has]) => (!allowed || allowed.has(agent)) && step.needs!.every((need) => has.includes(need)),
    );
    if (fit.length > 0) return [];
    return [
      {
        path: path(['needs']),
        message: step.candidates
          ? `none of the candidates (${step.candidates.join(', ')}) provides all of ${step.needs.join(', ')}; add a candidate that does, or need less`
          : `no single agent provides all of ${step.needs.join(', ')}; split the step, or need less`,
      },
    ];
  });
}

/**
 * What `collaborate` must say, beyond its schema: rounds only for a debate, a judge only where one
 * decides, agents rather than `auto`, and an `agent` (when given) from the team. It runs once, so no
 * foreach.
 */
function checkCollaborate(step: Step, index: number): SpecIssue[] {
  if (step.kind !== StepKind.Agent || !step.collaborate) return [];
  const { mode, agents, rounds, judge } = step.collaborate;
  const at = (more: (string | number)[]) => ['steps', index, ...more];
  const issues: SpecIssue[] = [];
  if (rounds !== undefined && mode !== CollaborationMode.Debate)
    issues.push({
      path: at(['collaborate', 'rounds']),
      message: `rounds applies only to mode: debate; this step's mode is ${mode} (drop rounds, or use mode: debate)`,
    });
  if (judge !== undefined && mode !== CollaborationMode.Judge && mode !== CollaborationMode.Debate)
    issues.push({
      path: at(['collaborate', 'judge']),
      message: `judge applies only to mode: judge or debate; mode ${mode} settles without one (drop judge)`,
    });
  agents.forEach((agent, n) => {
    if (agent === AutoAgent)
      issues.push({
        path: at(['collaborate', 'agents', n]),
        message: `collaborate.agents names the agents to ask; ${AutoAgent} chooses one, so it cannot be one of them`,
      });
  });
  if (!agents.includes(step.agent))
    issues.push({
      path: at(['agent']),
      message: `with collaborate, agent is one of collaborate.agents (${agents.join(', ')}) or left out; "${step.agent}" is not`,
    });
  if (step.foreach)
    issues.push({
      path: at(['foreach']),
      message:
        'a collaborate step asks its agents once: it takes no foreach (put the foreach on a subworkflow)',
    });
  return issues;
}

/** The templates and expressions of one step: valid, and reading only steps that finish before it. */
function checkStep(step: Step, index: number, spec: Spec, acyclic: boolean): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const at = (more: (string | number)[]) => ['steps', index, ...more];
  const readable = acyclic ? ancestorsOf(step.id, spec.steps) : undefined;
  const check = (references: Reference[], allowed: Set<string> | undefined, inForeach: boolean) => {
    for (const reference of references) {
      if (reference.error) {
        issues.push({ path: at(reference.at), message: reference.error });
        continue;
      }
      if (!inForeach && /\b(item|index)\b/.test(reference.expression.replace(/"[^"]*"|'[^']*'/g, ''))) {
        issues.push({
          path: at(reference.at),
          message: `\${{ ${reference.expression} }} uses item or index, which only a foreach step has`,
        });
      }
      for (const source of reference.steps) {
        if (!spec.steps.some((other) => other.id === source)) {
          issues.push({
            path: at(reference.at),
            message: `\${{ ${reference.expression} }} reads step "${source}", which is not a step in this spec`,
          });
        } else if (allowed && !allowed.has(source)) {
          issues.push({
            path: at(reference.at),
            message: `\${{ ${reference.expression} }} reads step "${source}", so step "${step.id}" must list it (or a step after it) in dependsOn`,
          });
        }
      }
    }
  };
  const expression = (text: string, where: string) =>
    findReferences(`\${{ ${bareExpression(text)} }}`, [where]);
  if (step.when !== undefined) check(expression(step.when, 'when'), readable, false);
  if (step.foreach) check(expression(step.foreach.items, 'foreach'), readable, false);
  if (step.kind === StepKind.Subworkflow) {
    check(findReferences(step.with.input, ['with', 'input']), readable, step.foreach !== undefined);
    for (const issue of checkGraph(step.with.spec))
      issues.push({ ...issue, path: at(['with', 'spec', ...issue.path]) });
  } else {
    check(findReferences(step.with, ['with']), readable, step.foreach !== undefined);
  }
  if (step.kind === StepKind.Tool && step.tool === ToolName.Shell)
    issues.push(...refuseTemplatedRun(step.with.run, at(['with', 'run'])));
  const own = readable ? new Set([...readable, step.id]) : undefined;
  if (step.publish) check(findReferences(step.publish, ['publish']), own, false);
  if (step.compensate) {
    check(findReferences(step.compensate.with, ['compensate', 'with']), own, step.foreach !== undefined);
    if (step.compensate.tool === ToolName.Shell) {
      issues.push(...refuseTemplatedRun(step.compensate.with.run, at(['compensate', 'with', 'run'])));
    }
  }
  return issues;
}

function refuseTemplatedRun(run: string, path: (string | number)[]): SpecIssue[] {
  if (!hasTemplate(run)) return [];
  return [
    {
      path,
      message:
        'templates are not allowed in run, because values spliced into a command line can run as code; ' +
        'pass them through env (env: { NAME: \'\${{ input.name }}\' }, then use "$NAME") or stdin',
    },
  ];
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
export function findCycles(steps: readonly Pick<Step, 'id' | 'dependsOn'>[]): string[][] {
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

/**
 * A spec with steps added, or replacing steps that `replaceable` allows (those that have not started).
 * The result is raw input: parse it with parseSpec to validate it like a new spec.
 */
export function mergeSteps(
  spec: Spec,
  steps: unknown[],
  replaceable: (id: string) => boolean,
): { ok: true; spec: unknown } | { ok: false; issues: SpecIssue[] } {
  const issues: SpecIssue[] = [];
  const merged: unknown[] = [...spec.steps];
  steps.forEach((step, index) => {
    const id = typeof step === 'object' && step !== null && 'id' in step ? step.id : undefined;
    if (typeof id !== 'string') {
      issues.push({ path: ['steps', index, 'id'], message: 'each step needs an id' });
      return;
    }
    const existing = spec.steps.findIndex((candidate) => candidate.id === id);
    if (existing === -1) {
      merged.push(step);
    } else if (!replaceable(id)) {
      issues.push({
        path: ['steps', index, 'id'],
        message: `step "${id}" has already started; only steps that have not started can be replaced`,
      });
    } else {
      merged[existing] = step;
    }
  });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, spec: { ...spec, steps: merged } };
}
