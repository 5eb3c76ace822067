import ms from 'ms';
import { evaluateExpression, StoredValueNeeded, type ExpressionContext } from './expressions';
import {
  RunStatus,
  StepStatus,
  type CompensationRecord,
  type Decision,
  type RunSnapshot,
  type SharedContextSnapshot,
  type AgentMessage,
  type AgentChoice,
  type CollaborationRecord,
  type Compensable,
  type StepSnapshot,
} from './run-snapshot';
import { SharedContext, type PendingReview } from './shared-context';
import type { RunInput, Spec, Step } from './spec';
import { bareExpression, resolveTemplates } from './template';

type StepRecord = Omit<StepSnapshot, 'id' | 'kind' | 'tool'>;

/** Everything a run needs to go on in a new workflow execution after continue-as-new. */
export type CarriedState = {
  /** Absent under `bounded-state`: the spec travels once, as the workflow's own `spec` argument. */
  spec?: Spec;
  input: RunInput;
  startedAt: string;
  records: Record<string, StepRecord>;
  completionOrder: string[];
  paused: boolean;
  version: number;
  costUsd: number;
  context?: SharedContextSnapshot;
  messages?: AgentMessage[];
  children?: Record<string, ChildRun[]>;
};

/** A completed child run that has something to undo: the parent compensates it when the parent fails. */
export type ChildRun = { workflowId: string; input: RunInput; compensable: Compensable[] };

const settled: readonly string[] = [StepStatus.Completed, StepStatus.Skipped];
const active: readonly string[] = [StepStatus.Running, StepStatus.Waiting];

/**
 * The state of one run, kept apart from the workflow so it can be unit-tested without Temporal. The
 * workflow feeds it events; the run-state query, the workflow's result and continue-as-new read it.
 */
export class RunState {
  private readonly records = new Map<string, StepRecord>();
  private completionOrder: string[] = [];
  private readonly compensations: CompensationRecord[] = [];
  private readonly decisions = new Map<string, Decision>();
  private ending: typeof RunStatus.Failed | typeof RunStatus.Cancelled | undefined;
  private finalStatus: RunStatus | undefined;
  private paused = false;
  private output: unknown;
  private error: string | undefined;
  private endedAt: string | undefined;
  private changes = 0;
  private cost = 0;
  private shared = new SharedContext();
  private messages: AgentMessage[] = [];
  private readonly children = new Map<string, ChildRun[]>();
  /** True for runs under the `scheduler-v2` patch; the workflow sets it once, at the start. */
  v2 = false;
  /**
   * Whether a condition that reads a stored value (a blob reference) fails its step with a clear error,
   * rather than reading the reference as a plain object; the workflow asks its `bounded-state` patch.
   */
  refusesStoredValues: () => boolean = () => true;
  /** Told each time a step's status changes; the workflow logs it. */
  onStepStatus: (stepId: string, record: StepRecord) => void = () => undefined;
  spec: Spec;
  readonly input: RunInput;
  private readonly startedAt: string;

  constructor(
    readonly runId: string,
    from: { spec: Spec; input: RunInput; startedAt: Date } | (CarriedState & { spec: Spec }),
  ) {
    this.spec = from.spec;
    this.input = from.input;
    if ('records' in from) {
      this.startedAt = from.startedAt;
      this.completionOrder = [...from.completionOrder];
      this.paused = from.paused;
      this.changes = from.version;
      this.cost = from.costUsd;
      if (from.context) this.shared = SharedContext.from(from.context);
      this.messages = [...(from.messages ?? [])];
      for (const [id, record] of Object.entries(from.records)) this.records.set(id, { ...record });
      for (const [id, runs] of Object.entries(from.children ?? {})) this.children.set(id, [...runs]);
    } else {
      this.startedAt = from.startedAt.toISOString();
    }
    for (const step of this.spec.steps) {
      if (!this.records.has(step.id)) this.records.set(step.id, { status: StepStatus.Pending });
    }
  }

  /** Grows on every change, so a workflow can wait for "something happened". */
  get version(): number {
    return this.changes;
  }

  get status(): RunStatus {
    if (this.finalStatus) return this.finalStatus;
    // A failing or cancelled run still runs its compensations: it reads as running until it has ended.
    if (this.ending) return RunStatus.Running;
    if (this.paused) return RunStatus.Paused;
    const statuses = [...this.records.values()].map((record) => record.status);
    if (statuses.includes(StepStatus.Waiting) && !statuses.includes(StepStatus.Running))
      return RunStatus.Waiting;
    return RunStatus.Running;
  }

