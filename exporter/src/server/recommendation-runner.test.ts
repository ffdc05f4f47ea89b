/**
 * The recommendation worker (`recommendation-runner.ts`) behind `/api/v1/recommendations`: its answers are the
 * in-process computation's, byte for byte; the exporter answers scrapes while it computes; it queues a bounded few,
 * stops at its time limit, survives its failures and is gone after `close()`. Deterministic without timing: the
 * test hooks hold the worker until the test releases it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { RecommendationRunner, type RecommendationTestHooks } from './recommendation-runner';
import {
  recommendationAnswer,
  type ObservedInput,
  type RecommendationInputs,
  type RecommendationQuestion,
} from './recommendations-answer';
import { MemoryLogger } from '../log';
import { readResourcesFile } from '../cluster/resources-file';
import { repoRoot } from '../testing/collect';
import { serveRecommendations } from '../testing/recommendations-server';
import {
  enforcedManifests,
  ObservedFlows,
  recommendClusterFromDocuments,
  recommendPolicies,
  renderRecommendationYaml,
  type EnforcedPolicies,
  type ObservedFlow,
} from '../policy/recommend';
import { buildPolicySnapshot } from '../policy/snapshot';

const TOKEN = 'worker-token';
const fixture = (name: string): string => join(repoRoot(), 'test/fixtures/recommend', name);
const documents = [...readResourcesFile(fixture('resources.yaml')), ...readResourcesFile(fixture('enforced.yaml'))];
const { cluster } = recommendClusterFromDocuments(documents);
const peer = (namespace: string, workload: string) => ({ kind: 'workload', namespace, workload }) as const;
const FLOWS: ObservedFlow[] = [
  { source: peer('shop', 'frontend'), destination: peer('shop', 'cart'), port: 8080, protocol: 'TCP' },
  { source: peer('shop', 'cart'), destination: peer('payments', 'payments-api'), port: 8443, protocol: 'TCP' },
  { source: peer('shop', 'cart-canary'), destination: peer('payments', 'payments-api'), port: 8443, protocol: 'TCP' },
  { source: peer('shop', 'cart'), destination: { kind: 'external', ip: '203.0.113.7' }, port: 443, protocol: 'TCP' },
];
/** The fixture's NetworkPolicies plus an older Calico staged recommendation: selectors cross to the worker too. */
const ENFORCED: EnforcedPolicies = (() => {
  const older = recommendPolicies(cluster, FLOWS.slice(0, 1), { format: 'calico-staged' });
  const objects = [
    ...documents.map((document) => document.object),
    ...parseAllDocuments(renderRecommendationYaml(older)).map((document) => document.toJS() as unknown),
  ];
  return { snapshot: buildPolicySnapshot(objects).engine, manifests: enforcedManifests(objects) };
})();

function question(overrides: Partial<RecommendationQuestion> = {}): RecommendationQuestion {
  return { format: 'kubernetes', namespace: undefined, yaml: false, ...overrides };
}

const LOCAL: ObservedInput = { source: 'local', flows: FLOWS, budget: 10, dropped: 0 };

function inputs(enforced: EnforcedPolicies | undefined, observed: ObservedInput = LOCAL): RecommendationInputs {
  return { cluster, observed, enforced };
}

/** Prometheus' answer with the fixture's flows between workloads, one to the internet (skipped), and advice. */
const PROMETHEUS: ObservedInput = {
  source: 'prometheus',
  budget: 10,
  answer: {
    advice: 'the range reaches past what Prometheus retains',
    body: JSON.stringify({
      status: 'success',
      data: {
        resultType: 'vector',
        result: [
          ...FLOWS.filter((flow) => flow.destination.kind === 'workload').map((flow) => ({
            metric: {
              source_namespace: flow.source.kind === 'workload' ? flow.source.namespace : '',
              source_workload: flow.source.kind === 'workload' ? flow.source.workload : '',
              dest_namespace: flow.destination.kind === 'workload' ? flow.destination.namespace : '',
              dest_workload: flow.destination.kind === 'workload' ? flow.destination.workload : '',
              dest_port: String(flow.port),
              protocol: 'tcp',
            },
            value: [1764150000, '1'],
          })),
          {
            metric: {
              source_namespace: 'shop',
              source_workload: 'cart',
              dest_workload: 'world',
              dest_port: '443',
              protocol: 'tcp',
            },
            value: [1764150000, '1'],
          },
        ],
      },
    }),
  },
};

