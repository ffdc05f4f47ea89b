import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cachePrometheusFlows } from './prometheus-flows-cache';
import type { PrometheusFlowsAnswer } from '../policy/recommend';
import type { PrometheusFlows } from './recommendations';

/** A Prometheus stand-in that counts its queries and answers (or fails) when the test says. */
function countingFetch(): {
  fetch: PrometheusFlows;
  asked: string[];
  settle: (outcome: 'answer' | 'fail') => void;
} {
  const asked: string[] = [];
  const pending: { resolve: (answer: PrometheusFlowsAnswer) => void; reject: (error: Error) => void }[] = [];
  const fetch: PrometheusFlows = (query) => {
    asked.push(query.namespace ?? '*');
    return new Promise((resolve, reject) => pending.push({ resolve, reject }));
  };
  const settle = (outcome: 'answer' | 'fail'): void => {
    for (const { resolve, reject } of pending.splice(0)) {
      if (outcome === 'answer') resolve({ body: `answer ${asked.length}`, advice: undefined });
      else reject(new Error('Prometheus is down'));
    }
  };
  return { fetch, asked, settle };
}

test('an answer is reused per namespace until it expires; a request during a query shares it', async () => {
  const { fetch, asked, settle } = countingFetch();
  let clock = 1_000_000;
  const cached = cachePrometheusFlows(fetch, { ttlSeconds: 60, now: () => clock });
  const first = cached({ namespace: 'shop' });
  const during = cached({ namespace: 'shop' });
  settle('answer');
  assert.equal(await first, await during, 'one query for both');
  clock += 59_000;
  assert.equal(await cached({ namespace: 'shop' }), await first, 'reused within the minute');
  void cached({ namespace: 'data' });
  void cached({});
  settle('answer');
  assert.deepEqual(asked, ['shop', 'data', '*'], 'each namespace, and the cluster, asked once');
  clock += 2_000;
  const later = cached({ namespace: 'shop' });
  settle('answer');
  assert.notEqual(await later, await first, 'asked again once expired');
  assert.equal(asked.length, 4);
});

test('a failed query is not kept', async () => {
  const { fetch, asked, settle } = countingFetch();
  const cached = cachePrometheusFlows(fetch, { ttlSeconds: 60, now: () => 0 });
  const failing = cached({ namespace: 'data' });
  settle('fail');
  await assert.rejects(failing, /Prometheus is down/);
  const retried = cached({ namespace: 'data' });
  settle('answer');
  assert.equal((await retried).body, 'answer 2');
  assert.equal(asked.length, 2, 'the failure was asked again');
});

test('at most maxEntries answers are kept, the oldest going first', async () => {
  const { fetch, asked, settle } = countingFetch();
  const cached = cachePrometheusFlows(fetch, { ttlSeconds: 60, maxEntries: 2, now: () => 0 });
  for (const namespace of ['a', 'b', 'c', 'c', 'b', 'a']) void cached({ namespace });
  settle('answer');
  // a, b, c asked; c and b still kept; a was dropped for c, so asked again.
  assert.deepEqual(asked, ['a', 'b', 'c', 'a']);
});