  /** True once the run fails or is cancelled: no new step starts, and compensation follows. */
  get stopping(): boolean {
    return this.ending !== undefined;
  }

  /** True once a step failed in a spec that fails fast: the steps still in flight are cancelled. */
  get failsFast(): boolean {
    return this.ending === RunStatus.Failed && this.spec.onFailure !== 'finish-running';
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Steps in flight: running activities, timers, child runs and approvals that wait. */
  get active(): number {
    return [...this.records.values()].filter((record) => active.includes(record.status)).length;
  }

  private get running(): number {
    return [...this.records.values()].filter((record) => record.status === StepStatus.Running).length;
  }

  step(stepId: string): Step {
    const step = this.spec.steps.find((candidate) => candidate.id === stepId);
    if (!step) throw new Error(`no step "${stepId}" in run ${this.runId}`);
    return step;
  }

  stepStatus(stepId: string): StepStatus {
    return this.record(stepId).status;
  }

  /**
   * Steps whose dependencies have all settled, within the run's parallelism bound. Steps fed only by
   * skipped steps are skipped here; the caller begins each returned step. The scheduler of runs
   * recorded before `scheduler-v2`; newer runs use launchReady.
   */
  takeReady(now: Date): Step[] {
    if (this.stopping || this.paused || this.finalStatus) return [];
    let skippedAny = true;
    while (skippedAny) {
      skippedAny = false;
      for (const step of this.spec.steps) {
        if (this.record(step.id).status !== StepStatus.Pending || step.dependsOn.length === 0) continue;
        const statuses = step.dependsOn.map((dependency) => this.record(dependency).status);
        if (statuses.every((status) => status === StepStatus.Skipped)) {
          this.skip(step.id, now);
          skippedAny = true;
        }
      }
    }
    const room = Math.max(0, this.spec.maxParallel - this.running);
    return this.spec.steps
      .filter(
        (step) =>
          this.record(step.id).status === StepStatus.Pending &&
          step.dependsOn.every((dependency) => settled.includes(this.record(dependency).status)),
      )
      .slice(0, room);
  }

  /**
   * Begins every step that can begin now and answers those that run. Skips are settled first, to a
   * fixpoint (a skip can make other steps ready, or skipped), so nothing waits for an event that will
   * never come; then ready steps start in spec order within maxParallel. An approval waiting for a
   * decision does not count against maxParallel.
   */
  launchReady(now: Date): Step[] {
    if (this.stopping || this.paused || this.finalStatus) return [];
    const isReady = (step: Step) =>
      this.record(step.id).status === StepStatus.Pending &&
      step.dependsOn.every((dependency) => settled.includes(this.record(dependency).status));
    for (let changed = true; changed;) {
      changed = false;
      for (const step of this.spec.steps) {
        if (!isReady(step)) continue;
        const fedOnlyBySkips =
          step.dependsOn.length > 0 &&
          step.dependsOn.every((dependency) => this.record(dependency).status === StepStatus.Skipped);
        const runs = fedOnlyBySkips ? false : this.conditionHolds(step, now);
        if (this.stopping) return [];
        if (!runs) {
          this.skip(step.id, now);
          changed = true;
        }
      }
    }
    let room = Math.max(0, this.spec.maxParallel - this.running);
    const launched: Step[] = [];
    for (const step of this.spec.steps) {
      if (!isReady(step) || (step.kind !== 'approval' && room-- <= 0)) continue;
      this.launch(step, now);
      launched.push(step);
    }
    return launched;
  }

  /**
   * Moves a ready step out of pending: skipped when its `when` is not true, failed when the condition
   * cannot be evaluated, waiting for an approval, running otherwise. Answers whether it should run.
   */
  begin(stepId: string, now: Date): boolean {
    const step = this.step(stepId);
    if (!this.conditionHolds(step, now)) {
      if (!this.stopping) this.skip(stepId, now);
      return false;
    }
    this.launch(step, now);
    return true;
  }

  /** Whether a step's `when` holds; a condition that cannot be evaluated fails the step. */
  private conditionHolds(step: Step, now: Date): boolean {
    if (step.when === undefined) return true;
    const expression = bareExpression(step.when);
    try {
      try {
        return evaluateExpression(expression, this.expressionContext()) === true;
      } catch (err) {
        // Runs recorded before `bounded-state` read a stored value's reference as a plain object.
        if (!(err instanceof StoredValueNeeded) || this.refusesStoredValues()) throw err;
        return evaluateExpression(expression, this.expressionContext(), { plainRefs: true }) === true;
      }
    } catch (err) {
      this.fail(step.id, (err as Error).message, undefined, now);
      return false;
    }
  }

  private launch(step: Step, now: Date): void {
    if (step.kind === 'approval') {
      const { message, timeout } = step.with;
      this.wait(step.id, now, {
        ...(message && { message }),
        ...(timeout && { deadline: new Date(now.getTime() + ms(timeout)).toISOString() }),
      });
    } else {
      this.start(step.id, now);
    }
  }

  /** What expressions see: the input, and each settled step's status and output. */
  expressionContext(extra: Pick<ExpressionContext, 'item' | 'index'> = {}): ExpressionContext {
    const steps: ExpressionContext['steps'] = {};
    for (const [id, record] of this.records) {
      if (settled.includes(record.status))
        steps[id] = { output: record.output ?? null, status: record.status };
    }
    return { input: this.input, steps, context: this.shared.read(), ...extra };
  }

  get costUsd(): number {
    return this.cost;
  }

  /** Adds what a model call cost; every attempt counts, failed ones included. */
  addCost(usd: number): void {
    if (usd === 0) return;
    this.cost += usd;
    this.changes += 1;
  }

  /**
   * What calls in flight hold of the budget, by the key of the call: a hold is taken before a call
   * and settled after it, so two parallel calls never both pass a budget that only one fits.
   */
  private readonly holds = new Map<number, number>();
  private nextHold = 0;

  /** Whether a call of `usd` fits beside the spend and the other holds, or no other call is in flight. */
  holdFits(usd: number): boolean {
    if (this.spec.budget === undefined || this.holds.size === 0) return true;
    // A cent's billionth of slack, so sums of float costs never refuse what exactly fits.
    return usd <= this.freeUsd() + 1e-11;
  }

  /** What the budget has left beside the spend and every hold (Infinity without a budget). */
  freeUsd(): number {
    return (this.spec.budget?.usd ?? Infinity) - this.cost - this.heldUsd();
  }

  /** Holds `usd` for one call; the returned key settles it. */
  hold(usd: number): number {
    const key = this.nextHold++;
    this.holds.set(key, usd);
    return key;
  }

  /** Ends a call's hold and counts what the call really cost, in one step. */
  settleHold(key: number, costUsd: number): void {
    this.holds.delete(key);
    this.addCost(costUsd);
  }

  /** The sum the calls in flight hold, besides the call of `exceptKey`. */
  heldUsd(exceptKey?: number): number {
    let sum = 0;
    for (const [key, usd] of this.holds) if (key !== exceptKey) sum += usd;
    return sum;
  }

  /** Keeps a question an agent asked another, with its answer. */
  recordMessage(message: AgentMessage): void {
    this.messages.push(message);
    this.changes += 1;
  }

  start(stepId: string, now: Date, extra: Partial<StepRecord> = {}): void {
    this.update(stepId, {
      status: StepStatus.Running,
      startedAt: now.toISOString(),
      contextVersion: this.shared.currentVersion,
      ...extra,
    });
  }

  /** Keeps which agent an `agent: auto` step runs, and why. */
  recordChoice(stepId: string, choice: AgentChoice): void {
    this.update(stepId, { choice });
  }

  /** Keeps a collaborate step's answers and resolution, as they come. */
  recordCollaboration(stepId: string, collaboration: CollaborationRecord): void {
    this.update(stepId, { collaboration });
  }

  /** The agent a step ran: the one chosen for an `agent: auto` step, else the one its spec names. */
  agentOf(stepId: string): string | undefined {
    const step = this.step(stepId);
    if (step.kind !== 'agent') return undefined;
    return this.record(stepId).choice?.agent ?? step.agent;
  }

  wait(stepId: string, now: Date, extra: Pick<StepRecord, 'message' | 'deadline'>): void {
    this.update(stepId, {
      status: StepStatus.Waiting,
      startedAt: now.toISOString(),
      contextVersion: this.shared.currentVersion,
      ...extra,
    });
  }

  progress(stepId: string, items: { done: number; total: number }): void {
    this.update(stepId, { items });
  }

  skip(stepId: string, now: Date): void {
    this.update(stepId, { status: StepStatus.Skipped, endedAt: now.toISOString() });
  }

  complete(
    stepId: string,
    output: unknown,
    attempts: number | undefined,
    now: Date,
    extra: Pick<StepRecord, 'model'> = {},
  ): void {
    this.update(stepId, {
      status: StepStatus.Completed,
      output,
      attempts,
      endedAt: now.toISOString(),
      ...extra,
    });
    this.completionOrder.push(stepId);
  }

  /**
   * Writes what a step's `publish` names to the shared context, before the step counts as complete,
   * so no dependent reads a value a review may still change. Throws when a template fails.
   */
  publish(stepId: string, output: unknown, now: Date): PendingReview[] {
    const { publish } = this.step(stepId);
    if (!publish) return [];
    const context = this.expressionContext();
    context.steps[stepId] = { output, status: StepStatus.Completed };
    let values: Record<string, unknown>;
    try {
      values = resolveTemplates(publish, context) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`publishing to the shared context failed: ${(err as Error).message}`);
    }
    const base = this.record(stepId).contextVersion ?? 0;
    const reviews = this.shared.write(stepId, values, base, this.spec.contextPolicy, now.toISOString());
    this.changes += 1;
    return reviews;
  }

