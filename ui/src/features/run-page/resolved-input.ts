import type { ExpressionContext } from '../../../../src/engine/expressions';
import { findReferences, resolveTemplates } from '../../../../src/engine/template';
import type { RunSnapshot, SpecStep } from '../../api/types';

const settled = ['completed', 'failed', 'skipped', 'cancelled'];

export type ResolvedInput = {
  value: unknown;
  /** The templates that could not be resolved yet (a step not finished, a foreach item), as written. */
  pending: string[];
};

/**
 * A step's `with`, its templates resolved by the engine's own resolver against the run as it stands:
 * its input, the outputs of the steps that settled and the shared context. A template the run cannot
 * answer yet stays as written and is named in `pending`.
 */
export function resolveStepInput(
  declared: SpecStep | undefined,
  run: RunSnapshot | undefined,
  input: Record<string, unknown> | undefined,
): ResolvedInput {
  const raw = declared && 'with' in declared ? (declared.with as unknown) : {};
  const steps: ExpressionContext['steps'] = {};
  for (const step of run?.steps ?? []) {
    if (settled.includes(step.status)) steps[step.id] = { output: step.output ?? null, status: step.status };
  }
  const context: ExpressionContext = { input: input ?? {}, steps, context: run?.context?.values ?? {} };
  const pending: string[] = [];
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') {
      if (findReferences(value).length === 0) return value;
      try {
        return resolveTemplates(value, context);
      } catch {
        pending.push(value);
        return value;
      }
    }
    if (Array.isArray(value)) return value.map(walk);
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, walk(inner)]));
    }
    return value;
  };
  return { value: walk(raw), pending };
}
