import { createServer } from 'node:net';

/** Fails with a message naming the port and the setting that moves it, instead of a bare EADDRINUSE later. */
export function assertPortFree(port: number, host: string, setting: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(
              `port ${port} on ${host} is taken: stop what uses it, or choose another with ${setting}`,
            )
          : err,
      ),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}