  settleReview(review: PendingReview, approved: boolean, reasons: string, now: Date): void {
    this.shared.settle(review, approved, reasons, now.toISOString());
    this.changes += 1;
  }

  /** Records a step's failure; the run fails with it, and no further step starts. */
  fail(
    stepId: string,
    error: string,
    attempts: number | undefined,
    now: Date,
    extra: Pick<StepRecord, 'model' | 'output'> = {},
  ): void {
    this.update(stepId, { status: StepStatus.Failed, error, attempts, endedAt: now.toISOString(), ...extra });
    if (!this.ending) {
      this.ending = RunStatus.Failed;
      this.error = `step "${stepId}" failed: ${error}`;
    }
  }

  /** Marks the run cancelled; steps still in flight are marked as they settle. */
  cancel(reason: string): void {
    if (!this.ending) {
      this.ending = RunStatus.Cancelled;
      this.error = reason;
      this.changes += 1;
    }
  }

  cancelStep(stepId: string, now: Date): void {
    this.update(stepId, { status: StepStatus.Cancelled, endedAt: now.toISOString() });
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    this.changes += 1;
  }

  /** Checks an approve/reject against the run before it is accepted; throws a message for the caller. */
  validateDecision(stepId: string): void {
    const step = this.spec.steps.find((candidate) => candidate.id === stepId);
    if (!step) throw new Error(`no step "${stepId}" in run ${this.runId}`);
    if (step.kind !== 'approval') throw new Error(`step "${stepId}" is a ${step.kind} step, not an approval`);
    const status = this.record(stepId).status;
    if (status !== StepStatus.Waiting)
      throw new Error(`step "${stepId}" is ${status}, not waiting for a decision`);
  }

