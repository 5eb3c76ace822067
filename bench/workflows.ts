export { runWorkflow } from '../src/workflows/run-workflow';
export { rawDiamond, rawFanOut, rawLayered, rawSequential } from './raw-workflows';
