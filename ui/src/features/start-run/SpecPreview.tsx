import { useMemo } from 'react';
import type { SpecStep } from '../../api/types';
import { RunGraph } from '../run-graph/RunGraph';
import type { OutlineStep } from './spec-outline';

const noSelection = () => undefined;

/**
 * The outline's steps in the shape the run graph reads (id, kind, dependsOn and who does the step),
 * ids kept unique and self-references dropped, since the text may be half-typed.
 */
export function previewSteps(steps: OutlineStep[]): SpecStep[] {
  const unique = [...new Map(steps.map((step) => [step.id, step])).values()];
  return unique.map((step) => {
    const dependsOn = step.dependsOn.filter((dep) => dep !== step.id);
    const worker = step.worker ?? '';
    const shape = {
      id: step.id,
      kind: step.kind,
      dependsOn,
      ...(step.kind === 'agent' && { agent: worker }),
      ...(step.kind === 'tool' && { tool: worker }),
      with: { agent: worker },
    };
    return shape as unknown as SpecStep;
  });
}

/** The spec's graph as it stands in the editor, drawn by the run page's own graph, all steps pending. */
export default function SpecPreview({ steps }: { steps: OutlineStep[] }) {
  const shaped = useMemo(() => previewSteps(steps), [steps]);
  return (
    <div className="spec-preview" data-testid="spec-preview" data-step-count={shaped.length}>
      <RunGraph
        runId=""
        steps={shaped}
        run={undefined}
        onSelect={noSelection}
        label="Graph preview of the spec"
      />
    </div>
  );
}