  decide(stepId: string, decision: Decision): void {
    this.decisions.set(stepId, decision);
    this.update(stepId, { decision });
  }

  decision(stepId: string): Decision | undefined {
    return this.decisions.get(stepId);
  }

  /**
   * Completed steps that have a compensation, most recently completed first: the saga's order. Agent
   * steps always have one: their agent's own, unless the spec names another.
   */
  compensationPlan(): Step[] {
    return [...this.completionOrder]
      .reverse()
      .map((id) => this.step(id))
      .filter(
        (step) =>
          step.compensate !== undefined ||
          step.kind === 'agent' ||
          (step.kind === 'subworkflow' && this.children.has(step.id)),
      );
  }

  /** Keeps what a completed child run will need undone if this run fails. */
  recordChild(stepId: string, child: ChildRun): void {
    if (child.compensable.length === 0) return;
    this.children.set(stepId, [...(this.children.get(stepId) ?? []), child]);
  }

  /** The child runs a subworkflow step completed that have compensations, in the order they ended. */
  childRuns(stepId: string): ChildRun[] {
    return this.children.get(stepId) ?? [];
  }

  /**
   * What a parent needs to undo this run: the completed steps that have a compensation, with their
   * outputs, in completion order.
   */
  compensable(): Compensable[] {
    const withUndo = new Set(this.compensationPlan().map((step) => step.id));
    return this.completionOrder
      .filter((id) => withUndo.has(id))
      .map((stepId) => ({ stepId, output: this.record(stepId).output ?? null }));
  }

