// The job module of runBatches: a worker thread runs its group of a request's batches through the
// library's runBatchJob (src/runs/batches.ts), which builds the run from the request.
export { runBatchJob as runJob } from '../runs/batches.js';
