/**
 * The libraries Troupe's workers load once into the V8 context that all runs share, rather than once
 * per run (src/workers/workflow-bundle.ts says why). Each one keeps no state of a run. These libraries
 * tell the bundler they have no side effects, so a bare preload of them would be dropped: naming what
 * the workflows use of each keeps it loaded.
 */
import { Environment } from '@marcbachmann/cel-js';
import * as semanticConventions from '@opentelemetry/semantic-conventions';
import { parseDocument } from 'yaml';
import { z } from 'zod';

/**
 * The worker freezes what it preloads. zod and CEL settle some of their defaults on first use (zod its
 * locale and memoizer, on the first schema it builds): using each once here settles them before that.
 */
function settleDefaults(): void {
  z.object({ text: z.string() }).safeParse({ text: 1 });
  new Environment().evaluate('size([1]) + 1');
  parseDocument('a: 1');
}
settleDefaults();

export const sharedLibraries = [z, Environment, parseDocument, semanticConventions];
