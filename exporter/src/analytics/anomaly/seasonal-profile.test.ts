import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_SEASONAL_PROFILE_OPTIONS,
  SeasonalProfile,
  validateSeasonalProfileOptions,
  type SeasonalProfileOptions,
} from './seasonal-profile';
import { robustScore, type ScaleFloors } from './robust-baseline';

const DAY = 86_400;
const MINUTE = 60;
/** 2026-01-05T00:00:00Z. */
const MIDNIGHT = 1_767_571_200;
const BYTE_FLOORS: ScaleFloors = { relative: 0.35, absolute: 1, poisson: false };
const WINDOWS_PER_BUCKET = 30;

function profile(options: Partial<SeasonalProfileOptions> = {}): SeasonalProfile {
  return new SeasonalProfile({ ...DEFAULT_SEASONAL_PROFILE_OPTIONS, ...options }, WINDOWS_PER_BUCKET);
}

/** Feeds whole days minute by minute: `valueAt` gives the minute's value, or undefined when the series is absent. */
function feedDays(
  target: SeasonalProfile,
  fromDay: number,
  days: number,
  valueAt: (minuteOfDay: number) => number | undefined,
): void {
  for (let day = fromDay; day < fromDay + days; day++) {
    for (let minute = 0; minute < 1440; minute++) {
      const value = valueAt(minute);
      if (value !== undefined) target.add(MIDNIGHT + day * DAY + minute * MINUTE, value);
    }
  }
}

/** 100 all day, 1,000 from 02:00 to 02:45 (a nightly backup). */
const nightlyBackup = (minute: number): number => (minute >= 120 && minute < 165 ? 1000 : 100 + (minute % 7));

test('memory is bounded: the arrays are allocated once, 792 bytes at the defaults, whatever the days fed', () => {
  assert.equal(SeasonalProfile.arrayBytes(DEFAULT_SEASONAL_PROFILE_OPTIONS, WINDOWS_PER_BUCKET), 792);
  assert.equal(SeasonalProfile.arrayBytes(DEFAULT_SEASONAL_PROFILE_OPTIONS, WINDOWS_PER_BUCKET, true), 1368);
  const learning = profile();
  feedDays(learning, 0, 10, nightlyBackup);
  // Ten days fed, three remembered per bucket.
  assert.equal(learning.daysLearnt(MIDNIGHT + 10 * DAY + 130 * MINUTE), 3);
});

test('a daily peak is learnt in two days: no judgement before, the peak normal after', () => {
  const learning = profile();
  const atBackup = (day: number): number => MIDNIGHT + day * DAY + 130 * MINUTE;
  assert.equal(learning.estimate(atBackup(0), BYTE_FLOORS), undefined, 'nothing learnt: the trailing baseline decides');
  feedDays(learning, 0, 1, nightlyBackup);
  assert.equal(learning.estimate(atBackup(1), BYTE_FLOORS), undefined, 'one day is not enough');
  feedDays(learning, 1, 1, nightlyBackup);
  const estimate = learning.estimate(atBackup(2), BYTE_FLOORS);
  assert.ok(estimate !== undefined);
  assert.equal(estimate.median, 1000);
  assert.ok(robustScore(1000, estimate) < 1, 'the backup is normal at 02:10');
  assert.ok(robustScore(1200, estimate) < 6, 'a somewhat bigger backup too');
  // At 14:00 the profile knows the day level, so a backup-sized value there is anomalous.
  const afternoon = learning.estimate(MIDNIGHT + 2 * DAY + 14 * 3600, BYTE_FLOORS);
  assert.ok(afternoon !== undefined);
  assert.ok(afternoon.median < 110, String(afternoon.median));
  assert.ok(robustScore(1000, afternoon) > 6);
});

test('jobs do not start on bucket boundaries: the neighbouring buckets count, farther ones do not', () => {
  const learning = profile();
  feedDays(learning, 0, 2, nightlyBackup);
  const at = (hour: number, minute: number): number => MIDNIGHT + 2 * DAY + hour * 3600 + minute * MINUTE;
  // The backup fills the 02:00 bucket; it covers only half of the 02:30 one, whose lower median is the usual 100.
  // From 01:30 to 03:00 the 02:00 bucket is a neighbour; from 03:00 on it is not.
  for (const [hour, minute] of [
    [1, 35],
    [1, 55],
    [2, 40],
    [2, 55],
  ] as const) {
    const estimate = learning.estimate(at(hour, minute), BYTE_FLOORS);
    assert.ok(estimate !== undefined && estimate.median === 1000, `${hour}:${minute} ${JSON.stringify(estimate)}`);
  }
  for (const [hour, minute] of [
    [1, 20],
    [3, 10],
  ] as const) {
    const estimate = learning.estimate(at(hour, minute), BYTE_FLOORS);
    assert.ok(estimate !== undefined && estimate.median < 110, `${hour}:${minute} ${JSON.stringify(estimate)}`);
  }
});

