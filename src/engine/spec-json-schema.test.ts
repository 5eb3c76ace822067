import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { specJsonSchema } from './spec-json-schema';

it('keeps schemas/spec.schema.json equal to the zod schema (run `npm run schemas` after changing it)', async () => {
  const committed = await readFile(new URL('../../schemas/spec.schema.json', import.meta.url), 'utf8');
  expect(committed).toBe(specJsonSchema());
});

it('describes every step kind and the run-level settings', () => {
  const text = specJsonSchema();
  for (const word of [
    '"approval"',
    '"wait"',
    '"subworkflow"',
    '"shell"',
    '"noop"',
    '"maxParallel"',
    '"priority"',
    '"compensate"',
    '"foreach"',
  ]) {
    expect(text).toContain(word);
  }
});
