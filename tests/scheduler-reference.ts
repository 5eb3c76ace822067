// A reference scheduler written from docs/engine.md, with no code shared with RunState: the property
// tests check the engine's final step statuses against it. It favours being obviously right over speed.

/** A step as the scheduler sees it: what it waits for, whether it runs, and how it ends. */
export type DagStep = {
  id: string;
  kind: 'tool' | 'approval';
  dependsOn: string[];
  /** A `when` that is literally true or false; undefined means no `when`. */
  when?: boolean;
  /** A foreach step: how many items, and which of them fail. */
  foreach?: { items: number; parallelism: number; failing: number[] };
  /** A tool that fails, or an approval that is rejected. */
  fails: boolean;
};

export type Dag = {
  steps: DagStep[];
  maxParallel: number;
  onFailure: 'fail-fast' | 'finish-running';
};

export type Outcome = { status: 'completed' | 'failed'; steps: Record<string, string> };

/** Does a step end failed: a failing tool, a rejected approval, or a foreach with a failing item. */
export const endsFailed = (step: DagStep) =>
  step.fails || (step.foreach !== undefined && step.foreach.failing.length > 0);

/**
 * Runs a DAG by the documented rules. `choose(n)` picks which of the n steps in flight (sorted by id)
 * settles next, so a test can drive the reference and the engine through the same order of events.
 *
 * - A step is ready when every dependency has completed or been skipped.
 * - A ready step whose dependencies were all skipped is skipped; so is one whose `when` is false.
 * - At most maxParallel steps run at once; an approval waiting for a decision does not count.
 * - When a step fails, no new step starts. Fail-fast cancels every step in flight; finish-running lets
 *   running steps finish (an approval still waiting is cancelled: nobody should have to approve a run
 *   that failed).
 * - Steps that never started end skipped.
 */
export function referenceRun(dag: Dag, choose: (n: number) => number): Outcome {
  const status = new Map(dag.steps.map((step) => [step.id, 'pending']));
  const of = (id: string) => status.get(id) ?? 'missing';
  let failed = false;
  const inFlight = () => dag.steps.filter((step) => ['running', 'waiting'].includes(of(step.id)));
  const running = () => dag.steps.filter((step) => of(step.id) === 'running').length;

  const startWhatCan = () => {
    for (let changed = true; changed && !failed;) {
      changed = false;
      for (const step of dag.steps) {
        if (of(step.id) !== 'pending') continue;
        const deps = step.dependsOn.map(of);
        if (!deps.every((dep) => dep === 'completed' || dep === 'skipped')) continue;
        if ((deps.length > 0 && deps.every((dep) => dep === 'skipped')) || step.when === false) {
          status.set(step.id, 'skipped');
          changed = true;
        } else if (step.kind === 'approval') {
          status.set(step.id, 'waiting');
          changed = true;
        } else if (running() < dag.maxParallel) {
          status.set(step.id, 'running');
          changed = true;
        }
      }
    }
  };

  for (startWhatCan(); inFlight().length > 0; startWhatCan()) {
    const candidates = inFlight().sort((a, b) => (a.id < b.id ? -1 : 1));
    const step = candidates[choose(candidates.length) % candidates.length]!;
    status.set(step.id, endsFailed(step) ? 'failed' : 'completed');
    if (!endsFailed(step) || failed) continue;
    failed = true;
    for (const other of inFlight()) {
      if (dag.onFailure === 'fail-fast' || of(other.id) === 'waiting') status.set(other.id, 'cancelled');
    }
  }
  for (const [id, value] of status) if (value === 'pending') status.set(id, 'skipped');
  return { status: failed ? 'failed' : 'completed', steps: Object.fromEntries(status) };
}
