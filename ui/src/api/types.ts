/**
 * The API's bodies, as the server's zod schemas define them: imported as types only, so the UI never
 * keeps a hand-written copy and zod stays out of the bundle.
 */
export type {
  AgentChoice,
  AgentEstimate,
  CollaborationAnswer,
  CollaborationRecord,
  CompensationRecord,
  ModelUse,
  RunSnapshot,
  RunStatus,
  StepSnapshot,
  StepStatus,
} from '../../../src/engine/run-snapshot';
export type { RunFilter, RunListResponse, RunSummary } from '../../../src/api/run-list';
export type {
  RegressionAlert,
  RunDeltaEvent,
  RunSnapshotEvent,
  SubscribeAck,
} from '../../../src/api/live-events';
export type { TokenChunk } from '../../../src/models/token-stream';
export type { ProblemField } from '../../../src/api/http-error';
export type { ApprovalEntry, ApprovalsResponse } from '../../../src/api/approvals-routes';
export type { RunSpecResponse, SpecStep } from '../../../src/api/run-spec';