/** A hold the worker waits on (`Atomics.wait`) until `release()`. */
function hold(): { array: Int32Array; release: () => void } {
  const array = new Int32Array(new SharedArrayBuffer(4));
  return {
    array,
    release: () => {
      Atomics.store(array, 0, 1);
      Atomics.notify(array, 0);
    },
  };
}

/** Resolves when the worker has received its next job. */
function nextStart(hooks: RecommendationTestHooks): Promise<void> {
  return new Promise((resolve) => {
    hooks.onStarted = () => {
      hooks.onStarted = undefined;
      resolve();
    };
  });
}

test("the worker's answers are the in-process computation's, byte for byte (JSON with diff, both formats; YAML)", async () => {
  const runner = new RecommendationRunner();
  try {
    const cases: [RecommendationQuestion, RecommendationInputs][] = [
      [question(), inputs(ENFORCED)],
      [question({ namespace: 'shop' }), inputs(ENFORCED)],
      [question({ format: 'calico-staged' }), inputs(ENFORCED)],
      [question({ namespace: 'payments' }), inputs(undefined)],
      [question({ yaml: true }), inputs(undefined, { ...LOCAL, dropped: 3 })],
      [question({ namespace: 'shop' }), inputs(ENFORCED, PROMETHEUS)],
    ];
    for (const [asked, given] of cases) {
      const outcome = await runner.run(asked, given);
      assert.equal(outcome.kind, 'answer', JSON.stringify(outcome));
      assert.ok(outcome.kind === 'answer');
      assert.equal(outcome.answer.status, 200, outcome.answer.body);
      assert.deepEqual(outcome.answer, recommendationAnswer(asked, given), JSON.stringify(asked));
    }
    const fromPrometheus = await runner.run(question(), inputs(undefined, PROMETHEUS));
    assert.ok(fromPrometheus.kind === 'answer');
    const read = JSON.parse(fromPrometheus.answer.body) as { warnings: string[]; observed: Record<string, unknown> };
    assert.equal(read.warnings[0], 'the range reaches past what Prometheus retains', 'the advice comes first');
    assert.deepEqual(read.observed, {
      source: 'prometheus',
      flows: 3,
      budget: 10,
      dropped: 0,
      complete: true,
      skipped: { 'aggregate peer': 1 },
    });
    // An answer that cannot be read is the worker's 502, as in-process.
    const unreadable = inputs(undefined, {
      source: 'prometheus',
      budget: 10,
      answer: { body: '{"status":"success","data":{"resultType":"vec', advice: undefined },
    });
    const refused = await runner.run(question(), unreadable);
    assert.ok(refused.kind === 'answer');
    assert.deepEqual(refused.answer, recommendationAnswer(question(), unreadable));
    assert.equal(refused.answer.status, 502);
    assert.match(refused.answer.body, /^observed flows from Prometheus: .*not JSON/);
    const diffed = await runner.run(question({ namespace: 'shop' }), inputs(ENFORCED));
    assert.ok(diffed.kind === 'answer');
    const statuses = (JSON.parse(diffed.answer.body) as { diff: { policies: { status: string }[] } }).diff.policies;
    assert.ok(statuses.length > 0, 'not vacuous: the diff has policies');
    assert.equal(runner.workersStarted, 1, 'one worker served every request');
  } finally {
    await runner.close();
  }
});

interface Served {
  base: string;
  get: (path: string) => Promise<{ status: number; headers: Headers; text: string }>;
  /** Connections the server has open. */
  connections: () => Promise<number>;
  close: () => Promise<void>;
}

