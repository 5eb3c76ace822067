import express, { Router } from 'express';
import { z } from 'zod';
import { InputField, inputFields } from '../engine/spec-inputs';
import { HttpError } from './http-error';
import { parseRequest } from './request-parsing';
import { SpecName, SpecStore, type SavedSpec } from './spec-store';

export const SpecSource = z.union([z.string(), z.record(z.string(), z.unknown())], {
  error: 'spec must be a spec object or YAML/JSON text',
});
export const SaveSpecRequest = z.strictObject({ spec: SpecSource });
export type SaveSpecRequest = z.infer<typeof SaveSpecRequest>;
/** The inputs a spec takes, in its order, each with `required` spelled out: what a form renders. */
export const SpecInputsField = z
  .array(InputField)
  .describe("The spec's declared inputs (empty when it declares none, and then takes any input)");
export const SavedSpecResponse = z.object({
  name: z.string(),
  spec: z.record(z.string(), z.unknown()),
  inputs: SpecInputsField,
  updatedAt: z.iso.datetime(),
});
export const SpecListResponse = z.object({
  specs: z.array(
    z.object({ name: z.string(), description: z.string().optional(), updatedAt: z.iso.datetime() }),
  ),
});
export const ValidateSpecResponse = z.object({
  valid: z.literal(true),
  name: z.string(),
  inputs: SpecInputsField,
});
export const SpecNameParams = z.object({ name: SpecName });

const yamlBody = express.text({
  type: ['application/yaml', 'text/yaml', 'application/x-yaml', 'text/plain'],
  limit: '1mb',
});

const toResponse = (saved: SavedSpec) => ({
  name: saved.name,
  spec: saved.spec,
  inputs: inputFields(saved.spec.inputs),
  updatedAt: saved.updatedAt,
});

/** The saved spec library: runs and schedules start from these by name. */
export function specsRoutes({ store }: { store: SpecStore }): Router {
  const router = Router();

  router.get('/', async (_req, res) => {
    const specs = await store.list();
    res.json({
      specs: specs.map((saved) => ({
        name: saved.name,
        ...(saved.spec.description && { description: saved.spec.description }),
        updatedAt: saved.updatedAt,
      })),
    });
  });

  router.post('/validate', (req, res) => {
    const { spec } = parseRequest(SaveSpecRequest, req.body ?? {});
    const { spec: valid } = SpecStore.validate(spec);
    res.json({ valid: true, name: valid.name, inputs: inputFields(valid.inputs) });
  });

  router.post('/', async (req, res) => {
    const { spec: source } = parseRequest(SaveSpecRequest, req.body ?? {});
    const { spec, yaml } = SpecStore.validate(source);
    if (await store.find(spec.name)) {
      throw new HttpError(409, {
        message: `a spec named "${spec.name}" exists; update it with PUT /api/specs/${spec.name}`,
      });
    }
    const saved = await store.save(spec.name, yaml);
    res.status(201).location(`${req.baseUrl}/${saved.name}`).json(toResponse(saved));
  });

  router.post('/import', yamlBody, async (req, res) => {
    if (typeof req.body !== 'string' || !req.body.trim()) {
      throw new HttpError(415, { message: 'send the spec as YAML text with Content-Type: application/yaml' });
    }
    const { spec, yaml } = SpecStore.validate(req.body);
    const existed = await store.find(spec.name);
    const saved = await store.save(spec.name, yaml);
    res.status(existed ? 200 : 201).json(toResponse(saved));
  });

  router.get('/:name', async (req, res) => {
    const { name } = parseRequest(SpecNameParams, req.params, 'params');
    res.json(toResponse(await store.get(name)));
  });

  router.get('/:name/export', async (req, res) => {
    const { name } = parseRequest(SpecNameParams, req.params, 'params');
    const saved = await store.get(name);
    res.attachment(`${name}.yaml`).type('application/yaml').send(saved.yaml);
  });

  router.put('/:name', async (req, res) => {
    const { name } = parseRequest(SpecNameParams, req.params, 'params');
    const { spec: source } = parseRequest(SaveSpecRequest, req.body ?? {});
    const { spec, yaml } = SpecStore.validate(source);
    if (spec.name !== name) {
      throw new HttpError(400, {
        message: `the spec is named "${spec.name}" but the URL names "${name}"; they must match`,
        errors: [{ path: 'spec.name', message: `must be "${name}"` }],
      });
    }
    await store.get(name);
    res.json(toResponse(await store.save(name, yaml)));
  });

  router.delete('/:name', async (req, res) => {
    const { name } = parseRequest(SpecNameParams, req.params, 'params');
    await store.remove(name);
    res.status(204).end();
  });

  return router;
}
