import type { ConnectionOptions } from '@temporalio/client';
import { Counter } from 'prom-client';

type Interceptor = NonNullable<ConnectionOptions['interceptors']>[number];

export type RpcCount = {
  /** `troupe_temporal_rpcs_total{method}`, registered with the API's metrics. */
  counter: Counter<'method'>;
  /** A gRPC interceptor of the API's Temporal connection that counts each call it sends. */
  interceptor: Interceptor;
  /** The calls so far, of the methods named (all without). */
  total: (methods?: string[]) => Promise<number>;
};

/**
 * Counts the Temporal calls the API makes, by method (the part of the gRPC path after the last `/`),
 * so /metrics shows what watching runs costs Temporal, and the benchmark and tests can count it.
 * Placed after the retry interceptor, it counts every attempt that reaches the wire.
 */
export function createRpcCount(): RpcCount {
  const counter = new Counter({
    name: 'troupe_temporal_rpcs_total',
    help: 'Temporal calls the API made (each attempt), by method',
    labelNames: ['method'],
    registers: [],
  });
  return {
    counter,
    interceptor: (options, nextCall) => {
      counter.inc({ method: options.method_definition.path.split('/').pop() ?? 'unknown' });
      // The next interceptor's call serves as this one's: grpc-js only uses its call interface.
      return nextCall(options) as ReturnType<Interceptor>;
    },
    total: async (methods) => {
      const { values } = await counter.get();
      return values
        .filter(({ labels }) => !methods || methods.includes(String(labels.method)))
        .reduce((sum, { value }) => sum + value, 0);
    },
  };
}
