/** Exit codes scripts can trust (docs/api.md lists them). */
export const ExitCode = {
  Ok: 0,
  /** The run failed or was cancelled. */
  RunFailed: 1,
  /** Bad usage or invalid input: a wrong flag, an invalid spec, an unknown run, a refused key. */
  BadInput: 2,
  /** The API (or Temporal behind it) cannot be reached. */
  Unreachable: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error that ends the CLI with a given exit code and a one-line message. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    readonly code: ExitCode,
    message: string,
    /** The API's HTTP status, when the API refused. */
    readonly status?: number,
  ) {
    super(message);
  }
}
