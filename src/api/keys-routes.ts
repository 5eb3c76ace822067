import { Router } from 'express';
import { z } from 'zod';
import { ApiKeyRecord, Scope, type ApiKeyStore } from './api-keys';
import { HttpError } from './http-error';
import { parseRequest } from './request-parsing';

export const CreateKeyRequest = z.strictObject({
  name: z.string().min(1).max(100),
  scopes: z.array(z.enum(Scope)).min(1),
});
export const PublicKey = ApiKeyRecord.omit({ sha256: true });
export const CreatedKey = z.object({ key: z.string(), record: PublicKey });
export const KeyListResponse = z.object({ keys: z.array(PublicKey) });

const withoutHash = ({ sha256: _hash, ...rest }: ApiKeyRecord) => rest;

/** Key management for admins; a new key is shown once, in the create answer. */
export function keysRoutes({ keys }: { keys: ApiKeyStore }): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    res.json({ keys: (await keys.list()).map(withoutHash) });
  });
  router.post('/', async (req, res) => {
    const { name, scopes } = parseRequest(CreateKeyRequest, req.body ?? {});
    const { key, record } = await keys.create(name, scopes);
    res.status(201).json({ key, record: withoutHash(record) });
  });
  router.delete('/:id', async (req, res) => {
    if (!(await keys.remove(req.params.id)))
      throw new HttpError(404, { message: `no key with id "${req.params.id}"` });
    res.status(204).end();
  });
  return router;
}
