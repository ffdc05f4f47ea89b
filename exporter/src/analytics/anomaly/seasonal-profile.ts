/**
 * A learnt time-of-day profile of one series: what its level usually is at each time of the (UTC) day, so a peak
 * that comes back every day (a nightly backup, a batch job, an index rollover) is recognised as normal for its hour,
 * while the same values at another hour stay anomalous. The detector (detector.ts) alarms only on values anomalous
 * against both the trailing baseline (robust-baseline.ts) and this profile.
 *
 * The day is cut into `buckets` buckets (48: half hours). Each bucket remembers, for each of its last `days` days (3),
 * the median of the series' values over all of the bucket's windows that day: its typical level at that time of day,
 * not its peak, so a short incident that happens to recur at the same minute (under half a bucket, 15 minutes) is not
 * learnt as normal, while a daily job of half an hour or more always covers at least half of some bucket and is. A
 * window without a value (the series absent, or a ratio with too few requests to judge) counts as lower than any
 * value: for counts that is their true value, zero, so an intermittent CronJob edge's profile is zero and never
 * excuses anything (its trailing baseline already learns only its active windows); for ratios it keeps an incident
 * that brings its own volume (an NXDOMAIN storm in the quiet night, when the usual queries are too few to be judged)
 * from passing for the bucket's usual level just because only its windows had a value. The bucket's level is the
 * lower median of its remembered days, and its spread their median absolute deviation (MAD) from it: with two days
 * the smaller of the two, so a peak must have come on both to be normal, and from three days on one unusual day (an
 * incident, a holiday) moves neither. Why a median of recent days and not an exponentially weighted estimate: an
 * exponentially weighted level must trade how fast it learns a new daily job against how much one incident moves it;
 * the median of three days learns a new job in two days and ignores one bad day, with no rate to tune.
 *
 * No training data: a bucket judges nothing until it has learnt `minDays` days; until then the trailing baseline
 * alone decides. Jobs do not start on bucket boundaries, so a value is judged against the highest-level bucket among
 * its own and its two neighbours (each must have learnt `minDays` days, its own bucket included): a job that starts
 * a few minutes early or overruns into the next half hour is still the job.
 *
 * Time of day is the window's own (record) time in Unix seconds, which has no daylight saving time: a bucket is
 * `floor(t / bucketSeconds) mod buckets`, the same every day of the year.
 *
 * For downward anomalies (a busy edge going quiet) a profile can also keep each bucket-day's low: the 10th percentile
 * of its windows, absent windows counting as zero. `usualLow` is the lower median of those days, and the smallest of
 * the window's own and neighbouring buckets (a neighbour that has not learnt its days counts as zero): the flows the
 * series had in nine windows of ten, at this time of day, on most recent days. Only a series present nearly all the
 * time has a low above zero, so an intermittent series never looks vanished between its runs.
 *
 * Memory is bounded and allocated only when the detector decides a series has lived long enough (a full trailing
 * history): one Float32 per bucket and day (two with lows), two bytes per bucket for the ring, and one Float32 per
 * window of the current bucket (the values whose median that day's entry becomes). At 48 buckets, 3 days and
 * 60-second windows: 576 + 96 + 120 = 792 bytes of arrays a series, 1,368 with lows (`SeasonalProfile.arrayBytes`).
 */
import { robustScale, type BaselineEstimate, type ScaleFloors } from './robust-baseline';

export interface SeasonalProfileOptions {
  /** Buckets a UTC day is cut into; must divide 86,400 seconds. */
  buckets: number;
  /** Days each bucket remembers. */
  days: number;
  /** Days a bucket must have learnt before it judges. */
  minDays: number;
}

export const DEFAULT_SEASONAL_PROFILE_OPTIONS: Readonly<SeasonalProfileOptions> = Object.freeze({
  buckets: 48,
  days: 3,
  minDays: 2,
});

const DAY_SECONDS = 86_400;
/** Most days a bucket may remember: the ring's position is a byte. */
const MAX_DAYS = 255;

