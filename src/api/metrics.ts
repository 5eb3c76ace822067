import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Config } from '../config';
import { RunStatus } from '../engine/run-snapshot';
import { StoreCostLedger } from '../models/cost-ledger';
import { storeOf } from '../store/store';
import { restartCounts } from '../supervisor/supervisor-status';
import { StatusKind, statusStore } from '../status-board';
import { readWorkerSlots, type SlotTotals } from '../workers/worker-slots';
import { sumBy } from './analytics-routes';
import { evaluations } from '../learning/evaluations';
import { outcomeStoreFor } from './evaluations-routes';
import type { RpcCount } from './rpc-count';
import { visibilityQuery } from './run-list';

export type ApiMetrics = {
  registry: Registry;
  /** Times every request by method, route pattern and status. */
  timeRequests: RequestHandler;
  /** Counts a step status change the live-update watcher saw. */
  stepChanged: (status: string) => void;
  socketClients: Gauge;
  /** Counts a regression alert this process sent to the UI's clients. */
  alertSent: (metric: string) => void;
};

/**
 * Prometheus metrics on a registry of this app's own (not the global one, so tests can build several
 * apps). Run counts, model spend and worker slots are read at scrape time from Temporal, the cost
 * ledger and the workers' status store.
 */
export function createMetrics({
  client,
  config,
  rpcs,
}: {
  client: Client;
  config: Config;
  /** The count of the API's Temporal calls, when its connection keeps one. */
  rpcs?: RpcCount;
}): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  if (rpcs) registry.registerMetric(rpcs.counter);
  const latency = new Histogram({
    name: 'troupe_http_request_duration_seconds',
    help: 'API request latency',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const steps = new Counter({
    name: 'troupe_step_status_changes_total',
    help: 'Step status changes seen by the live-update watcher (runs someone watches)',
    labelNames: ['status'],
    registers: [registry],
  });
  const socketClients = new Gauge({
    name: 'troupe_socket_clients',
    help: 'Connected Socket.IO clients',
    registers: [registry],
  });
  const alerts = new Counter({
    name: 'troupe_regression_alerts_total',
    help: 'Regression alerts sent to Socket.IO clients by this API process (one process sends each)',
    labelNames: ['metric'],
    registers: [registry],
  });
  new Gauge({
    name: 'troupe_run_regressions',
    help: 'Runs more than 10% worse than their spec baseline in score, cost or duration (outcome records)',
    labelNames: ['metric'],
    registers: [registry],
    async collect() {
      const runs = evaluations(await outcomeStoreFor(config).list()).runs;
      for (const metric of ['score', 'costUsd', 'durationMs']) {
        this.set({ metric }, runs.filter((r) => r.regressions.some((x) => x.metric === metric)).length);
      }
    },
  });
  new Gauge({
    name: 'troupe_runs',
    help: 'Troupe runs by status (Temporal visibility)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      await Promise.all(
        Object.values(RunStatus).map(async (status) => {
          const { count } = await client.workflowService.countWorkflowExecutions({
            namespace: config.TEMPORAL_NAMESPACE,
            query: visibilityQuery({ status }),
          });
          this.set({ status }, Number(count ?? 0));
        }),
      ).catch(() => undefined);
    },
  });
  // A default import: Node's ESM loader cannot see this CommonJS package's named exports.
  const { TaskQueueKind, TaskQueueType } = proto.temporal.api.enums.v1;
  const queueTypes = {
    workflow: TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    activity: TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  };
  new Gauge({
    name: 'troupe_task_queue_pollers',
    help: "Worker pollers on Troupe's task queue (Temporal DescribeTaskQueue); slots are in troupe_worker_slots",
    labelNames: ['type'],
    registers: [registry],
    async collect() {
      await Promise.all(
        Object.entries(queueTypes).map(async ([type, taskQueueType]) => {
          const response = await client.workflowService.describeTaskQueue({
            namespace: config.TEMPORAL_NAMESPACE,
            taskQueue: { name: config.TROUPE_TASK_QUEUE, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
            taskQueueType,
          });
          this.set({ type }, response.pollers.length);
        }),
      ).catch(() => undefined);
    },
  });
  const slotsStore = statusStore(StatusKind.Workers, config);
  let slotTotals: Promise<SlotTotals> | undefined;
  const bySlots = () =>
    (slotTotals ??= readWorkerSlots(slotsStore).finally(() =>
      setTimeout(() => (slotTotals = undefined), 250),
    ));
  new Gauge({
    name: 'troupe_status_store_up',
    help: 'Whether the status store the workers publish to (Redis with REDIS_URL, else the data dir) could be read',
    labelNames: ['store'],
    registers: [registry],
    async collect() {
      this.set({ store: slotsStore.backend }, (await bySlots()).error === undefined ? 1 : 0);
    },
  });
  new Gauge({
    name: 'troupe_worker_slots',
    help: "Task slots of the live worker processes' Temporal Workers, summed (from the status store)",
    labelNames: ['pool', 'task_queue', 'kind', 'state'],
    registers: [registry],
    async collect() {
      const { slots } = await bySlots();
      this.reset();
      for (const { pool, taskQueue: task_queue, kind, used, available } of slots) {
        this.set({ pool, task_queue, kind, state: 'used' }, used);
        if (available !== undefined) this.set({ pool, task_queue, kind, state: 'available' }, available);
      }
    },
  });
  new Gauge({
    name: 'troupe_worker_processes',
    help: 'Live worker processes serving each pool (from the status store: Redis with REDIS_URL, else files)',
    labelNames: ['pool'],
    registers: [registry],
    async collect() {
      const { processes } = await bySlots();
      this.reset();
      for (const [pool, count] of Object.entries(processes)) this.set({ pool }, count);
    },
  });
  new Gauge({
    name: 'troupe_process_restarts',
    help: "Times npm start's supervisor restarted each part (worker:<pool>, api, temporal) since it started",
    labelNames: ['part'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const [part, restarts] of Object.entries(await restartCounts(config.TROUPE_DATA_DIR)))
        this.set({ part }, restarts);
    },
  });
  const ledger = new StoreCostLedger(storeOf(config));
  let spend: Promise<ReturnType<typeof sumBy>> | undefined;
  const bySpend = () =>
    (spend ??= ledger
      .entries()
      .then((entries) => sumBy(entries, (entry) => entry.modelId))
      .finally(() => setTimeout(() => (spend = undefined), 1000)));
  new Gauge({
    name: 'troupe_model_tokens',
    help: 'Model tokens recorded in the cost ledger',
    labelNames: ['model', 'direction'],
    registers: [registry],
    async collect() {
      for (const [model, sum] of await bySpend()) {
        this.set({ model, direction: 'input' }, sum.inputTokens);
        this.set({ model, direction: 'output' }, sum.outputTokens);
      }
    },
  });
  new Gauge({
    name: 'troupe_model_cost_usd',
    help: 'Model spend recorded in the cost ledger, USD',
    labelNames: ['model'],
    registers: [registry],
    async collect() {
      for (const [model, sum] of await bySpend()) this.set({ model }, sum.usd);
    },
  });
  return {
    registry,
    socketClients,
    stepChanged: (status) => steps.inc({ status }),
    alertSent: (metric) => alerts.inc({ metric }),
    timeRequests: (req, res, next) => {
      const end = latency.startTimer();
      res.once('finish', () => {
        const route = (req.route as { path?: string } | undefined)?.path;
        end({
          method: req.method,
          route: route ? `${req.baseUrl}${route}` : 'unmatched',
          status: res.statusCode,
        });
      });
      next();
    },
  };
}
