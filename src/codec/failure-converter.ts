import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Failure messages and stack traces go into a payload, so the encryption codec covers them too: an
 * error that quotes a step's output or env is not readable in history. Loaded by path (in workers,
 * clients and the workflow bundle alike), so it imports nothing but the SDK.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