/** Checks profile options, naming the field and the fix. */
export function validateSeasonalProfileOptions(options: SeasonalProfileOptions): void {
  const { buckets, days, minDays } = options;
  if (!Number.isSafeInteger(buckets) || buckets < 1 || DAY_SECONDS % buckets !== 0) {
    throw new Error(`anomaly: profileBuckets must be a whole number dividing 86400 (e.g. 24 or 48), got ${buckets}`);
  }
  if (!Number.isSafeInteger(days) || days < 1 || days > MAX_DAYS) {
    throw new Error(`anomaly: profileDays must be a whole number from 1 to ${MAX_DAYS}, got ${days}`);
  }
  if (!Number.isSafeInteger(minDays) || minDays < 1 || minDays > days) {
    throw new Error(`anomaly: profileMinDays must be a whole number from 1 to profileDays (${days}), got ${minDays}`);
  }
}

/** Sorting room for a bucket's remembered days: shared, since estimating never nests. */
const dayScratch = new Float64Array(MAX_DAYS);

export class SeasonalProfile {
  private readonly bucketSeconds: number;
  /** Per bucket, `days` slots: that day's median of the bucket's values. */
  private readonly levels: Float32Array;
  /** Per bucket, `days` slots: that day's 10th percentile of the bucket's windows (absent ones zero); empty without. */
  private readonly lows: Float32Array;
  /** Per bucket, days learnt (at most `days`). */
  private readonly learnt: Uint8Array;
  /** Per bucket, the slot the next day goes into (a ring). */
  private readonly nextSlot: Uint8Array;
  /** The current bucket's values today; its length is the bucket's windows. */
  private readonly pending: Float32Array;
  private pendingCount = 0;
  /** The bucket the pending values belong to, counted from the epoch (not modulo the day); -1: none yet. */
  private pendingBucket = -1;

  /**
   * `valuesPerBucket`: the most values a bucket gets in a day (bucket length / window length); `withLows`: keep the
   * bucket-days' lows too (for `usualLow`).
   */
  constructor(
    readonly options: SeasonalProfileOptions,
    valuesPerBucket: number,
    withLows = false,
  ) {
    validateSeasonalProfileOptions(options);
    if (!Number.isSafeInteger(valuesPerBucket) || valuesPerBucket < 1) {
      throw new Error(`anomaly: a profile needs at least one value per bucket, got ${valuesPerBucket}`);
    }
    this.bucketSeconds = DAY_SECONDS / options.buckets;
    this.levels = new Float32Array(options.buckets * options.days);
    this.lows = new Float32Array(withLows ? options.buckets * options.days : 0);
    this.learnt = new Uint8Array(options.buckets);
    this.nextSlot = new Uint8Array(options.buckets);
    this.pending = new Float32Array(valuesPerBucket);
  }

  /** Bytes of the profile's arrays for these options: what a series with a profile costs beyond its baseline. */
  static arrayBytes(options: SeasonalProfileOptions, valuesPerBucket: number, withLows = false): number {
    return options.buckets * options.days * 4 * (withLows ? 2 : 1) + options.buckets * 2 + valuesPerBucket * 4;
  }

  /** The bucket of the day holding `time` (Unix seconds, UTC). */
  bucketOf(time: number): number {
    const buckets = this.options.buckets;
    return ((Math.floor(time / this.bucketSeconds) % buckets) + buckets) % buckets;
  }

  /** Days the bucket holding `time` has learnt. */
  daysLearnt(time: number): number {
    this.roll(time);
    return this.learnt[this.bucketOf(time)]!;
  }

  /** Learns `value` at `time` (the window's start). Times must not go backwards. */
  add(time: number, value: number): void {
    this.roll(time);
    // More values than windows in a bucket only if windows shrank: the first ones stand for the bucket.
    if (this.pendingCount < this.pending.length) this.pending[this.pendingCount++] = value;
  }

