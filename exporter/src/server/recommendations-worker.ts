/**
 * The recommendation worker's entry (a `node:worker_threads` worker, started by `recommendation-runner.ts` from the
 * compiled file beside this one): it answers one job at a time with `recommendationAnswer`, the same pure code the
 * tests run in-process, so the exporter's event loop keeps serving scrapes while a diff is computed. A failure in the
 * computation is a reply naming it; the thread lives on for the next job.
 */
import { parentPort } from 'node:worker_threads';
import { unpackPortable } from '../policy/recommend/portable';
import { recommendationAnswer } from './recommendations-answer';
import type { WorkerJob, WorkerReply } from './recommendation-runner';

const port = parentPort;
if (port === null) throw new Error('recommendations-worker.js runs as a worker thread (see recommendation-runner.ts)');

port.on('message', (job: WorkerJob) => {
  const reply = (message: WorkerReply): void => port.postMessage(message);
  reply({ id: job.id, kind: 'started' });
  const hooks = job.testHooks;
  // Tests hold the worker here until they release it, to see the event loop answer while a job is running.
  if (hooks?.hold !== undefined) Atomics.wait(hooks.hold, 0, 0);
  if (hooks?.fail === 'crash') process.exit(70);
  try {
    if (hooks?.fail === 'throw') throw new Error('injected by a test');
    reply({ id: job.id, kind: 'answer', answer: recommendationAnswer(job.question, unpackPortable(job.inputs)) });
  } catch (error) {
    reply({ id: job.id, kind: 'error', message: error instanceof Error ? error.message : String(error) });
  }
});
