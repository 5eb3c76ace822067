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

const NODE_GAP = 30;
const RANK_GAP = 50;
const MARGIN = 10;
/** Sweeps of barycentre ordering, down then up: enough for a spec's DAG to settle. */
const SWEEPS = 4;

/**
 * Top-left positions of the nodes, top to bottom, in layers: each node one layer below its deepest
 * source (longest path), each layer ordered by the mean place of its neighbours in the layer before
 * (barycentre, sweeping down and up), the layers centred on the widest. Linear in nodes and edges per
 * sweep, so 500 steps lay out in milliseconds. A cycle (a spec cannot have one) is broken where found.
 */
export function layoutPositions(
  nodes: GraphNode[],
  edges: GraphEdge[],
): Map<string, { x: number; y: number }> {
  const known = new Set(nodes.map((node) => node.id));
  const sources = new Map<string, string[]>(nodes.map((node) => [node.id, []]));
  const targets = new Map<string, string[]>(nodes.map((node) => [node.id, []]));
  for (const edge of edges) {
    if (!known.has(edge.source) || !known.has(edge.target) || edge.source === edge.target) continue;
    sources.get(edge.target)!.push(edge.source);
    targets.get(edge.source)!.push(edge.target);
  }
  const layer = new Map<string, number>();
  const visiting = new Set<string>();
  const depth = (id: string): number => {
    const placed = layer.get(id);
    if (placed !== undefined) return placed;
    visiting.add(id);
    let deepest = -1;
    for (const source of sources.get(id)!)
      if (!visiting.has(source)) deepest = Math.max(deepest, depth(source));
    visiting.delete(id);
    layer.set(id, deepest + 1);
    return deepest + 1;
  };
  const layers: string[][] = [];
  for (const node of nodes) (layers[depth(node.id)] ??= []).push(node.id);
  const place = new Map<string, number>();
  const number = (ids: string[]) => ids.forEach((id, index) => place.set(id, index));
  layers.forEach(number);
  const order = (ids: string[], neighbours: Map<string, string[]>) => {
    const centre = new Map(
      ids.map((id) => {
        const near = neighbours.get(id)!.filter((other) => place.has(other));
        const mean = near.length
          ? near.reduce((sum, other) => sum + place.get(other)!, 0) / near.length
          : place.get(id)!;
        return [id, mean];
      }),
    );
    // Stable: ties keep their order, so an unconnected layer stays in the spec's order.
    ids.sort((a, b) => centre.get(a)! - centre.get(b)!);
    number(ids);
  };
  for (let sweep = 0; sweep < SWEEPS; sweep += 1) {
    if (sweep % 2 === 0) for (const ids of layers.slice(1)) order(ids, sources);
    else for (const ids of layers.slice(0, -1).reverse()) order(ids, targets);
  }
  const size = new Map(nodes.map((node) => [node.id, node]));
  const widthOf = (ids: string[]) =>
    ids.reduce((sum, id) => sum + size.get(id)!.width, 0) + NODE_GAP * Math.max(0, ids.length - 1);
  const widest = Math.max(0, ...layers.map(widthOf));
  const positions = new Map<string, { x: number; y: number }>();
  let y = MARGIN;
  for (const ids of layers) {
    const tallest = Math.max(...ids.map((id) => size.get(id)!.height));
    let x = MARGIN + (widest - widthOf(ids)) / 2;
    for (const id of ids) {
      const node = size.get(id)!;
      positions.set(id, { x, y: y + (tallest - node.height) / 2 });
      x += node.width + NODE_GAP;
    }
    y += tallest + RANK_GAP;
  }
  return positions;
}
