import type { Server } from 'node:http';
import type { Express } from 'express';

/** Starts listening, and turns "address in use" into an error that names the port and the setting. */
export function listen(app: Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('listening', () => resolve(server));
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(new Error(`port ${port} on ${host} is taken: stop what uses it, or set PORT to another port`));
      } else {
        reject(err);
      }
    });
  });
}
