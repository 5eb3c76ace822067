import { Graph, layout } from '@dagrejs/dagre';
import type { CompensationRecord, RunSnapshot, SpecStep, StepSnapshot } from '../../api/types';

export const NODE_WIDTH = 230;
export const NODE_HEIGHT = 96;
const APPROVAL_HEIGHT = 190;
const COMPENSATION_HEIGHT = 84;

export type StepNodeData = {
  kind: 'step';
  id: string;
  step: StepSnapshot | undefined;
  declared: SpecStep | undefined;
  runId: string;
  /** Added while the run ran (a plan or POST /steps), not in the spec it started with. */
  planned: boolean;
};
export type CompensationNodeData = {
  kind: 'compensation';
  id: string;
  record: CompensationRecord;
  /** 1 for the first compensation that ran. */
  order: number;
};
export type GraphNode = {
  id: string;
  type: 'step' | 'compensation';
  data: StepNodeData | CompensationNodeData;
  width: number;
  height: number;
};
export type GraphEdge = {
  id: string;
  source: string;
  target: string;
  kind: 'depends' | 'compensates' | 'then';
  label?: string;
};

/** What names the step's worker: its agent, tool or model, as the spec declares it. */
export function stepActor(declared: SpecStep | undefined, step: StepSnapshot | undefined): string {
  if (step?.model) return step.model.modelId;
  if (!declared) return step?.tool ?? step?.kind ?? '';
  switch (declared.kind) {
    case 'agent':
      return `agent ${declared.agent}`;
    case 'tool':
      return `tool ${declared.tool}`;
    case 'model':
      return 'model (routed)';
    case 'plan':
      return `planner ${declared.with.agent}`;
    default:
      return declared.kind;
  }
}

export const compensationNodeId = (record: CompensationRecord, index: number) =>
  `compensation:${index}:${record.stepId}`;

/**
 * The run as a graph: the spec's steps (and the run's, for steps it added) joined by dependsOn, and
 * each compensation as its own node, chained in the order it ran.
 */
export function buildGraph(
  runId: string,
  steps: SpecStep[],
  run: RunSnapshot | undefined,
  initialIds?: ReadonlySet<string>,
): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const state = new Map(run?.steps.map((step) => [step.id, step]));
  const declared = new Map(steps.map((step) => [step.id, step]));
  const ids = [...new Set([...steps.map((step) => step.id), ...state.keys()])];
  const edges: GraphEdge[] = [];
  for (const id of ids) {
    for (const dependency of declared.get(id)?.dependsOn ?? []) {
      if (state.has(dependency) || declared.has(dependency)) {
        edges.push({ id: `${dependency}->${id}`, source: dependency, target: id, kind: 'depends' });
      }
    }
  }
  const nodes: GraphNode[] = ids.map((id) => ({
    id,
    type: 'step',
    width: NODE_WIDTH,
    height:
      declared.get(id)?.kind === 'approval' || state.get(id)?.kind === 'approval'
        ? APPROVAL_HEIGHT
        : NODE_HEIGHT,
    data: {
      kind: 'step',
      id,
      runId,
      step: state.get(id),
      declared: declared.get(id),
      planned: initialIds ? !initialIds.has(id) : false,
    },
  }));
  const compensations = run?.compensations ?? [];
  compensations.forEach((record, index) => {
    const id = compensationNodeId(record, index);
    nodes.push({
      id,
      type: 'compensation',
      width: NODE_WIDTH,
      height: COMPENSATION_HEIGHT,
      data: { kind: 'compensation', id, record, order: index + 1 },
    });
    if (ids.includes(record.stepId)) {
      edges.push({
        id: `${record.stepId}~>${id}`,
        source: record.stepId,
        target: id,
        kind: 'compensates',
        label: 'undo',
      });
    }
    const previous = compensations[index - 1];
    if (previous) {
      const from = compensationNodeId(previous, index - 1);
      edges.push({ id: `${from}=>${id}`, source: from, target: id, kind: 'then', label: 'then' });
    }
  });
  return { nodes, edges };
}

/** The graph's shape, as a key: layout runs again only when it changes, not on every status change. */
export function shapeKey(nodes: GraphNode[], edges: GraphEdge[]): string {
  return `${nodes.map((node) => node.id).join('|')}#${edges.map((edge) => edge.id).join('|')}`;
}

/** Top-left positions of the nodes, top to bottom, from dagre. */
export function layoutPositions(
  nodes: GraphNode[],
  edges: GraphEdge[],
): Map<string, { x: number; y: number }> {
  const graph = new Graph();
  graph.setGraph({ rankdir: 'TB', nodesep: 30, ranksep: 50, marginx: 10, marginy: 10 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) graph.setNode(node.id, { width: node.width, height: node.height });
  for (const edge of edges) graph.setEdge(edge.source, edge.target);
  layout(graph);
  return new Map(
    nodes.map((node) => {
      const placed = graph.node(node.id) as { x: number; y: number };
      return [node.id, { x: placed.x - node.width / 2, y: placed.y - node.height / 2 }];
    }),
  );
}
