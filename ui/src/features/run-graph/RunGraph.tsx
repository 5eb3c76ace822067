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
import { createContext, useContext, useEffect, useMemo, useRef } from 'react';
import { useDecide, useStepTokens } from '../../api/queries';
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

type GraphContext = { selected?: string | undefined; onSelect: (stepId: string) => void };
const Context = createContext<GraphContext>({ onSelect: () => undefined });

function StepNode({ data }: NodeProps<Node<StepNodeData>>) {
  const { selected, onSelect } = useContext(Context);
  const tokens = useStepTokens(data.runId, data.id);
  const decide = useDecide();
  return (
    <>
      <Handle type="target" position={Position.Top} isConnectable={false} />
      <StepCard
        data={data}
        tokens={tokens}
        selected={selected === data.id}
        onSelect={onSelect}
        deciding={decide.isPending}
        onDecide={({ approve, comment }) =>
          decide.mutate({ runId: data.runId, stepId: data.id, approve, comment })
        }
      />
      {decide.error && <ProblemAlert error={decide.error} title="The decision was not taken" />}
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </>
  );
}

function CompensationNode({ data }: NodeProps<Node<CompensationNodeData>>) {
  return (
    <>
      <Handle type="target" position={Position.Top} isConnectable={false} />
      <CompensationCard data={data} />
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </>
  );
}

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

/** The run as a live graph: nodes change as deltas patch the cached run; layout only when its shape does. */
export function RunGraph({ runId, steps, initialIds, run, selected, onSelect, label }: Props) {
  const graph = useMemo(() => buildGraph(runId, steps, run, initialIds), [runId, steps, run, initialIds]);
  const shape = shapeKey(graph.nodes, graph.edges);
  // Laid out again only when the shape changes, not on every status change.
  const positions = useMemo(() => layoutPositions(graph.nodes, graph.edges), [shape]);
  const nodes = useMemo(
    () =>
      graph.nodes.map((node: GraphNode): Node => ({
        id: node.id,
        type: node.type,
        data: node.data,
        position: positions.get(node.id) ?? { x: 0, y: 0 },
        width: node.width,
        height: node.height,
        draggable: false,
        connectable: false,
        selectable: node.type === 'step',
      })),
    [graph.nodes, positions],
  );
  const edges = useMemo(
    () =>
      graph.edges.map((edge): Edge => ({
        id: edge.id,
        source: edge.source,
        target: edge.target,
        ...(edge.label && { label: edge.label }),
        className: `edge-${edge.kind}`,
        animated:
          edge.kind === 'depends' && run?.steps.find((s) => s.id === edge.target)?.status === 'running',
        markerEnd: { type: MarkerType.ArrowClosed },
        ...(edge.kind !== 'depends' && { style: { strokeDasharray: '6 4' } }),
      })),
    [graph.edges, run],
  );
  // The time from this graph's first render to the frame that shows its nodes (bench:ui reads it).
  const firstRender = useRef(performance.now());
  const measured = useRef(false);
  useEffect(() => {
    if (measured.current || nodes.length === 0) return;
    measured.current = true;
    requestAnimationFrame(() =>
      setTimeout(() => {
        performance.measure('run-graph:render', { start: firstRender.current, end: performance.now() });
      }),
    );
  }, [nodes.length]);
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
  const context = useMemo(() => ({ selected, onSelect }), [selected, onSelect]);
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
