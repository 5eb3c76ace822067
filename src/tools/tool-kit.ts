import { z } from 'zod';
import type { ToolSpec } from '../models/provider-adapter';

/** Where and how one agent's tool calls run; the same for every tool of a call. */
export type ToolContext = {
  /** The workspace root (a realpath); no tool reads or writes outside it. */
  root: string;
  signal: AbortSignal;
  settings: ToolSettings;
  /** Where screenshots and other artefacts go, outside the workspace so snapshots stay clean. */
  artifactsDir: string;
  /** The step's identity for its commands: TROUPE_RUN_ID, TROUPE_STEP_ID, TROUPE_STEP_ATTEMPT, TROUPE_IDEMPOTENCY_KEY. */
  env?: Record<string, string>;
};

/** Operator settings for the tools: what commands may run, which hosts may be fetched, the caps. */
export const ToolSettings = z.strictObject({
  /** Program names (argv[0], no path) the command tool may run. */
  commandAllowlist: z
    .array(z.string().min(1))
    .default(['node', 'npm', 'npx', 'python3', 'pytest', 'ls', 'cat', 'grep', 'echo', 'true', 'false']),
  commandTimeoutMs: z.int().positive().default(60_000),
  /** Whether run_command, run_tests and the git tools may use the network (deploy always may). */
  commandNetwork: z.boolean().default(false),
  maxOutputBytes: z
    .int()
    .positive()
    .default(64 * 1024),
  /** Largest file read_file returns whole; longer files are cut with a note. */
  maxReadBytes: z
    .int()
    .positive()
    .default(256 * 1024),
  /**
   * Hosts http_fetch and the browser may reach (exact, or `*.example.com`), on public addresses only;
   * `host:port` also allows that inward address (loopback, private). Empty by default.
   */
  httpAllowHosts: z.array(z.string().min(1)).default([]),
  /** The deploy agent's command and its rollback, as argv arrays run in the workspace. */
  deploy: z
    .strictObject({ command: z.array(z.string().min(1)).min(1), rollback: z.array(z.string().min(1)).min(1) })
    .optional(),
  chromiumPath: z.string().default('/usr/bin/chromium'),
});
export type ToolSettings = z.infer<typeof ToolSettings>;
export type ToolSettingsInput = z.input<typeof ToolSettings>;

/** Why a tool call was refused or failed; the message goes back to the model as the tool's answer. */
export class ToolError extends Error {
  override name = 'ToolError';
  constructor(
    readonly rule: string,
    message: string,
  ) {
    super(message);
  }
}

/** A tool: its name, its zod-typed arguments, and what it does. */
export type Tool<Args extends z.ZodType = z.ZodType> = {
  name: string;
  description: string;
  args: Args;
  /** True when the tool may change the workspace, so the caller snapshots before it. */
  mutates: boolean;
  run(args: z.infer<Args>, context: ToolContext): Promise<unknown>;
};

/** Keeps each tool's argument type attached to its run function. */
export function defineTool<Args extends z.ZodType>(tool: Tool<Args>): Tool {
  return tool;
}

/** The tool as the model sees it: a JSON schema made from the zod schema, so they never disagree. */
export function toolSpec(tool: Tool): ToolSpec {
  const parameters: Record<string, unknown> = { ...z.toJSONSchema(tool.args, { target: 'draft-7' }) };
  delete parameters.$schema;
  return { name: tool.name, description: tool.description, parameters };
}

export type ToolOutcome = { ok: true; output: unknown } | { ok: false; error: string };

/** Runs one call: arguments checked by zod first; every failure becomes a message, never a throw. */
export async function invokeTool(tool: Tool, rawArgs: unknown, context: ToolContext): Promise<ToolOutcome> {
  const parsed = tool.args.safeParse(rawArgs);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || '(arguments)'}: ${issue.message}`)
      .join('; ');
    return { ok: false, error: `${tool.name}: invalid arguments (${problems})` };
  }
  try {
    return { ok: true, output: await tool.run(parsed.data, context) };
  } catch (err) {
    if (context.signal.aborted) throw err;
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, error: err instanceof ToolError ? message : `${tool.name} failed: ${message}` };
  }
}

/** Cuts text to a byte cap, saying so, so a huge output cannot flood the model's context. */
export function capText(text: string, maxBytes: number): { text: string; truncated: boolean } {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return { text, truncated: false };
  return {
    text: `${bytes.subarray(0, maxBytes).toString('utf8')}\n…[cut at ${maxBytes} of ${bytes.length} bytes]`,
    truncated: true,
  };
}
