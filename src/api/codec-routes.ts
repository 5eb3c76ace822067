import type { Payload, PayloadCodec } from '@temporalio/common';
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { HttpError } from './http-error';
import { parseRequest } from './request-parsing';

const Base64 = z.base64();
/** Payloads as Temporal's remote codec protocol sends them: proto3 JSON, bytes in base64. */
export const CodecRequest = z.object({
  payloads: z
    .array(z.object({ metadata: z.record(z.string(), Base64).optional(), data: Base64.optional() }))
    .max(10_000),
});
export type CodecRequest = z.infer<typeof CodecRequest>;

const fromJson = ({ metadata, data }: CodecRequest['payloads'][number]): Payload => ({
  metadata: Object.fromEntries(
    Object.entries(metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]),
  ),
  data: Buffer.from(data ?? '', 'base64'),
});
const toJson = ({ metadata, data }: Payload) => ({
  metadata: Object.fromEntries(
    Object.entries(metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
  ),
  data: Buffer.from(data ?? []).toString('base64'),
});

/**
 * The remote codec endpoint Temporal Web and `temporal --codec-endpoint` call to show payloads in
 * clear: POST /decode and /encode. Only for callers with a key (a browser's session cookie counts):
 * Temporal Web access alone shows nothing but ciphertext. Temporal Web runs on its own origin, so
 * the answer allows that origin, with credentials.
 */
export function codecRoutes({
  codecs,
  origins,
  read,
  run,
}: {
  /** The client's codecs, in the order they encode. */
  codecs: readonly PayloadCodec[];
  /** Temporal Web's origins. */
  origins: readonly string[];
  read: RequestHandler;
  run: RequestHandler;
}): Router {
  const router = Router();
  router.use((req, res, next) => {
    const origin = req.headers.origin;
    if (origin && origins.includes(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Vary', 'Origin');
      if (req.method === 'OPTIONS') {
        res.setHeader('Access-Control-Allow-Methods', 'POST');
        res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Namespace');
        res.setHeader('Access-Control-Max-Age', '600');
        res.status(204).end();
        return;
      }
    }
    next();
  });
  const transform =
    (direction: 'encode' | 'decode') =>
    async (req: Parameters<RequestHandler>[0], res: Parameters<RequestHandler>[1]) => {
      const { payloads } = parseRequest(CodecRequest, req.body ?? {}, 'body');
      let current = payloads.map(fromJson);
      const ordered = direction === 'encode' ? codecs : [...codecs].reverse();
      try {
        for (const codec of ordered) current = await codec[direction](current);
      } catch (err) {
        throw new HttpError(422, {
          message: `cannot ${direction} the payloads: ${err instanceof Error ? err.message : String(err)}`,
        });
      }
      res.json({ payloads: current.map(toJson) });
    };
  router.post('/decode', read, transform('decode'));
  router.post('/encode', run, transform('encode'));
  return router;
}
