import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RobustBaseline, robustScore, type ScaleFloors } from './robust-baseline';

const NO_FLOORS: ScaleFloors = { relative: 0, absolute: 0, poisson: false };

test('the median and MAD ignore outliers: one huge value moves neither', () => {
  const baseline = new RobustBaseline(9);
  for (const value of [10, 11, 9, 10, 12, 8, 10, 11, 1_000_000]) baseline.add(value);
  const estimate = baseline.estimate(NO_FLOORS, new Float64Array(9));
  assert.equal(estimate.median, 10);
  // |x - 10| sorted: 0 0 0 1 1 1 2 2 999990 -> MAD 1, scale 1.4826
  assert.ok(Math.abs(estimate.scale - 1.4826) < 1e-9, String(estimate.scale));
  assert.ok(robustScore(20, estimate) > 6);
  assert.ok(robustScore(11, estimate) < 1);
});

test('the history is a ring: old values leave it', () => {
  const baseline = new RobustBaseline(3);
  for (const value of [100, 100, 100, 1, 2, 3]) baseline.add(value);
  assert.equal(baseline.size, 3);
  assert.equal(baseline.estimate(NO_FLOORS, new Float64Array(3)).median, 2);
});

test('floors keep a flat history from making every wiggle an anomaly', () => {
  const baseline = new RobustBaseline(5);
  for (let i = 0; i < 5; i++) baseline.add(100);
  const scratch = new Float64Array(5);
  assert.equal(baseline.estimate({ relative: 0.1, absolute: 0, poisson: false }, scratch).scale, 10);
  assert.equal(baseline.estimate({ relative: 0, absolute: 25, poisson: false }, scratch).scale, 25);
  assert.equal(baseline.estimate({ relative: 0, absolute: 0, poisson: true }, scratch).scale, 10);
  const flat = baseline.estimate(NO_FLOORS, scratch);
  assert.ok(flat.scale > 0 && Number.isFinite(robustScore(101, flat)));
});

test('an even history takes the mean of its two middle values', () => {
  const baseline = new RobustBaseline(4);
  for (const value of [1, 2, 3, 4]) baseline.add(value);
  assert.equal(baseline.estimate(NO_FLOORS, new Float64Array(4)).median, 2.5);
});

test('a baseline needs room for a median', () => {
  assert.throws(() => new RobustBaseline(2), /capacity/);
});
