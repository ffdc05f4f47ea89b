/**
 * Runs `/api/v1/recommendations`' computation (`recommendationAnswer`: the recommender and, with `diff=true`, the
 * diff to what is enforced, up to seconds of CPU on a large cluster) in a `node:worker_threads` worker, so the
 * exporter keeps answering scrapes, `/healthz` and other calls meanwhile. Bounded:
 *
 * - one computation at a time (one worker, one CPU core at most); up to `maxQueued` more requests wait their turn in
 *   arrival order, and one past that is refused at once (`busy`: a 503 with Retry-After);
 * - each computation may take `timeoutMs`; past it the worker is terminated (its CPU and memory are freed) and the
 *   request ends `timeout`;
 * - a computation that throws, or a worker that dies, ends the request `failed` with the cause; the exporter goes
 *   on, and the next request starts a new worker.
 *
 * The worker is started by the first request and kept while requests come (V8 has then compiled the recommender:
 * see docs/benchmarks.md for what a cold start costs); `idleMs` without one, or `close()` (the exporter's shutdown),
 * terminates it. It never keeps the process alive on its own (`unref`).
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { packPortable, type Portable } from '../policy/recommend/portable';
import type { RecommendationAnswer, RecommendationInputs, RecommendationQuestion } from './recommendations-answer';

export const DEFAULT_RECOMMENDATION_TIMEOUT_SECONDS = 30;
/** Requests that may wait while one computes: a person paging through namespaces, not a crowd. */
export const DEFAULT_MAX_QUEUED_RECOMMENDATIONS = 4;
/** A worker unused this long is terminated: its heap is returned, and the next request starts a new one. */
export const DEFAULT_WORKER_IDLE_MS = 5 * 60_000;

/** Only tests set these (see recommendations.test.ts): deterministic holds and failures, no timing. */
export interface RecommendationTestHooks {
  /** The worker waits (`Atomics.wait`) while `hold[0]` is 0 before computing; set it to 1 and notify to release. */
  hold?: Int32Array;
  /** `throw`: the computation throws; `crash`: the worker thread exits before answering. */
  fail?: 'throw' | 'crash';
  /** Called when the worker has received a job (and is about to wait on `hold`, if set). */
  onStarted?: () => void;
}

export interface WorkerJob {
  readonly id: number;
  readonly question: RecommendationQuestion;
  readonly inputs: Portable<RecommendationInputs>;
  readonly testHooks?: Pick<RecommendationTestHooks, 'hold' | 'fail'>;
}

export type WorkerReply =
  | { readonly id: number; readonly kind: 'started' }
  | { readonly id: number; readonly kind: 'answer'; readonly answer: RecommendationAnswer }
  | { readonly id: number; readonly kind: 'error'; readonly message: string };

/** Every way a request can end, as `flowlens_recommendations_total{outcome}` counts them. */
export const RECOMMENDATION_OUTCOMES = ['answer', 'busy', 'timeout', 'failed', 'closed', 'abandoned'] as const;

export type RecommendationOutcome =
  | { readonly kind: 'answer'; readonly answer: RecommendationAnswer }
  /** One computing and `maxQueued` waiting: refused without waiting. */
  | { readonly kind: 'busy'; readonly maxQueued: number }
  | { readonly kind: 'timeout'; readonly timeoutMs: number }
  | { readonly kind: 'failed'; readonly message: string }
  /** The exporter is shutting down. */
  | { readonly kind: 'closed' }
  /** The caller went away while it waited: nothing was computed for it. */
  | { readonly kind: 'abandoned' };

export interface RecommendationRunnerOptions {
  readonly timeoutMs?: number;
  readonly maxQueued?: number;
  readonly idleMs?: number;
  readonly testHooks?: RecommendationTestHooks;
}

export class RecommendationRunner {
  readonly timeoutMs: number;
  readonly maxQueued: number;
  private readonly idleMs: number;
  private worker: Worker | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private computing = false;
  /** Waiting requests, first come first served; each is told whether it got the worker (false: closed). */
  private readonly waiting: ((granted: boolean) => void)[] = [];
  private nextId = 1;
  private sent = 0;
  private closed = false;
  private started = 0;

  constructor(private readonly options: RecommendationRunnerOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_RECOMMENDATION_TIMEOUT_SECONDS * 1000;
    this.maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED_RECOMMENDATIONS;
    this.idleMs = options.idleMs ?? DEFAULT_WORKER_IDLE_MS;
  }

