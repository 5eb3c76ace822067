export { runWorkflow } from './run-workflow';
export { chatWorkflow } from './chat-workflow';
export { foreachBatch } from './foreach-batch-workflow';
