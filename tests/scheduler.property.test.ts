import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooser, dagArbitrary, describeDag, engineRun } from './scheduler-dags';
import { referenceRun } from './scheduler-reference';

const seed = 20261201;

describe('the scheduler, against the reference written from docs/engine.md', () => {
  it('ends every random DAG with the status the reference gives each step', () => {
    fc.assert(
      fc.property(dagArbitrary(), fc.array(fc.nat(), { maxLength: 30 }), (dag, choices) => {
        const engine = engineRun(dag, chooser(choices));
        const reference = referenceRun(dag, chooser(choices));
        if (JSON.stringify(engine) !== JSON.stringify(reference)) {
          throw new Error(
            `the engine and the reference disagree on this DAG (choices ${JSON.stringify(choices)}):\n` +
              `${describeDag(dag)}\nengine:    ${JSON.stringify(engine)}\nreference: ${JSON.stringify(reference)}`,
          );
        }
        expect(['completed', 'failed']).toContain(engine.status);
        expect(Object.values(engine.steps).filter((s) => s === 'pending' || s === 'running')).toEqual([]);
      }),
      { seed, numRuns: 1500 },
    );
  });
});
