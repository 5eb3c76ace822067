// Troupe's workflows, as its workers bundle them; the raw shapes' workflows are bundled on their own
// (bench/raw-workflows.ts), as a hand-written app would be.
export { runWorkflow } from '../src/workflows/run-workflow';
export { foreachBatch } from '../src/workflows/foreach-batch-workflow';
