import type { RunInput, Spec, Step } from './spec';
import { RunStatus, StepStatus, type RunSnapshot, type StepSnapshot } from './run-snapshot';
import { resolveTemplates, type TemplateContext } from './template';

type StepRecord = Omit<StepSnapshot, 'id' | 'kind' | 'tool'>;

/**
 * The state of one run, kept apart from the workflow so it can be unit-tested without Temporal. The
 * workflow feeds it events; the run-state query and the workflow's result read its snapshot.
 */
export class RunState {
  private readonly records = new Map<string, StepRecord>();
  private status: RunStatus = RunStatus.Running;
  private output: unknown;
  private error: string | undefined;
  private endedAt: string | undefined;
  private changes = 0;

  constructor(
    readonly runId: string,
    readonly spec: Spec,
    readonly input: RunInput,
    private readonly startedAt: Date,
  ) {
    for (const step of spec.steps) this.records.set(step.id, { status: StepStatus.Pending });
  }

  /** Grows on every change, so a workflow can wait for "something happened". */
  get version(): number {
    return this.changes;
  }

  get failed(): boolean {
    return this.status === RunStatus.Failed;
  }

  get running(): number {
    return [...this.records.values()].filter((record) => record.status === StepStatus.Running).length;
  }

  /** Steps that may start now: pending, with every dependency completed, in a run that has not failed. */
  readySteps(): Step[] {
    if (this.status !== RunStatus.Running) return [];
    return this.spec.steps.filter(
      (step) =>
        this.record(step.id).status === StepStatus.Pending &&
        step.dependsOn.every((dependency) => this.record(dependency).status === StepStatus.Completed),
    );
  }

  templateContext(): TemplateContext {
    const steps: TemplateContext['steps'] = {};
    for (const [id, record] of this.records) {
      if (record.status === StepStatus.Completed) steps[id] = { output: record.output };
    }
    return { input: this.input, steps };
  }

  start(stepId: string, now: Date): void {
    this.update(stepId, { status: StepStatus.Running, startedAt: now.toISOString() });
  }

  complete(stepId: string, output: unknown, attempts: number, now: Date): void {
    this.update(stepId, { status: StepStatus.Completed, output, attempts, endedAt: now.toISOString() });
  }

  /** Records a step's failure; the run fails with it, and no further step starts. */
  fail(stepId: string, error: string, attempts: number | undefined, now: Date): void {
    this.update(stepId, { status: StepStatus.Failed, error, attempts, endedAt: now.toISOString() });
    if (this.status === RunStatus.Running) {
      this.status = RunStatus.Failed;
      this.error = `step "${stepId}" failed: ${error}`;
    }
  }

  /**
   * Ends the run: completed with the spec's output, or failed when a step failed or the output cannot be
   * built. Steps that never started are marked skipped.
   */
  finish(now: Date): void {
    this.endedAt = now.toISOString();
    for (const record of this.records.values()) {
      if (record.status === StepStatus.Pending) record.status = StepStatus.Skipped;
    }
    if (this.status === RunStatus.Running) {
      try {
        this.output = resolveTemplates(this.spec.output ?? this.defaultOutput(), this.templateContext());
        this.status = RunStatus.Completed;
      } catch (err) {
        this.status = RunStatus.Failed;
        this.error = `the run's output could not be built: ${(err as Error).message}`;
      }
    }
    this.changes += 1;
  }

  snapshot(): RunSnapshot {
    return {
      runId: this.runId,
      name: this.spec.name,
      status: this.status,
      startedAt: this.startedAt.toISOString(),
      ...(this.endedAt && { endedAt: this.endedAt }),
      steps: this.spec.steps.map((step) => ({
        id: step.id,
        kind: step.kind,
        tool: step.tool,
        ...withoutUndefined(this.record(step.id)),
      })),
      ...(this.output !== undefined && { output: this.output }),
      ...(this.error !== undefined && { error: this.error }),
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
    Object.assign(this.record(stepId), change);
    this.changes += 1;
  }
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;
}