  /** Workers started so far (for tests and the bench). */
  get workersStarted(): number {
    return this.started;
  }

  /** Computations handed to a worker so far (for tests). */
  get jobsSent(): number {
    return this.sent;
  }

  /** True while a worker thread exists (computing or idle). */
  get workerAlive(): boolean {
    return this.worker !== undefined;
  }

  /** Requests waiting for the worker (not counting the one computing). */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Computes the answer in the worker, after the requests before it. `wanted` is asked once its turn comes after a
   * wait: a caller that has gone away (a closed page, a proxy's timeout) is not computed for.
   */
  async run(
    question: RecommendationQuestion,
    inputs: RecommendationInputs,
    wanted: () => boolean = () => true,
  ): Promise<RecommendationOutcome> {
    if (this.closed) return { kind: 'closed' };
    if (this.computing) {
      if (this.waiting.length >= this.maxQueued) return { kind: 'busy', maxQueued: this.maxQueued };
      const granted = await new Promise<boolean>((resolve) => this.waiting.push(resolve));
      if (!granted) return { kind: 'closed' };
      if (!wanted()) {
        this.handOver();
        return { kind: 'abandoned' };
      }
    }
    this.computing = true;
    try {
      return await this.compute(question, inputs);
    } finally {
      this.handOver();
    }
  }

  /** Terminates the worker; the computing request and the waiting ones end `closed`. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idleTimer);
    for (const waiter of this.waiting.splice(0)) waiter(false);
    await this.discard();
  }

  private handOver(): void {
    const next = this.waiting.shift();
    if (next !== undefined) {
      // `computing` stays true: the slot passes to the next in line, so no newcomer overtakes it.
      next(true);
      return;
    }
    this.computing = false;
    if (this.worker !== undefined && !this.closed) {
      clearTimeout(this.idleTimer);
      this.idleTimer = setTimeout(() => void this.discard(), this.idleMs);
      this.idleTimer.unref();
    }
  }

  private compute(question: RecommendationQuestion, inputs: RecommendationInputs): Promise<RecommendationOutcome> {
    clearTimeout(this.idleTimer);
    let job: WorkerJob;
    try {
      const hooks = this.options.testHooks;
      job = {
        id: this.nextId++,
        question,
        inputs: packPortable(inputs, 'inputs'),
        ...(hooks === undefined ? {} : { testHooks: { hold: hooks.hold, fail: hooks.fail } }),
      };
    } catch (error) {
      return Promise.resolve({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
    }
    const worker = this.ensureWorker();
    return new Promise<RecommendationOutcome>((resolve) => {
      const finish = (outcome: RecommendationOutcome): void => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        resolve(outcome);
      };
      const onMessage = (reply: WorkerReply): void => {
        if (reply.id !== job.id) return;
        if (reply.kind === 'started') this.options.testHooks?.onStarted?.();
        else if (reply.kind === 'answer') finish({ kind: 'answer', answer: reply.answer });
        else finish({ kind: 'failed', message: `the recommendation failed: ${reply.message}` });
      };
      const onError = (error: Error): void =>
        finish({ kind: 'failed', message: `the recommendation worker failed: ${error.message}` });
      const onExit = (code: number): void =>
        finish(
          this.closed
            ? { kind: 'closed' }
            : { kind: 'failed', message: `the recommendation worker exited (code ${code}) before answering` },
        );
      const timer = setTimeout(() => {
        finish({ kind: 'timeout', timeoutMs: this.timeoutMs });
        // Terminating is the only way to stop a synchronous computation; the next request starts a new worker.
        void this.discard();
      }, this.timeoutMs);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      try {
        this.sent++;
        worker.postMessage(job);
      } catch (error) {
        // A value the structured clone refuses (packPortable should have caught it first).
        finish({
          kind: 'failed',
          message: `the recommendation inputs could not be sent to the worker: ${String(error)}`,
        });
      }
    });
  }

  private ensureWorker(): Worker {
    if (this.worker !== undefined) return this.worker;
    // The compiled entry beside this file: dist/src/server in the repository, the package and the image alike.
    const worker = new Worker(join(__dirname, 'recommendations-worker.js'));
    this.started++;
    worker.unref();
    // Without a listener an 'error' event would be thrown in the exporter; a running job hears it through its own.
    worker.on('error', () => undefined);
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = undefined;
    });
    this.worker = worker;
    return worker;
  }

  private async discard(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker !== undefined) await worker.terminate();
  }
}