  /** A completed step's output, for its compensation. */
  outputOf(stepId: string): unknown {
    return this.record(stepId).output;
  }

  startCompensation(stepId: string, now: Date): CompensationRecord {
    const record: CompensationRecord = { stepId, status: 'running', startedAt: now.toISOString() };
    this.compensations.push(record);
    this.changes += 1;
    return record;
  }

  endCompensation(record: CompensationRecord, now: Date, error?: string): void {
    Object.assign(
      record,
      { status: error ? 'failed' : 'completed', endedAt: now.toISOString() },
      error && { error },
    );
    this.changes += 1;
  }

  /** Replaces or adds steps that have not started; the caller has validated the resulting spec. */
  replaceSpec(spec: Spec): void {
    this.spec = spec;
    for (const step of spec.steps) {
      if (!this.records.has(step.id)) this.records.set(step.id, { status: StepStatus.Pending });
    }
    this.changes += 1;
  }

  /**
   * Ends the run: completed with the spec's output, or failed/cancelled as recorded. Steps that never
   * started are marked skipped.
   */
  finish(now: Date): void {
    this.endedAt = now.toISOString();
    for (const record of this.records.values()) {
      if (record.status === StepStatus.Pending) record.status = StepStatus.Skipped;
    }
    if (this.ending) {
      this.finalStatus = this.ending;
    } else {
      try {
        this.output = resolveTemplates(this.spec.output ?? this.defaultOutput(), this.expressionContext());
        this.finalStatus = RunStatus.Completed;
      } catch (err) {
        this.finalStatus = RunStatus.Failed;
        this.error = `the run's output could not be built: ${(err as Error).message}`;
      }
    }
    this.changes += 1;
  }

  carry(): CarriedState & { spec: Spec } {
    return {
      spec: this.spec,
      input: this.input,
      startedAt: this.startedAt,
      records: Object.fromEntries(this.records),
      completionOrder: this.completionOrder,
      paused: this.paused,
      version: this.changes,
      costUsd: this.cost,
      context: this.shared.snapshot(),
      messages: this.messages,
      children: Object.fromEntries(this.children),
    };
  }

  snapshot(): RunSnapshot {
    return {
      runId: this.runId,
      version: this.changes,
      name: this.spec.name,
      status: this.status,
      startedAt: this.startedAt,
      ...(this.endedAt && { endedAt: this.endedAt }),
      steps: this.spec.steps.map((step) => ({
        id: step.id,
        kind: step.kind,
        ...(step.kind === 'tool' && { tool: step.tool }),
        ...withoutUndefined(this.record(step.id)),
      })),
      compensations: this.compensations.map((record) => ({ ...record })),
      costUsd: this.cost,
      context: this.shared.snapshot(),
      messages: this.messages.map((message) => ({ ...message })),
      ...(this.output !== undefined && { output: this.output }),
      ...(this.error !== undefined && { error: this.error }),
      ...(this.finalStatus === RunStatus.Completed && this.v2 && { compensable: this.compensable() }),
    };
  }

  /** Without an explicit output, a run answers with the output of its last step (or of each final step). */
  private defaultOutput(): unknown {
    const feeding = new Set(this.spec.steps.flatMap((step) => step.dependsOn));
    const finals = this.spec.steps.filter((step) => !feeding.has(step.id));
    if (finals.length === 1) return `\${{ steps.${finals[0]?.id}.output }}`;
    return Object.fromEntries(finals.map((step) => [step.id, `\${{ steps.${step.id}.output }}`]));
  }

  private record(stepId: string): StepRecord {
    const record = this.records.get(stepId);
    if (!record) throw new Error(`no step "${stepId}" in run ${this.runId}`);
    return record;
  }

  private update(stepId: string, change: Partial<StepRecord>): void {
    const record = this.record(stepId);
    const before = record.status;
    Object.assign(record, change);
    this.changes += 1;
    if (record.status !== before) this.onStepStatus(stepId, record);
  }
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;
}
