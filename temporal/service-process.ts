import { spawn, type ChildProcess } from 'node:child_process';
import { stopChild } from './dev-server';

/** A Temporal process Troupe started: the dev server, Temporal Server, or Temporal Web. */
export type ServiceProcess = { address: string; process: ChildProcess; stop: () => Promise<void> };

export type ServiceSpec = {
  /** For messages: "Temporal Server". */
  name: string;
  command: string;
  args: string[];
  /** The whole environment of the process: only what it needs, so no secret of Troupe's leaks into it. */
  env: NodeJS.ProcessEnv;
  address: string;
  /** Resolves once the service answers; rejects (or times out) otherwise. */
  ready: () => Promise<unknown>;
  /** Every output line, as the supervisor logs its parts. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
};

/**
 * Starts a service in its own process group (so Ctrl-C reaches the supervisor, which stops it after the
 * workers drain), and resolves once it is ready; rejects with its last output if it exits first.
 */
export async function startService(spec: ServiceSpec): Promise<ServiceProcess> {
  const child = spawn(spec.command, spec.args, {
    env: spec.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const output: string[] = [];
  const keep = (stream: 'stdout' | 'stderr') => {
    let pending = '';
    return (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        output.push(line);
        if (output.length > 40) output.shift();
        spec.onLine?.(line, stream);
      }
    };
  };
  child.stdout.on('data', keep('stdout'));
  child.stderr.on('data', keep('stderr'));
  const exited = new Promise<never>((_, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(
        new Error(
          `${spec.name} exited (${signal ?? `code ${code}`}) before it was ready:\n${output.join('\n').slice(-3000)}`,
        ),
      ),
    );
  });
  exited.catch(() => undefined);
  try {
    await Promise.race([spec.ready(), exited]);
  } catch (err) {
    await stopChild(child, 2_000);
    throw err;
  }
  return { address: spec.address, process: child, stop: () => stopChild(child) };
}