test('one unusual day moves nothing once three are remembered', () => {
  const learning = profile();
  feedDays(learning, 0, 3, nightlyBackup);
  // Day 3: an incident covers 14:00 to 15:00.
  feedDays(learning, 3, 1, (minute) => (minute >= 840 && minute < 900 ? 5000 : nightlyBackup(minute)));
  const estimate = learning.estimate(MIDNIGHT + 4 * DAY + 14 * 3600 + 10 * MINUTE, BYTE_FLOORS);
  assert.ok(estimate !== undefined && estimate.median < 110, JSON.stringify(estimate));
  assert.ok(robustScore(5000, estimate) > 6, 'the same incident the next day still alarms');
});

test('windows without a value count as lower than any: a burst that brings its own volume is not learnt', () => {
  // A ratio judged only with enough volume: at night the usual traffic is judged in 10 windows of a bucket, and a
  // 12-minute storm (which makes its own volume) in 12 more. The storm is most of the values, not most of the bucket.
  const learning = profile();
  feedDays(learning, 0, 2, (minute) => {
    const inBucket = minute % 30;
    if (minute < 180 || minute >= 210) return 0.5;
    if (inBucket >= 18) return 0.99;
    return inBucket < 10 ? 0.5 : undefined;
  });
  const estimate = learning.estimate(MIDNIGHT + 2 * DAY + 3 * 3600 + 20 * MINUTE, {
    relative: 0.05,
    absolute: 0.05,
    poisson: false,
  });
  assert.ok(estimate !== undefined);
  assert.ok(robustScore(0.99, estimate) > 6, JSON.stringify(estimate));
});

test('an intermittent series (a few windows of every bucket) has a zero profile that excuses nothing', () => {
  const learning = profile();
  feedDays(learning, 0, 2, (minute) => (minute % 15 < 2 ? 40 : undefined));
  const estimate = learning.estimate(MIDNIGHT + 2 * DAY + 10 * 3600, { relative: 0.25, absolute: 3, poisson: true });
  assert.ok(estimate !== undefined);
  assert.equal(estimate.median, 0);
  assert.ok(robustScore(40, estimate) > 6);
});

test('the usual low: what a series had in nine windows of ten, zero where it is often absent or next to it', () => {
  assert.equal(profile().usualLow(MIDNIGHT), undefined, 'no lows kept');
  const learning = new SeasonalProfile(DEFAULT_SEASONAL_PROFILE_OPTIONS, WINDOWS_PER_BUCKET, true);
  // 100 to 106 by day; from 20:00 present in one window of three only.
  feedDays(learning, 0, 2, (minute) => (minute < 1200 ? 100 + (minute % 7) : minute % 3 === 0 ? 100 : undefined));
  const at = (minute: number): number | undefined => learning.usualLow(MIDNIGHT + 2 * DAY + minute * MINUTE);
  assert.equal(at(600), 100);
  assert.equal(at(1185), 0, 'next to the evening, when it is mostly absent');
  assert.equal(at(1300), 0);
  assert.equal(learning.usualLow(MIDNIGHT + 5 * DAY + 600 * MINUTE), 100, 'days not fed change nothing');
});

test('buckets are UTC and the same every day of the year, daylight saving time or not', () => {
  const learning = profile();
  const utc = (iso: string): number => Date.parse(iso) / 1000;
  // The nights the clocks change in Europe and the US: 01:30 UTC is bucket 3 on each of them and the days around.
  for (const iso of [
    '2026-03-28T01:30:00Z',
    '2026-03-29T01:30:00Z',
    '2026-03-08T01:30:00Z',
    '2026-10-25T01:30:00Z',
    '2026-11-01T01:59:59Z',
  ]) {
    assert.equal(learning.bucketOf(utc(iso)), 3, iso);
  }
  assert.equal(learning.bucketOf(utc('2026-06-01T00:00:00Z')), 0);
  assert.equal(learning.bucketOf(utc('2026-06-01T23:59:59Z')), 47);
});

test('options that cannot work are refused, naming the field', () => {
  const check = (options: Partial<SeasonalProfileOptions>, field: string): void =>
    assert.throws(
      () => validateSeasonalProfileOptions({ ...DEFAULT_SEASONAL_PROFILE_OPTIONS, ...options }),
      new RegExp(field),
    );
  check({ buckets: 7 }, 'profileBuckets');
  check({ days: 0 }, 'profileDays');
  check({ days: 256 }, 'profileDays');
  check({ minDays: 4 }, 'profileMinDays');
  check({ minDays: 0 }, 'profileMinDays');
  assert.throws(() => new SeasonalProfile(DEFAULT_SEASONAL_PROFILE_OPTIONS, 0), /value per bucket/);
});
