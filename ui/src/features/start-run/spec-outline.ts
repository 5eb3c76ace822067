import { parse } from 'yaml';
import type { InputField } from '../../components/SpecEditor';

export type { InputField };

export type OutlineStep = { id: string; kind: string; worker?: string; dependsOn: string[] };
export type SpecOutline = { name?: string; steps: OutlineStep[]; inputs: InputField[] };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);

/** What names a step's worker in the preview: its agent, tool, model or sub-spec. */
function workerOf(step: Record<string, unknown>): string | undefined {
  const model = isRecord(step.with) ? text(step.with.model) : undefined;
  return text(step.agent) ?? text(step.tool) ?? text(step.spec) ?? model ?? text(step.policy);
}

/**
 * `inputs:` as form fields, read from the YAML itself: the preview of a spec that does not validate
 * yet still shows its form. Required unless it says otherwise or has a default, as the engine reads it.
 */
export function declaredInputs(inputs: unknown): InputField[] {
  if (!isRecord(inputs)) return [];
  return Object.entries(inputs).map(([name, raw]) => {
    const declaration = isRecord(raw) ? raw : {};
    const field: InputField = {
      name,
      type: text(declaration.type) ?? 'string',
      required:
        typeof declaration.required === 'boolean' ? declaration.required : declaration.default === undefined,
    };
    if (declaration.default !== undefined) field.default = declaration.default;
    const description = text(declaration.description);
    if (description) field.description = description;
    return field;
  });
}

/**
 * The steps and inputs of a spec text, as far as its YAML parses (merge keys included), for the
 * graph preview and the input form; the API's validation says whether it is right.
 */
export function outlineSpec(source: string): SpecOutline | undefined {
  let raw: unknown;
  try {
    raw = parse(source, { merge: true });
  } catch {
    return undefined;
  }
  if (!isRecord(raw)) return undefined;
  const steps = (Array.isArray(raw.steps) ? raw.steps : []).filter(isRecord).flatMap((step) => {
    const id = text(step.id);
    if (!id) return [];
    const worker = workerOf(step);
    return [
      {
        id,
        kind: text(step.kind) ?? 'step',
        ...(worker && { worker }),
        dependsOn: Array.isArray(step.dependsOn)
          ? step.dependsOn.filter((dep) => typeof dep === 'string')
          : [],
      },
    ];
  });
  const name = text(raw.name);
  return { ...(name && { name }), steps, inputs: declaredInputs(raw.inputs) };
}
