import type { Client } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import type { Config } from '../config';
import { StepStatus } from '../engine/run-snapshot';
import { listRuns } from './run-list';
import { readRun } from './run-reader';
import { readRunSpec } from './run-spec';

export const ApprovalEntry = z.object({
  runId: z.string(),
  runName: z.string(),
  stepId: z.string(),
  message: z.string().optional(),
  deadline: z.iso.datetime().optional(),
  /** What happens when nobody decides before the deadline. */
  default: z.enum(['approve', 'reject']),
  waitingSince: z.iso.datetime().optional(),
});
export type ApprovalEntry = z.infer<typeof ApprovalEntry>;
export const ApprovalsResponse = z.object({ approvals: z.array(ApprovalEntry) });
export type ApprovalsResponse = z.infer<typeof ApprovalsResponse>;

const MAX_RUNS = 200;

/**
 * Every step waiting for a person, across runs: the inbox. Runs waiting on an approval carry the
 * `waiting` status, so one list query finds them; each is then read for its waiting steps.
 */
export function approvalsRoutes({ client, config }: { client: Client; config: Config }): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    const { runs } = await listRuns(client, config.TEMPORAL_NAMESPACE, {
      status: 'waiting',
      limit: MAX_RUNS,
    });
    const perRun = await Promise.all(
      runs.map(async ({ runId }) => {
        try {
          const [run, { spec }] = await Promise.all([
            readRun(client, runId),
            readRunSpec(client, config, runId),
          ]);
          return run.steps
            .filter((step) => step.status === StepStatus.Waiting && step.kind === 'approval')
            .map((step): ApprovalEntry => {
              const declared = spec.steps.find((candidate) => candidate.id === step.id);
              const fallback = declared?.kind === 'approval' ? declared.with.default : 'reject';
              return {
                runId,
                runName: run.name,
                stepId: step.id,
                ...(step.message && { message: step.message }),
                ...(step.deadline && { deadline: step.deadline }),
                default: fallback,
                ...(step.startedAt && { waitingSince: step.startedAt }),
              };
            });
        } catch {
          return []; // closed or unreadable since it was listed: not waiting for anyone now
        }
      }),
    );
    res.json({ approvals: perRun.flat() } satisfies ApprovalsResponse);
  });
  return router;
}
