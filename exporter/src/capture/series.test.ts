import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsRegistry, SelfMetrics } from '../metrics/registry';
import { FlowAggregator } from '../metrics/flow-aggregator';
import { CAPTURE_SERIES_BUDGET, CaptureSeries, type CaptureSeriesInput } from './series';

const HOUR = 3_600_000;
const FAMILY = 'flowlens_capture_info';

function capture(name: string, state: string, bytes = 0, packets = 0, namespace = 'shop'): CaptureSeriesInput {
  return { namespace, name, status: { state, bytes, packets } };
}

function exposition(metrics: SelfMetrics): string[] {
  return new MetricsRegistry(new FlowAggregator(), metrics, () => 0)
    .render('prometheus')
    .split('\n')
    .filter((line) => line.startsWith('flowlens_capture_info{') || line.startsWith('flowlens_capture_node_'));
}

test('one info series per capture with its state, and its totals on this node; a state change replaces the series', () => {
  const metrics = new SelfMetrics();
  const series = new CaptureSeries(metrics, 'node-a');
  series.update([capture('web', 'WaitingForTraffic'), { namespace: 'shop', name: 'elsewhere', status: undefined }], 0);
  assert.deepEqual(exposition(metrics), [
    'flowlens_capture_info{namespace="shop",name="web",node="node-a",state="WaitingForTraffic"} 1',
    'flowlens_capture_node_bytes{namespace="shop",name="web",node="node-a"} 0',
    'flowlens_capture_node_packets{namespace="shop",name="web",node="node-a"} 0',
  ]);
  series.update([capture('web', 'Capturing', 2048, 12)], 1000);
  assert.deepEqual(exposition(metrics), [
    'flowlens_capture_info{namespace="shop",name="web",node="node-a",state="Capturing"} 1',
    'flowlens_capture_node_bytes{namespace="shop",name="web",node="node-a"} 2048',
    'flowlens_capture_node_packets{namespace="shop",name="web",node="node-a"} 12',
  ]);
  assert.equal(metrics.seriesActive.get([FAMILY]), 1);
  assert.equal(metrics.seriesBudget.get([FAMILY]), CAPTURE_SERIES_BUDGET);
  // Deleted: every series of the capture goes at once.
  series.update([], 2000);
  assert.deepEqual(exposition(metrics), []);
  assert.equal(metrics.seriesActive.get([FAMILY]), 0);
});

test('a finished capture keeps its series for the TTL, then they go and do not come back', () => {
  const metrics = new SelfMetrics();
  const series = new CaptureSeries(metrics, 'node-a', { ttlMs: HOUR });
  series.update([capture('web', 'Capturing', 10, 1)], 0);
  series.update([capture('web', 'Finished', 100, 5)], 1000);
  series.update([capture('web', 'Finished', 100, 5)], 1000 + HOUR - 1);
  assert.equal(metrics.captureInfo.get(['shop', 'web', 'node-a', 'Finished']), 1);
  series.update([capture('web', 'Finished', 100, 5)], 1000 + HOUR);
  assert.deepEqual(exposition(metrics), []);
  assert.equal(metrics.seriesEvicted.get([FAMILY]), 1);
  series.update([capture('web', 'Finished', 100, 5)], 2000 + HOUR);
  assert.deepEqual(exposition(metrics), []);
  // Deleted and created again under the same name: shown again.
  series.update([], 3000 + HOUR);
  series.update([capture('web', 'Scheduled')], 4000 + HOUR);
  assert.equal(metrics.captureInfo.get(['shop', 'web', 'node-a', 'Scheduled']), 1);
});

test('the budget holds against thousands of captures: finished ones give way, running ones beyond it get no series', () => {
  const metrics = new SelfMetrics();
  const budget = CAPTURE_SERIES_BUDGET;
  const series = new CaptureSeries(metrics, 'node-a');
  // A flood of finished captures: at most the budget has series.
  const finished = Array.from({ length: 5 * budget }, (_value, index) =>
    capture(`done-${index}`, 'Finished', index, 1, `ns-${index % 7}`),
  );
  series.update(finished, 0);
  assert.equal(series.size(), budget);
  assert.equal(metrics.captureInfo.size(), budget);
  assert.equal(metrics.captureNodeBytes.size(), budget);
  assert.equal(metrics.captureNodePackets.size(), budget);
  // New running captures take the places of finished ones, the longest finished first.
  const running = Array.from({ length: 50 }, (_value, index) => capture(`run-${index}`, 'Capturing', 1, 1));
  series.update([...finished, ...running], 1000);
  assert.equal(series.size(), budget);
  for (let index = 0; index < 50; index++) {
    assert.equal(metrics.captureInfo.get(['shop', `run-${index}`, 'node-a', 'Capturing']), 1);
  }
  // More running captures than the budget: the series stay within it; the refused ones are counted once each.
  const flood = Array.from({ length: 3 * budget }, (_value, index) => capture(`flood-${index}`, 'Capturing', 1, 1));
  for (let round = 0; round < 3; round++) series.update([...finished, ...running, ...flood], 2000 + round);
  assert.equal(series.size(), budget);
  assert.equal(metrics.captureInfo.size(), budget);
  assert.equal(metrics.captureNodeBytes.size(), budget);
  assert.equal(metrics.seriesActive.get([FAMILY]), budget);
  const shownFlood = budget - 50;
  assert.equal(metrics.seriesOverflow.get([FAMILY]), 3 * budget - shownFlood + 4 * budget);
  // Everything deleted: nothing left.
  series.update([], 5000);
  assert.equal(metrics.captureInfo.size(), 0);
  assert.equal(metrics.captureNodeBytes.size(), 0);
  assert.equal(metrics.captureNodePackets.size(), 0);
});

test('clear removes every series', () => {
  const metrics = new SelfMetrics();
  const series = new CaptureSeries(metrics, 'node-a');
  series.update([capture('a', 'Capturing'), capture('b', 'Error')], 0);
  series.clear();
  assert.equal(metrics.captureInfo.size(), 0);
  assert.equal(metrics.seriesActive.get([FAMILY]), 0);
});
