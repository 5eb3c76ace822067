// Random DAGs for the scheduler's property tests, as a reference DAG and as the spec the engine runs.
import fc from 'fast-check';
import { RunState } from '../src/engine/run-state';
import { Spec, type SpecInput } from '../src/engine/spec';
import { endsFailed, type Dag, type DagStep, type Outcome } from './scheduler-reference';

/** A DAG of 1 to `maxSteps` steps; each step depends on a random subset of the steps before it. */
export function dagArbitrary({ maxSteps = 10, failures = true } = {}): fc.Arbitrary<Dag> {
  const step = fc.record({
    kind: fc.constantFrom<DagStep['kind']>('tool', 'tool', 'tool', 'approval'),
    deps: fc.array(fc.nat(), { maxLength: 3 }),
    when: fc.constantFrom<boolean | undefined>(undefined, undefined, true, false),
    foreach: fc.option(
      fc.record({
        items: fc.integer({ min: 0, max: 4 }),
        parallelism: fc.integer({ min: 1, max: 3 }),
        failing: fc.array(fc.nat(3), { maxLength: failures ? 1 : 0 }),
      }),
      { freq: 4 },
    ),
    fails: failures ? fc.boolean() : fc.constant(false),
  });
  return fc
    .record({
      steps: fc.array(step, { minLength: 1, maxLength: maxSteps }),
      maxParallel: fc.integer({ min: 1, max: 4 }),
      onFailure: fc.constantFrom<Dag['onFailure']>('fail-fast', 'finish-running'),
      failRate: fc.integer({ min: 0, max: 4 }),
    })
    .map(({ steps, maxParallel, onFailure, failRate }) => ({
      maxParallel,
      onFailure,
      steps: steps.map((raw, index): DagStep => {
        const dependsOn = index === 0 ? [] : [...new Set(raw.deps.map((dep) => `s${dep % index}`))].sort();
        const foreach =
          raw.kind === 'tool' && raw.foreach
            ? {
                ...raw.foreach,
                failing: raw.foreach.failing.filter((item) => item < raw.foreach!.items && failRate > 2),
              }
            : undefined;
        return {
          id: `s${index}`,
          kind: raw.kind,
          dependsOn,
          ...(raw.when !== undefined && { when: raw.when }),
          ...(foreach && { foreach }),
          // Few failures, so most DAGs run deep before one fails.
          fails: !foreach && raw.fails && failRate > 2 && index % 2 === 1,
        };
      }),
    }));
}

/** The spec that runs a DAG on the engine: noop tools, `exit 1` for failures, approvals that time out. */
export function specOf(dag: Dag, name = 'dag'): Spec {
  const input: SpecInput = {
    name,
    maxParallel: dag.maxParallel,
    onFailure: dag.onFailure,
    steps: dag.steps.map((step) => {
      const base = {
        id: step.id,
        dependsOn: step.dependsOn,
        ...(step.when !== undefined && { when: String(step.when) }),
      };
      if (step.kind === 'approval') {
        return {
          ...base,
          kind: 'approval' as const,
          with: { timeout: '100ms', default: step.fails ? ('reject' as const) : ('approve' as const) },
        };
      }
      if (step.foreach) {
        const foreach = {
          items: `[${Array.from({ length: step.foreach.items }, (_, i) => i).join(', ')}]`,
          parallelism: step.foreach.parallelism,
        };
        if (step.foreach.failing.length === 0)
          return {
            ...base,
            kind: 'tool' as const,
            tool: 'noop' as const,
            foreach,
            with: { item: '${{ item }}' },
          };
        return {
          ...base,
          kind: 'tool' as const,
          tool: 'shell' as const,
          foreach,
          with: {
            run: `case " $FAILING " in *" $ITEM "*) exit 1;; esac`,
            env: { ITEM: '${{ item }}', FAILING: step.foreach.failing.join(' ') },
          },
        };
      }
      return step.fails
        ? { ...base, kind: 'tool' as const, tool: 'shell' as const, with: { run: 'exit 1' } }
        : { ...base, kind: 'tool' as const, tool: 'noop' as const };
    }),
  };
  return Spec.parse(input);
}

/**
 * Drives RunState the way runWorkflow does, without Temporal: launch what can begin, let one step in
 * flight settle (the one `choose` picks), and on a failure cancel what is in flight as the spec says.
 */
export function engineRun(dag: Dag, choose: (n: number) => number): Outcome {
  const spec = specOf(dag);
  const t0 = new Date('2026-01-01T00:00:00Z');
  const run = new RunState('dag', { spec, input: {}, startedAt: t0 });
  const inFlight = new Set<string>();
  const byId = new Map(dag.steps.map((step) => [step.id, step]));
  let tick = 0;
  const now = () => new Date(t0.getTime() + ++tick * 1000);
  for (;;) {
    for (const step of run.launchReady(now())) inFlight.add(step.id);
    if (run.stopping) {
      for (const id of inFlight) {
        if (run.failsFast || run.stepStatus(id) === 'waiting') {
          run.cancelStep(id, now());
          inFlight.delete(id);
        }
      }
    }
    if (inFlight.size === 0) break;
    const candidates = [...inFlight].sort();
    const id = candidates[choose(candidates.length) % candidates.length]!;
    inFlight.delete(id);
    const step = byId.get(id)!;
    if (endsFailed(step)) run.fail(id, 'it failed', 1, now());
    else run.complete(id, { id }, 1, now());
  }
  run.finish(now());
  const snapshot = run.snapshot();
  return {
    status: snapshot.status as Outcome['status'],
    steps: Object.fromEntries(snapshot.steps.map((step) => [step.id, step.status])),
  };
}

/** A `choose` that replays a recorded list of choices, round and round. */
export function chooser(choices: number[]): (n: number) => number {
  let next = 0;
  return (n) => (choices.length === 0 ? 0 : choices[next++ % choices.length]! % n);
}

/** A DAG as a spec a person can read, for counterexamples. */
export function describeDag(dag: Dag): string {
  return JSON.stringify(specOf(dag), null, 1);
}