/** An exporter server whose recommendations go through `runner`; `close` stops both. */
async function serve(runner: RecommendationRunner, logger: MemoryLogger): Promise<Served> {
  const observed = new ObservedFlows(10);
  for (const flow of FLOWS) observed.add(flow);
  const { base, server, close } = await serveRecommendations({
    token: TOKEN,
    observed,
    cluster: () => cluster,
    enforced: () => ENFORCED,
    runner,
    logger,
  });
  return {
    base,
    connections: () =>
      new Promise((resolve, reject) =>
        server.getConnections((error, count) => (error === null ? resolve(count) : reject(error))),
      ),
    get: async (path) => {
      const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      return { status: response.status, headers: response.headers, text: await response.text() };
    },
    close: async () => {
      await close();
      await runner.close();
    },
  };
}

const DIFF = '/api/v1/recommendations?diff=true';

describe('/api/v1/recommendations through the worker', () => {
  const hooks: RecommendationTestHooks = {};
  const runner = new RecommendationRunner({ maxQueued: 1, testHooks: hooks });
  const logger = new MemoryLogger();
  let served: Served;
  const get = (path: string): ReturnType<Served['get']> => served.get(path);

  before(async () => {
    served = await serve(runner, logger);
  });

  after(() => served.close());
  /** flowlens_recommendations_total by outcome, as this exporter's /metrics shows it. */
  const outcomes = async (): Promise<Map<string, number>> => {
    const counted = new Map<string, number>();
    for (const [, outcome, value] of (await get('/metrics')).text.matchAll(
      /^flowlens_recommendations_total\{outcome="([a-z]+)"\} (\d+)$/gm,
    )) {
      counted.set(outcome!, Number(value));
    }
    return counted;
  };

  test('while a diff is being computed, /metrics and /healthz are answered', async () => {
    const gate = hold();
    hooks.hold = gate.array;
    const started = nextStart(hooks);
    let settled = false;
    const diff = get(DIFF).finally(() => (settled = true));
    try {
      await started;
      const metrics = await get('/metrics');
      assert.equal(metrics.status, 200);
      assert.match(metrics.text, /flowlens_build_info/);
      assert.equal((await get('/healthz')).status, 200);
      assert.equal(settled, false, 'the diff is still held in the worker');
    } finally {
      hooks.hold = undefined;
      gate.release();
    }
    const answer = await diff;
    assert.equal(answer.status, 200, answer.text);
    const expected = recommendationAnswer(question(), inputs(ENFORCED));
    assert.equal(answer.text, expected.body);
  });

  test('one computing, one waiting: the next is a 503 with Retry-After saying why; the waiting one is answered', async () => {
    const gate = hold();
    hooks.hold = gate.array;
    const started = nextStart(hooks);
    const first = get(DIFF);
    let second: Promise<{ status: number; text: string }> | undefined;
    try {
      await started;
      second = get(DIFF);
      // Waiting for a state, not a time: the second request is queued once the server has read it.
      while (runner.queued < 1) await new Promise((resolve) => setImmediate(resolve));
      const refused = await get(DIFF);
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get('retry-after'), '2');
      assert.match(refused.text, /^busy: one recommendation is being computed and 1 more are waiting/);
    } finally {
      hooks.hold = undefined;
      gate.release();
    }
    assert.equal((await first).status, 200);
    assert.equal((await second)?.status, 200, 'the queued request got its turn');
    // The exporter's own metrics count the refusal; every outcome is there from the start.
    const counted = await outcomes();
    assert.equal(counted.get('busy'), 1);
    assert.deepEqual([...counted.keys()].sort(), ['abandoned', 'answer', 'busy', 'closed', 'failed', 'timeout']);
  });

  test('a failing computation is a 500 naming it; a dead worker too; the next request is answered', async () => {
    const failedBefore = (await outcomes()).get('failed') ?? 0;
    hooks.fail = 'throw';
    const thrown = await get(DIFF);
    hooks.fail = undefined;
    assert.equal(thrown.status, 500);
    assert.match(
      thrown.text,
      /^the recommendation could not be computed: the recommendation failed: injected by a test/,
    );
    assert.equal((await get(DIFF)).status, 200);

    const before = runner.workersStarted;
    hooks.fail = 'crash';
    const crashed = await get(DIFF);
    hooks.fail = undefined;
    assert.equal(crashed.status, 500);
    assert.match(crashed.text, /the recommendation worker exited \(code 70\) before answering/);
    assert.equal((await get(DIFF)).status, 200);
    assert.equal(runner.workersStarted, before + 1, 'a new worker replaced the dead one');
    assert.equal((await outcomes()).get('failed'), failedBefore + 2, 'flowlens_recommendations_total counts both');
  });
});

