import { hostname } from 'node:os';
import type { Worker } from '@temporalio/worker';
import { z } from 'zod';
import { asStatusStore, type StatusStore } from '../status-board';

/** The kinds of task a Worker holds slots for, named as Temporal's task queue types are. */
export const SlotKind = { Workflow: 'workflow', Activity: 'activity' } as const;
export type SlotKind = (typeof SlotKind)[keyof typeof SlotKind];

export const WorkerSlots = z.object({
  pool: z.string(),
  taskQueue: z.string(),
  kind: z.enum([SlotKind.Workflow, SlotKind.Activity]),
  used: z.int().min(0),
  /** The Worker's maximum; absent when a custom slot supplier decides it. */
  max: z.int().min(0).optional(),
});
export type WorkerSlots = z.infer<typeof WorkerSlots>;

export const WorkerSlotsFile = z.object({
  host: z.string(),
  pid: z.int(),
  updatedAt: z.string(),
  slots: z.array(WorkerSlots),
});
export type WorkerSlotsFile = z.infer<typeof WorkerSlotsFile>;

/** How often a worker process rewrites its file, and how old a file may get before the API ignores it. */
export const PUBLISH_EVERY_MS = 1000;
export const STALE_AFTER_MS = 15_000;

type SlotSupplier = Worker['options']['tuner']['activityTaskSlotSupplier'];
const maxOf = (supplier: SlotSupplier): number | undefined =>
  supplier.type === 'fixed-size'
    ? supplier.numSlots
    : supplier.type === 'resource-based'
      ? supplier.maximumSlots
      : undefined;

/**
 * Pure: a Worker's slots now, from its status and resolved options. In-flight workflow activations
 * stand for used workflow-task slots (each holds one). Local activities are left out: Troupe's
 * workflows run none.
 */
export function slotsOf(pool: string, worker: Pick<Worker, 'options' | 'getStatus'>): WorkerSlots[] {
  const { options } = worker;
  const status = worker.getStatus();
  const slot = (kind: SlotKind, used: number, supplier: SlotSupplier): WorkerSlots => {
    const max = maxOf(supplier);
    return { pool, taskQueue: options.taskQueue, kind, used, ...(max !== undefined && { max }) };
  };
  return [
    ...(options.workflowBundle || options.workflowsPath
      ? [
          slot(
            SlotKind.Workflow,
            status.numInFlightWorkflowActivations,
            options.tuner.workflowTaskSlotSupplier,
          ),
        ]
      : []),
    ...(options.enableNonLocalActivities
      ? [
          slot(
            SlotKind.Activity,
            status.numInFlightNonLocalActivities,
            options.tuner.activityTaskSlotSupplier,
          ),
        ]
      : []),
  ];
}

let publishers = 0;

/**
 * Worker slots live in the worker processes; the API, which serves /metrics, runs elsewhere. So each
 * process rewrites its entry `<host>-<pid>-<n>` (a file in `dir`, or a Redis key) every second with
 * its Workers' slots (n tells apart several sets of workers in one process, as tests make), and
 * deletes it on `stop()`.
 */
export function publishWorkerSlots(
  where: string | StatusStore,
  served: { pool: string; taskQueues: string[] }[],
  workers: Pick<Worker, 'options' | 'getStatus'>[],
): { stop(): Promise<void> } {
  const self = { host: hostname(), pid: process.pid };
  const writer = asStatusStore(where).writer<WorkerSlotsFile>('workers', self, `-${++publishers}`);
  const pooled = workers.flatMap((worker) => {
    const pool = served.find(({ taskQueues }) => taskQueues.includes(worker.options.taskQueue))?.pool;
    return pool === undefined ? [] : [{ pool, worker }];
  });
  const publish = () =>
    writer.write({
      ...self,
      updatedAt: new Date().toISOString(),
      slots: pooled.flatMap(({ pool, worker }) => slotsOf(pool, worker)),
    });
  void publish();
  const timer = setInterval(() => void publish(), PUBLISH_EVERY_MS);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      return writer.remove();
    },
  };
}

/** Slots summed over the live worker processes, with how many processes serve each pool. */
export type SlotTotals = {
  slots: { pool: string; taskQueue: string; kind: SlotKind; used: number; available: number | undefined }[];
  processes: Record<string, number>;
  /** Each live worker process: where it runs, the pools it serves and when it last published. */
  hosts: WorkerProcess[];
  /** Why the store could not be read, when it could not: the totals are then what is known (nothing). */
  error?: string;
};

export type WorkerProcess = { host: string; pid: number; pools: string[]; lastSeen: string };

/** Merges the entries of live worker processes; corrupt, stale and dead processes' entries are skipped. */
export async function readWorkerSlots(where: string | StatusStore, now = Date.now()): Promise<SlotTotals> {
  const read = await asStatusStore(where).read(WorkerSlotsFile, { maxAgeMs: STALE_AFTER_MS, now });
  const files = read.live;
  const hosts = new Map<string, WorkerProcess>();
  for (const file of files) {
    const id = `${file.host}/${file.pid}`;
    const into = hosts.get(id) ?? { host: file.host, pid: file.pid, pools: [], lastSeen: file.updatedAt };
    into.pools = [...new Set([...into.pools, ...file.slots.map(({ pool }) => pool)])].sort();
    if (file.updatedAt > into.lastSeen) into.lastSeen = file.updatedAt;
    hosts.set(id, into);
  }
  const slots = new Map<string, SlotTotals['slots'][number]>();
  const processes = new Map<string, Set<string>>();
  for (const file of files) {
    for (const { pool, taskQueue, kind, used, max } of file.slots) {
      const key = JSON.stringify([pool, taskQueue, kind]);
      const into = slots.get(key) ?? { pool, taskQueue, kind, used: 0, available: undefined };
      into.used += used;
      if (max !== undefined) into.available = (into.available ?? 0) + Math.max(max - used, 0);
      slots.set(key, into);
      processes.set(pool, (processes.get(pool) ?? new Set()).add(`${file.host}/${file.pid}`));
    }
  }
  return {
    slots: [...slots.values()],
    processes: Object.fromEntries([...processes].map(([pool, ids]) => [pool, ids.size])),
    hosts: [...hosts.values()].sort((a, b) => a.host.localeCompare(b.host) || a.pid - b.pid),
    ...(read.error !== undefined && { error: read.error }),
  };
}
