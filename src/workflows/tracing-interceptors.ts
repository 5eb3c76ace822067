/**
 * The workflow side of Troupe's tracing: every worker bundles these interceptors, with tracing on or
 * off, so that the same code replays the same histories either way. A run's span joins the trace of
 * the request that started it (its headers carry the context), and each activity it schedules is a
 * child span. The spans leave the sandbox through the `exporter` sink (src/observability/tracing.ts).
 *
 * Two changes to the library's interceptors keep runs recorded before tracing replaying:
 * - span ids come from the run's id and a counter, not from Math.random, which in a workflow is the
 *   run's seeded generator: drawing from it would change every later uuid4(), such as a chat plan's
 *   child workflow id;
 * - updates run untraced: the library's update span awaits around the handler, which moves the
 *   update's answer after the commands its handler issued.
 */
// First: gives the sandbox the `performance` the OTel SDK reads when it loads.
import '@temporalio/interceptors-opentelemetry/lib/workflow/runtime';
import type { Tracer } from '@opentelemetry/api';
import { BasicTracerProvider, type IdGenerator, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import { SpanExporter } from '@temporalio/interceptors-opentelemetry/lib/workflow/span-exporter';
import {
  workflowInfo,
  type Next,
  type UpdateInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptors,
} from '@temporalio/workflow';

/** 32 bits of FNV-1a over `text`, as 8 hex digits. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/** Ids from the run's id and a counter: unique per span, and no draw from the run's random. */
class RunIdGenerator implements IdGenerator {
  private count = 0;

  private next(words: number): string {
    const seed = `${workflowInfo().runId}:${this.count++}`;
    return Array.from({ length: words }, (_, word) => fnv1a(`${word}:${seed}`)).join('');
  }

  generateTraceId(): string {
    return this.next(4);
  }

  generateSpanId(): string {
    return this.next(2);
  }
}

let tracer: Tracer | undefined;

function runTracer(): Tracer {
  tracer ??= new BasicTracerProvider({
    idGenerator: new RunIdGenerator(),
    spanProcessors: [new SimpleSpanProcessor(new SpanExporter())],
  }).getTracer('troupe-workflow');
  return tracer;
}

class RunInboundTracing extends OpenTelemetryInboundInterceptor {
  protected override readonly tracer = runTracer();

  override handleUpdate(
    input: UpdateInput,
    next: Next<WorkflowInboundCallsInterceptor, 'handleUpdate'>,
  ): Promise<unknown> {
    return next(input);
  }

  override validateUpdate(
    input: UpdateInput,
    next: Next<WorkflowInboundCallsInterceptor, 'validateUpdate'>,
  ): void {
    next(input);
  }
}

class RunOutboundTracing extends OpenTelemetryOutboundInterceptor {
  protected override readonly tracer = runTracer();
}

export const interceptors = (): WorkflowInterceptors => ({
  inbound: [new RunInboundTracing()],
  outbound: [new RunOutboundTracing()],
  internals: [new OpenTelemetryInternalsInterceptor()],
});