test('past the time limit the worker is terminated and the answer is a 504 naming the limit', async () => {
  const hooks: RecommendationTestHooks = {};
  // Held until released, the computation outlasts any limit: the outcome does not depend on the machine's speed.
  const runner = new RecommendationRunner({ timeoutMs: 200, testHooks: hooks });
  const logger = new MemoryLogger();
  const served = await serve(runner, logger);
  const gate = hold();
  try {
    hooks.hold = gate.array;
    const answer = await served.get(DIFF);
    assert.equal(answer.status, 504);
    assert.match(
      answer.text,
      /^the recommendation took longer than 0.2s \(api\.recommendationTimeout\) and was stopped/,
    );
    assert.equal(runner.workerAlive, false, 'the held worker was terminated');
    assert.ok(logger.entries.some((entry) => entry.message === 'recommendation stopped at its time limit'));
    hooks.hold = undefined;
    assert.equal((await served.get(DIFF)).status, 200, 'a new worker answers the next request');
    assert.equal(runner.workersStarted, 2);
  } finally {
    gate.release();
    await served.close();
  }
});

test('a waiting request whose caller went away is not computed', async () => {
  const hooks: RecommendationTestHooks = {};
  const runner = new RecommendationRunner({ maxQueued: 1, testHooks: hooks });
  const served = await serve(runner, new MemoryLogger());
  const gate = hold();
  try {
    hooks.hold = gate.array;
    const started = nextStart(hooks);
    const first = served.get(DIFF);
    await started;
    const abort = new AbortController();
    const second = fetch(`${served.base}${DIFF}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
      signal: abort.signal,
    }).then(
      () => 'answered',
      () => 'aborted',
    );
    while (runner.queued < 1) await new Promise((resolve) => setImmediate(resolve));
    abort.abort();
    assert.equal(await second, 'aborted');
    // Waiting for a state: the server has seen the second connection close (the first is held).
    while ((await served.connections()) > 1) await new Promise((resolve) => setTimeout(resolve, 10));
    hooks.hold = undefined;
    gate.release();
    assert.equal((await first).status, 200);
    assert.equal(runner.queued, 0);
    assert.equal(runner.jobsSent, 1, 'only the first was computed');
    assert.equal((await served.get(DIFF)).status, 200, 'the next caller is served');
    assert.equal(runner.jobsSent, 2);
  } finally {
    gate.release();
    await served.close();
  }
});

test('close() terminates the worker and ends the waiting requests; later ones are refused', async () => {
  const hooks: RecommendationTestHooks = {};
  const runner = new RecommendationRunner({ testHooks: hooks });
  const gate = hold();
  hooks.hold = gate.array;
  const started = nextStart(hooks);
  const computing = runner.run(question(), inputs(undefined));
  await started;
  const waiting = runner.run(question(), inputs(undefined));
  assert.equal(runner.workerAlive, true);
  await runner.close();
  assert.equal(runner.workerAlive, false);
  assert.deepEqual(await computing, { kind: 'closed' });
  assert.deepEqual(await waiting, { kind: 'closed' });
  assert.deepEqual(await runner.run(question(), inputs(undefined)), { kind: 'closed' });
  gate.release();
});
