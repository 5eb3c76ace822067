/**
 * OpenTelemetry tracing for Troupe's processes. With OTEL_EXPORTER_OTLP_ENDPOINT set, each process
 * exports its spans by OTLP/HTTP: the API's request spans, the client's StartWorkflow spans, the
 * workflow's own spans (sent out of the sandbox through a sink), each activity's span and each model
 * call's span, all in the trace of the request that started the run. Without it, nothing is exported
 * and the interceptors still run, so a worker replays the same histories with tracing on or off.
 */
import { fileURLToPath } from 'node:url';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import type { RequestHandler } from 'express';
import { logger } from './logger';

/** The workflow interceptors every bundle of Troupe's workflows includes (see the module). */
export const workflowInterceptorModules = [
  fileURLToPath(new URL('../workflows/tracing-interceptors.ts', import.meta.url)),
];

const TRACER = 'troupe';

export type Tracing = {
  /** Whether spans leave the process (OTEL_EXPORTER_OTLP_ENDPOINT is set). */
  enabled: boolean;
  resource: Resource;
  spanProcessor: SpanProcessor;
  /** Sends what is buffered, then stops; call before the process exits. */
  shutdown(): Promise<void>;
};

let current: Tracing | undefined;

function untraced(resource: Resource): Tracing {
  return {
    enabled: false,
    resource,
    spanProcessor: new NoopSpanProcessor(),
    shutdown: () => Promise.resolve(),
  };
}

/** The process's tracing if startTracing ran, else tracing that exports nothing. */
export function currentTracing(): Tracing {
  return current ?? untraced(new Resource({ 'service.name': 'troupe' }));
}

/**
 * Starts this process's tracing once, as `service` (troupe-api, troupe-worker): a tracer provider
 * registered globally, with the W3C trace-context propagator, exporting through a batch processor to
 * the OTLP endpoint the standard OTEL_* variables name. Later calls answer the same tracing.
 */
export function startTracing(service: string, env: NodeJS.ProcessEnv = process.env): Tracing {
  if (current) return current;
  const resource = new Resource({ 'service.name': env.OTEL_SERVICE_NAME ?? service });
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
    current = untraced(resource);
    return current;
  }
  // The exporter reads the endpoint and headers from the OTEL_* variables itself, so a collector's
  // token (OTEL_EXPORTER_OTLP_HEADERS) stays out of Troupe's config, logs and errors.
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter(), { scheduledDelayMillis: 1000 });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  current = { enabled: true, resource, spanProcessor, shutdown: () => provider.shutdown() };
  return current;
}

/** The interceptors and sink a Troupe worker runs with, whether tracing exports or not. */
export function tracingWorkerOptions(
  tracing: Tracing,
): Required<Pick<WorkerOptions, 'sinks'>> & { interceptors: NonNullable<WorkerOptions['interceptors']> } {
  return {
    interceptors: {
      workflowModules: workflowInterceptorModules,
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
    sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) },
  };
}

/**
 * The client interceptor that puts the caller's trace context into the workflow's start headers; none
 * when spans are not exported, where it would only add an empty context to each start (a workflow
 * started without it, as a schedule starts one, simply has no parent span).
 */
export function tracingClientInterceptors(tracing = currentTracing()): {
  workflow: WorkflowClientInterceptor[];
} {
  return { workflow: tracing.enabled ? [new OpenTelemetryWorkflowClientInterceptor()] : [] };
}

/**
 * A server span per HTTP request, named by method and route path, continuing the caller's trace
 * (`traceparent`) when it sends one. Everything the request does, starting a run included, happens
 * in its context, so the run's spans are its children.
 */
export function traceRequests(tracing = currentTracing()): RequestHandler {
  // Untraced, a span per request would be made and dropped on every call: a cost for nothing.
  if (!tracing.enabled) return (_req, _res, next) => next();
  const tracer = trace.getTracer(TRACER);
  return (req, res, next) => {
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer.startSpan(
      `${req.method} ${req.path}`,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': req.method, 'url.path': req.path },
      },
      parent,
    );
    res.once('finish', () => {
      // The route pattern, not the path: ids stay out of the span's name.
      const route = (req.route as { path?: string } | undefined)?.path;
      if (route) span.updateName(`${req.method} ${`${req.baseUrl}${route}`.replace(/(.)\/$/, '$1')}`);
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    const active = trace.setSpan(parent, span);
    // Body parsers read the request in its stream's callbacks, which run outside this request's
    // context unless the request and response emitters are bound to it.
    context.bind(active, req);
    context.bind(active, res);
    context.with(active, next);
  };
}

/**
 * Runs one model call in a span of its own (inside the activity's span), with the run, step, agent,
 * provider and model as attributes and the tokens it used once it answers; and logs a line for it
 * with the same fields, its latency and outcome.
 */
export async function withModelSpan<T extends { usage?: { inputTokens: number; outputTokens: number } }>(
  attributes: { runId: string; stepId: string; agent?: string; modelId: string; provider: string },
  call: () => Promise<T>,
): Promise<T> {
  const { runId, stepId, agent, modelId, provider } = attributes;
  const line = logger().child({ runId, stepId, ...(agent && { agent }), model: modelId, provider });
  const started = Date.now();
  return trace.getTracer(TRACER).startActiveSpan(
    `model ${modelId}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'troupe.run_id': runId,
        'troupe.step_id': stepId,
        ...(agent && { 'troupe.agent': agent }),
        'gen_ai.system': provider,
        'gen_ai.request.model': modelId,
      },
    },
    async (span: Span) => {
      try {
        const result = await call();
        if (result.usage) {
          span.setAttribute('gen_ai.usage.input_tokens', result.usage.inputTokens);
          span.setAttribute('gen_ai.usage.output_tokens', result.usage.outputTokens);
        }
        line.info({ latencyMs: Date.now() - started, ...result.usage }, `model ${modelId} answered`);
        return result;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        span.setStatus({ code: SpanStatusCode.ERROR, message });
        line.warn({ latencyMs: Date.now() - started, error: message }, `model ${modelId} failed`);
        throw err;
      } finally {
        span.end();
      }
    },
  );
}