  /**
   * The profile's level and scale at `time`, or undefined while its bucket has learnt fewer than `minDays` days
   * (then the trailing baseline alone decides). The scale is the spread between days, floored as the trailing
   * baseline's is, so a value a quarter or so above a learnt peak is not news either.
   */
  estimate(time: number, floors: ScaleFloors): BaselineEstimate | undefined {
    this.roll(time);
    const { buckets, minDays } = this.options;
    const own = this.bucketOf(time);
    if (this.learnt[own]! < minDays) return undefined;
    let best: { level: number; mad: number } | undefined;
    for (const bucket of [(own + buckets - 1) % buckets, own, (own + 1) % buckets]) {
      if (this.learnt[bucket]! < minDays) continue;
      const candidate = this.bucketLevel(bucket);
      if (best === undefined || candidate.level > best.level) best = candidate;
    }
    const { level, mad } = best!;
    return { median: level, scale: robustScale(level, mad, floors) };
  }

  /**
   * The flows (or whatever the series counts) it had in nine windows of ten at this time of day on most recent days:
   * the smallest lower median of the days' lows among the window's own bucket and its neighbours, a bucket without
   * `minDays` days counting as zero. Undefined without lows, or while the own bucket has not learnt its days.
   */
  usualLow(time: number): number | undefined {
    this.roll(time);
    const { buckets, minDays } = this.options;
    const own = this.bucketOf(time);
    if (this.lows.length === 0 || this.learnt[own]! < minDays) return undefined;
    let lowest = Infinity;
    for (const bucket of [(own + buckets - 1) % buckets, own, (own + 1) % buckets]) {
      lowest = Math.min(lowest, this.learnt[bucket]! < minDays ? 0 : this.lowerMedianOfDays(this.lows, bucket));
    }
    return lowest;
  }

  private lowerMedianOfDays(values: Float32Array, bucket: number): number {
    const n = this.learnt[bucket]!;
    const days = dayScratch.subarray(0, n);
    days.set(values.subarray(bucket * this.options.days, bucket * this.options.days + n));
    days.sort();
    return days[(n - 1) >> 1]!;
  }

  /** The lower median of a bucket's remembered days, and their lower-median absolute deviation from it. */
  private bucketLevel(bucket: number): { level: number; mad: number } {
    const n = this.learnt[bucket]!;
    const days = dayScratch.subarray(0, n);
    days.set(this.levels.subarray(bucket * this.options.days, bucket * this.options.days + n));
    days.sort();
    const lower = (n - 1) >> 1;
    const level = days[lower]!;
    for (let i = 0; i < n; i++) days[i] = Math.abs(days[i]! - level);
    days.sort();
    return { level, mad: days[lower]! };
  }

  /**
   * Closes the pending bucket when `time` is in another one: the (lower) median of its windows, those without a value
   * counting as lower than any, becomes one of its days (zero when the series had values in half its windows or
   * fewer).
   */
  private roll(time: number): void {
    const absolute = Math.floor(time / this.bucketSeconds);
    if (absolute === this.pendingBucket) return;
    if (this.pendingCount > 0) {
      const missing = this.pending.length - this.pendingCount;
      const values = this.pending.subarray(0, this.pendingCount);
      values.sort();
      // The value at a rank of all the bucket's windows, the absent ones below every value.
      const atRank = (rank: number): number => (rank >= missing ? values[rank - missing]! : 0);
      const bucket = this.bucketOf(this.pendingBucket * this.bucketSeconds);
      const slot = this.nextSlot[bucket]!;
      this.levels[bucket * this.options.days + slot] = atRank((this.pending.length - 1) >> 1);
      if (this.lows.length > 0) {
        this.lows[bucket * this.options.days + slot] = atRank(Math.floor((this.pending.length - 1) / 10));
      }
      this.nextSlot[bucket] = (slot + 1) % this.options.days;
      if (this.learnt[bucket]! < this.options.days) this.learnt[bucket] = this.learnt[bucket]! + 1;
    }
    this.pendingBucket = absolute;
    this.pendingCount = 0;
  }
}
