import { fileURLToPath } from 'node:url';

/**
 * How Troupe's workflows are bundled: by its workers, by the tests and by the benchmarks alike.
 *
 * Workflows load their modules afresh for every run. The libraries in
 * src/workflows/shared-libraries.ts (zod, CEL, yaml and OpenTelemetry's semantic conventions) are
 * loaded once per worker instead, into the V8 context the runs share (the SDK's `preloadModules`):
 * they hold no state of a run, and building their classes and function tables again for each run cost
 * every run milliseconds of CPU (docs/engine.md, "Where the time goes"). Troupe's own modules, which
 * hold a run's state or schemas built on first use (src/engine/lazy-schema.ts), still load per run, as
 * do the OpenTelemetry interceptors, which keep a tracer per run.
 */
export const workflowBundlerOptions = {
  preloadModules: [fileURLToPath(new URL('../workflows/shared-libraries.ts', import.meta.url))],
};
