/**
 * Structured logs: one JSON line per event (pino), with the run, step, agent and model as fields
 * wherever they are known, so a log search for one run finds its workflow's, activities' and model
 * calls' lines in every process. The Temporal SDK's own loggers (the workflow's, through its sink,
 * and each activity's) write through the same pino logger.
 */
import type { LogLevel, LogMetadata, Logger } from '@temporalio/worker';
import { pino, type Logger as PinoLogger } from 'pino';

/** The fields that name what a line is about; any may be missing. */
export type LogFields = {
  runId?: string;
  stepId?: string;
  agent?: string;
  model?: string;
  [field: string]: unknown;
};

let root: PinoLogger | undefined;

/** This process's logger, made on first use for `service` at TROUPE_LOG_LEVEL (INFO by default). */
export function logger(service = 'troupe'): PinoLogger {
  root ??= pino({
    level: (process.env.TROUPE_LOG_LEVEL ?? 'INFO').toLowerCase(),
    base: { service, pid: process.pid },
    // Provider keys and credentials never reach a log line, whatever a caller passes.
    redact: { paths: ['apiKey', 'authorization', '*.apiKey', '*.authorization', 'headers'], remove: true },
  });
  return root;
}

const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * The SDK's metadata in Troupe's words: a run's id is its workflow id (Temporal's own run id stays as
 * temporalRunId), so the workflow's and activities' lines carry the same runId as the API's.
 */
export function troupeFields(meta: LogMetadata = {}): LogFields {
  const { workflowId, runId, workflowRunId, ...rest } = meta as Record<string, unknown>;
  return {
    ...rest,
    ...(typeof workflowId === 'string' && { runId: workflowId }),
    ...((runId ?? workflowRunId) !== undefined && { temporalRunId: runId ?? workflowRunId }),
  };
}

/** A Temporal SDK Logger that writes through pino; `skip` drops lines by message. */
export class PinoTemporalLogger implements Logger {
  constructor(
    private readonly pino: PinoLogger,
    private readonly skip: (message: string) => boolean = () => false,
  ) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (this.skip(message)) return;
    this.pino[levels[level]](troupeFields(meta), message);
  }

  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }

  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }

  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }

  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }

  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

const levelNames: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
/** Fields a terminal reader wants after the message, in this order; the rest stay in the JSON. */
const shown = ['runId', 'stepId', 'agent', 'model', 'status', 'attempts', 'latencyMs', 'error'];

/**
 * A pino JSON line as a person reads it in `npm start`'s terminal (`INFO step ask completed
 * runId=… stepId=ask`); any other line as it is. Processes that run on their own keep writing JSON.
 */
export function readableLine(line: string): string {
  if (!line.startsWith('{"level":')) return line;
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    const fields = shown
      .filter((key) => entry[key] !== undefined)
      .map((key) => `${key}=${typeof entry[key] === 'string' ? entry[key] : JSON.stringify(entry[key])}`);
    const level = levelNames[entry.level as number] ?? String(entry.level);
    return [level.padEnd(5), typeof entry.msg === 'string' ? entry.msg : '', ...fields].join(' ');
  } catch {
    return line;
  }
}
