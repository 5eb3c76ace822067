import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router } from 'express';

/** Where `npm run setup` (vite build) puts the console. */
export const uiDist = join(import.meta.dirname, '..', '..', 'ui', 'dist');

/** Paths the console never answers, so a typo under them is the API's 404, not the app. */
const apiPrefixes = ['/api', '/socket.io', '/healthz', '/readyz', '/metrics'];

/**
 * Serves the built console at `/`: hashed assets cached for a year, and index.html for any other GET
 * that asks for HTML (the router's deep links), without shadowing the API's own paths.
 */
export function uiRoutes(dist = uiDist): Router {
  const router = Router();
  const index = join(dist, 'index.html');
  if (!existsSync(index)) {
    router.get('/', (_req, res) => {
      res
        .type('text/plain')
        .send('The Troupe console is not built: run `npm run setup` (or `npm run build:ui`), then reload.');
    });
    return router;
  }
  router.use(
    '/assets',
    express.static(join(dist, 'assets'), { immutable: true, maxAge: '1y', index: false }),
  );
  router.get(/.*/, (req, res, next) => {
    const reserved = apiPrefixes.some((prefix) => req.path === prefix || req.path.startsWith(`${prefix}/`));
    if (reserved || !req.accepts('html')) return next();
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  return router;
}
