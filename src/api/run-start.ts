import { createHash, randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { z } from 'zod';
import { registerCommand } from '../../temporal/search-attributes';
import type { Config } from '../config';
import { TroupeAgents, TroupeCost, TroupeGoal, TroupeStatus } from '../engine/search-attributes';
import { agentsUsed, runDetails, runSummary } from '../engine/run-labels';
import type { RunInput, Spec } from '../engine/spec';
import { checkInput, describeInputs } from '../engine/spec-inputs';
import { formatPath } from '../engine/template';
import { runLayout, type RunWorkflowInput } from '../workflows/run-messages';
import { HttpError } from './http-error';

/**
 * What every run starts with, whether POST /api/runs or a schedule starts it, so runs from either are
 * listed, filtered and titled the same way.
 */
export function runStartOptions(config: Config, spec: Spec, input: RunInput, runId?: string) {
  const agents = agentsUsed(spec);
  const link = runId && `http://${config.HOST}:${config.PORT}/api/runs/${encodeURIComponent(runId)}`;
  const typedSearchAttributes: SearchAttributePair[] = [
    { key: TroupeStatus, value: 'running' },
    { key: TroupeAgents, value: agents },
    { key: TroupeCost, value: 0 },
    { key: TroupeGoal, value: spec.description ?? spec.name },
  ];
  return {
    workflowType: 'runWorkflow' as const,
    taskQueue: config.TROUPE_TASK_QUEUE,
    args: [{ spec, input, layout: runLayout }] as [RunWorkflowInput],
    memo: { title: spec.description ?? spec.name },
    staticSummary: runSummary(spec),
    staticDetails: runDetails(spec, link || undefined),
    ...(spec.priority && { priority: { priorityKey: spec.priority } }),
    typedSearchAttributes,
  };
}

/** A run's id: its spec's name, so Temporal Web lists are readable, and 8 random hex digits. */
export function newRunId(spec: Spec): string {
  return `${spec.name.toLowerCase()}-${randomUUID().slice(0, 8)}`;
}

/**
 * The input a run of `spec` starts with: checked against the spec's declared inputs, defaults filled
 * in. A 400 names each failing `input.<name>` and lists what the spec takes, before anything starts.
 */
export function resolveRunInput(spec: Spec, input: RunInput, at = 'input'): RunInput {
  const checked = checkInput(spec.inputs, input);
  if (checked.ok) return checked.input;
  const errors = checked.issues.map((issue) => ({
    path: formatPath([at, ...issue.path]),
    message: issue.message,
  }));
  const summary = errors.map((error) => `${error.path}: ${error.message}`).join('; ');
  throw new HttpError(400, {
    message: `the input does not fit spec "${spec.name}": ${summary}. It takes ${describeInputs(spec.inputs)}`,
    errors,
  });
}

/** A run id a client chooses: as Temporal takes it for a workflow id, and as the API's URLs take it. */
export const ClientRunId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/,
    'a runId has letters, digits, _, ., : and - (at most 200), and starts with a letter or digit',
  );

/** The Idempotency-Key header (draft-ietf-httpapi-idempotency-key-header): a client's name for one request. */
export const IdempotencyKey = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, 'an Idempotency-Key is 1 to 255 printable ASCII characters without spaces');

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The run id an Idempotency-Key stands for. It comes from the key alone (and the caller's API key, so
 * two callers' keys never meet), not from the body, so a retry with a different body finds the first
 * run and is refused, instead of starting a second.
 */
export function idempotentRunId(key: string, caller = ''): string {
  return `idem-${sha256(`${caller}\n${key}`).slice(0, 24)}`;
}

/** JSON with object keys sorted, so the same request sent twice hashes the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The fingerprint of a start request, kept in the run's memo to recognise a retry of it. */
export function requestFingerprint(body: unknown): string {
  return `sha256:${sha256(canonicalJson(body))}`;
}

export type StartedRun = { runId: string; created: boolean };

/**
 * Starts a run under a chosen id, once. Temporal refuses a second workflow with the id, running or
 * closed (`REJECT_DUPLICATE`), so concurrent retries cannot both start one; the one that loses reads
 * the run that won and answers it when it came from the same request (same fingerprint), or refuses
 * with 422 when the id was used for a different one.
 */
export async function startRunOnce(
  client: Client,
  options: Omit<ReturnType<typeof runStartOptions>, 'workflowType'>,
  {
    runId,
    fingerprint,
    what,
    namespace,
  }: { runId: string; fingerprint: string; what: string; namespace: string },
): Promise<StartedRun> {
  try {
    await client.workflow.start('runWorkflow', {
      ...options,
      memo: { ...options.memo, startRequest: fingerprint },
      workflowId: runId,
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'FAIL',
    });
    return { runId, created: true };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw startFailure(err, namespace);
  }
  const existing = await client.workflow.getHandle(runId).describe();
  if (existing.type !== 'runWorkflow')
    throw new HttpError(409, {
      message: `${what} names workflow "${runId}", which is not a Troupe run; choose another`,
    });
  if (existing.memo?.startRequest !== fingerprint)
    throw new HttpError(422, {
      message:
        `${what} already started run "${runId}" from a different request; ` +
        'send the same body to get that run again, or use a new key (or runId) for a new run',
    });
  return { runId, created: false };
}

/**
 * A start refused because the namespace lacks Troupe's search attributes (a Temporal server that was set
 * up without them) is the operator's to fix: a 503 that says what to run, not a 500.
 */
export function startFailure(err: unknown, namespace: string): unknown {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : '';
  const message = (cause || (err instanceof Error ? err.message : String(err))).replace(/^\d+ [A-Z_]+: /, '');
  if (!/search attribute/i.test(message)) return err;
  return new HttpError(503, {
    message:
      `Temporal refused the run: ${message}. Troupe's search attributes are missing on namespace ` +
      `"${namespace}"; register them with \`${registerCommand(namespace)}\` (the workers and the API ` +
      'also do it when they start), then try again',
    cause: err,
  });
}
