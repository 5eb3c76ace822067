export { runWorkflow } from '../src/workflows/run-workflow';
export { foreachBatch } from '../src/workflows/foreach-batch-workflow';
export {
  rawDiamond,
  rawFanOut,
  rawForeachBatch,
  rawHugeForeach,
  rawLayered,
  rawSequential,
} from './raw-workflows';
