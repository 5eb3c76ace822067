/**
 * The failure vocabulary shared by the model activities (which throw these types) and the workflow
 * (which reads them to decide between failing over and stopping). Pure: safe inside a workflow.
 */
export const ModelFailureType = {
  /** The call would take the run or the day over its budget; it never reached the model. */
  BudgetExceeded: 'BudgetExceeded',
  /** 429: retried on the same model after Retry-After, then failed over. */
  RateLimited: 'ModelRateLimited',
  /** 5xx, refused connection, dropped stream, or an open circuit breaker. */
  Unavailable: 'ModelUnavailable',
  Timeout: 'ModelTimeout',
  /** The server answered with something that is not the API's JSON. */
  MalformedResponse: 'ModelMalformedResponse',
  /** The answer did not match the step's schema: a better model may do it. */
  InvalidOutput: 'InvalidModelOutput',
  /** Another 4xx: this provider refused the request (bad key, unknown model, context too long). */
  Rejected: 'ModelRejectedRequest',
  /** No model in the catalogue can take the call, or every candidate failed. */
  NoModelAvailable: 'NoModelAvailable',
  /** The call itself is wrong (a pinned model that is not in the catalogue); no model can help. */
  InvalidInput: 'InvalidModelInput',
} as const;
export type ModelFailureType = (typeof ModelFailureType)[keyof typeof ModelFailureType];

/** How one attempt ended, as the route record and the ledger write it. */
export const AttemptOutcome = {
  Ok: 'ok',
  BudgetExceeded: 'budget-exceeded',
  RateLimited: 'rate-limited',
  Unavailable: 'unavailable',
  Timeout: 'timeout',
  Malformed: 'malformed',
  InvalidOutput: 'invalid-output',
  Rejected: 'rejected',
  Cancelled: 'cancelled',
  Error: 'error',
} as const;
export type AttemptOutcome = (typeof AttemptOutcome)[keyof typeof AttemptOutcome];

const outcomes: Record<string, AttemptOutcome> = {
  [ModelFailureType.BudgetExceeded]: AttemptOutcome.BudgetExceeded,
  [ModelFailureType.RateLimited]: AttemptOutcome.RateLimited,
  [ModelFailureType.Unavailable]: AttemptOutcome.Unavailable,
  [ModelFailureType.Timeout]: AttemptOutcome.Timeout,
  [ModelFailureType.MalformedResponse]: AttemptOutcome.Malformed,
  [ModelFailureType.InvalidOutput]: AttemptOutcome.InvalidOutput,
  [ModelFailureType.Rejected]: AttemptOutcome.Rejected,
};

/** The outcome a failure type stands for; unknown types (bugs, activity timeouts) are plain errors. */
export function outcomeOf(type: string | undefined | null): AttemptOutcome {
  return (type && outcomes[type]) || AttemptOutcome.Error;
}

/** Failures after which the next candidate is worth trying; the rest stop the step. */
export function failsOver(type: string | undefined | null): boolean {
  return type !== ModelFailureType.InvalidInput && type !== ModelFailureType.NoModelAvailable;
}

/** What to do when no model answers; every "no model" error ends with it. */
export const configureHint =
  'To configure a provider: set OLLAMA_HOST to a running Ollama (e.g. http://127.0.0.1:11434), ' +
  'or OPENAI_API_KEY (and OPENAI_BASE_URL for an OpenAI-compatible server such as DeepSeek, vLLM, ' +
  'LM Studio or OpenRouter), or edit the model catalogue (config/models.yaml, or the file TROUPE_MODELS_FILE names).';
