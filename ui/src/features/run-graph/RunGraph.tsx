import {
  Background,
  Controls,
  Handle,
  MarkerType,
  Position,
  ReactFlow,
  type Edge,
  type FitViewOptions,
  type Node,
  type NodeProps,
  type ReactFlowInstance,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { createContext, memo, useContext, useEffect, useMemo, useRef } from 'react';
import type { StepTokens } from '../../api/live-cache';
import { useDecide, useRunTokens } from '../../api/queries';
import type { RunSnapshot, SpecStep } from '../../api/types';
import { ProblemAlert } from '../../components/ProblemAlert';
import {
  buildGraph,
  layoutPositions,
  shapeKey,
  type CompensationNodeData,
  type GraphNode,
  type StepNodeData,
} from './graph-model';
import { CompensationCard, StepCard } from './StepCard';

/** The graph's one approve/reject mutation, as the nodes need it: stable while its state is the same. */
type Decide = {
  mutate: ReturnType<typeof useDecide>['mutate'];
  stepId: string | undefined;
  pending: boolean;
  error: Error | null;
};
type GraphContext = { selected?: string | undefined; onSelect: (stepId: string) => void; decide?: Decide };
const Context = createContext<GraphContext>({ onSelect: () => undefined });

/** A step's node data with the text its model is writing, read once for the graph, not once per node. */
type StepNodeShown = StepNodeData & { tokens?: StepTokens | undefined };

/** A step's node; memoised, so a delta re-renders only the nodes whose step changed. */
const StepNode = memo(function StepNode({ data }: NodeProps<Node<StepNodeShown>>) {
  const { selected, onSelect, decide } = useContext(Context);
  const { tokens } = data;
  // One mutation for the graph, not one per node: its state is this node's when it decided this step.
  const mine = decide?.stepId === data.id ? decide : undefined;
  return (
    <>
      <Handle type="target" position={Position.Top} isConnectable={false} />
      <StepCard
        data={data}
        tokens={tokens}
        selected={selected === data.id}
        onSelect={onSelect}
        deciding={mine?.pending ?? false}
        onDecide={({ approve, comment }) =>
          decide?.mutate({ runId: data.runId, stepId: data.id, approve, comment })
        }
      />
      {mine?.error && <ProblemAlert error={mine.error} title="The decision was not taken" />}
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </>
  );
});

const CompensationNode = memo(function CompensationNode({ data }: NodeProps<Node<CompensationNodeData>>) {
  return (
    <>
      <Handle type="target" position={Position.Top} isConnectable={false} />
      <CompensationCard data={data} />
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </>
  );
});

const nodeTypes = { step: StepNode, compensation: CompensationNode };
const fitOptions: FitViewOptions = { padding: 0.08, minZoom: 0.05 };

type Props = {
  runId: string;
  steps: SpecStep[];
  initialIds?: ReadonlySet<string>;
  run: RunSnapshot | undefined;
  selected?: string | undefined;
  onSelect: (stepId: string) => void;
  /** What the graph is of, for screen readers: a run, or a spec not started yet. */
  label?: string;
};

/** Whether a node shows the same: its step's snapshot (a delta replaces only changed steps), spec, marks and tokens. */
function sameData(a: GraphNode['data'] | StepNodeShown, b: GraphNode['data'] | StepNodeShown): boolean {
  if (a.kind === 'step' && b.kind === 'step')
    return (
      a.step === b.step &&
      a.declared === b.declared &&
      a.planned === b.planned &&
      a.runId === b.runId &&
      (a as StepNodeShown).tokens === (b as StepNodeShown).tokens
    );
  if (a.kind === 'compensation' && b.kind === 'compensation')
    return a.record === b.record && a.order === b.order;
  return false;
}

/** The run as a live graph: nodes change as deltas patch the cached run; layout only when its shape does. */
export function RunGraph({ runId, steps, initialIds, run, selected, onSelect, label }: Props) {
  const graph = useMemo(() => buildGraph(runId, steps, run, initialIds), [runId, steps, run, initialIds]);
  // One subscription to the streamed text for the graph: a query observer per node cost 500 of them.
  const tokens = useRunTokens(runId);
  const shape = shapeKey(graph.nodes, graph.edges);
  // Laid out again only when the shape changes, not on every status change.
  const positions = useMemo(() => layoutPositions(graph.nodes, graph.edges), [shape]);
  // Node and edge objects are kept while what they show is the same, so React Flow and the memoised
  // nodes redo only what a delta changed, not all 500.
  const previousNodes = useRef(new Map<string, Node>());
  const nodes = useMemo(() => {
    const kept = previousNodes.current;
    const next = graph.nodes.map((node: GraphNode): Node => {
      const position = positions.get(node.id) ?? { x: 0, y: 0 };
      const data: GraphNode['data'] | StepNodeShown =
        node.data.kind === 'step' ? { ...node.data, tokens: tokens[node.id] } : node.data;
      const old = kept.get(node.id);
      if (
        old &&
        old.type === node.type &&
        old.position.x === position.x &&
        old.position.y === position.y &&
        old.height === node.height &&
        sameData(old.data as GraphNode['data'], data)
      )
        return old;
      return {
        id: node.id,
        type: node.type,
        data,
        position,
        width: node.width,
        height: node.height,
        draggable: false,
        connectable: false,
        selectable: node.type === 'step',
      };
    });
    previousNodes.current = new Map(next.map((node) => [node.id, node]));
    return next;
  }, [graph.nodes, positions, tokens]);
  const previousEdges = useRef(new Map<string, Edge>());
  const edges = useMemo(() => {
    const running = new Set(run?.steps.filter((s) => s.status === 'running').map((s) => s.id));
    const kept = previousEdges.current;
    const next = graph.edges.map((edge): Edge => {
      const animated = edge.kind === 'depends' && running.has(edge.target);
      const old = kept.get(edge.id);
      if (old && old.animated === animated && old.label === edge.label) return old;
      return {
        id: edge.id,
        source: edge.source,
        target: edge.target,
        ...(edge.label && { label: edge.label }),
        className: `edge-${edge.kind}`,
        animated,
        markerEnd: { type: MarkerType.ArrowClosed },
        ...(edge.kind !== 'depends' && { style: { strokeDasharray: '6 4' } }),
      };
    });
    previousEdges.current = new Map(next.map((edge) => [edge.id, edge]));
    return next;
  }, [graph.edges, run]);
  // Where bench:ui starts timing the graph: its first render, once the spec is known. The bench ends
  // the timing itself, at the first frame that shows every node, visible, with its status.
  const marked = useRef(false);
  if (!marked.current) {
    marked.current = true;
    performance.mark('run-graph:start');
  }
  // Fitted again when the shape or the box changes (a scrollbar, the step panel, a narrower window),
  // so the whole graph stays in view, its right edge included.
  const flow = useRef<ReactFlowInstance | null>(null);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    let frame = 0;
    const refit = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => void flow.current?.fitView(fitOptions));
    };
    const observer = new ResizeObserver(refit);
    observer.observe(element);
    refit();
    return () => {
      observer.disconnect();
      cancelAnimationFrame(frame);
    };
  }, [shape]);
  const mutation = useDecide();
  const { mutate, isPending, error } = mutation;
  const stepId = mutation.variables?.stepId;
  const decide = useMemo(
    () => ({ mutate, stepId, pending: isPending, error }),
    [mutate, stepId, isPending, error],
  );
  const context = useMemo(() => ({ selected, onSelect, decide }), [selected, onSelect, decide]);
  return (
    <Context.Provider value={context}>
      <div className="run-graph" data-testid="run-graph" data-node-count={nodes.length} ref={box}>
        <ReactFlow
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          onInit={(instance) => {
            flow.current = instance;
          }}
          fitView
          fitViewOptions={fitOptions}
          minZoom={0.05}
          aria-label={label ?? 'Graph of the run'}
          nodesDraggable={false}
          nodesConnectable={false}
          onNodeClick={(_event, node) => node.type === 'step' && onSelect(node.id)}
          proOptions={{ hideAttribution: true }}
        >
          <Background />
          <Controls showInteractive={false} />
        </ReactFlow>
      </div>
    </Context.Provider>
  );
}
