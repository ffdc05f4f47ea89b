/**
 * A robust baseline of one series: the median and the median absolute deviation (MAD) of its last values, and the
 * robust z-score of a new value against them.
 *
 * Why a trailing median/MAD and not a mean and standard deviation: an incident is a burst of outliers, and the
 * median and the MAD ignore up to half of their window being outliers, so a 10-minute incident neither hides itself
 * (its own values do not drag the baseline up) nor leaves a lasting trace (the window forgets it). Why a trailing
 * window: it (an hour of active windows by default) follows the daily shape as it goes, needs no training data and
 * no day of history, and costs one small sort per series and window; the daily curve moves by a few percent in that
 * time, which the relative floor of the scale absorbs. What it cannot know is a peak that comes back at the same time
 * every day (a nightly batch job): the time-of-day profile (seasonal-profile.ts) learns those, and the detector
 * alarms only on values anomalous against both.
 */

/** Scale floors: the scale is never below any of them, so a perfectly flat history does not make every wiggle infinite. */
export interface ScaleFloors {
  /** A fraction of the median: a 10% move of a steady series is not news. */
  relative: number;
  /** In the series' unit: below this, differences are noise (a few flows, a few milliseconds). */
  absolute: number;
  /** Counts: at least the Poisson deviation, the square root of the median. */
  poisson: boolean;
}

/** 1.4826 × MAD estimates the standard deviation of normally distributed values, so scores read as z-scores. */
const MAD_TO_SIGMA = 1.4826;
/** The smallest scale: scores of a flat series without floors stay finite. */
const MIN_SCALE = 1e-9;

export interface BaselineEstimate {
  median: number;
  /** The score's denominator: max(1.4826 × MAD, the floors). */
  scale: number;
}

export class RobustBaseline {
  private readonly history: Float64Array;
  private filled = 0;
  private next = 0;

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 3)
      throw new Error(`baseline capacity must be >= 3, got ${capacity}`);
    this.history = new Float64Array(capacity);
  }

  /** Values learnt so far (at most the capacity). */
  get size(): number {
    return this.filled;
  }

  add(value: number): void {
    this.history[this.next] = value;
    this.next = (this.next + 1) % this.capacity;
    if (this.filled < this.capacity) this.filled++;
  }

  /**
   * Median and scale of the history. `scratch` (at least `capacity` long) is sorted in place so that estimating
   * allocates nothing; one scratch array serves every baseline of a detector.
   */
  estimate(floors: ScaleFloors, scratch: Float64Array): BaselineEstimate {
    const n = this.filled;
    if (n === 0) return { median: 0, scale: Math.max(floors.absolute, MIN_SCALE) };
    const values = scratch.subarray(0, n);
    values.set(this.history.subarray(0, n));
    values.sort();
    const median = middle(values);
    for (let i = 0; i < n; i++) values[i] = Math.abs(values[i]! - median);
    values.sort();
    return { median, scale: robustScale(median, middle(values), floors) };
  }
}

/** The score's denominator for a median and a MAD: max(1.4826 × MAD, the floors). */
export function robustScale(median: number, mad: number, floors: ScaleFloors): number {
  return Math.max(
    MAD_TO_SIGMA * mad,
    floors.relative * Math.abs(median),
    floors.absolute,
    floors.poisson ? Math.sqrt(Math.max(median, 1)) : 0,
    MIN_SCALE,
  );
}

/** The median of sorted values. */
function middle(sorted: Float64Array): number {
  const n = sorted.length;
  const half = n >> 1;
  return n % 2 === 1 ? sorted[half]! : (sorted[half - 1]! + sorted[half]!) / 2;
}

/** The robust z-score of `value`: how many scales above the median it is (negative below). */
export function robustScore(value: number, estimate: BaselineEstimate): number {
  return (value - estimate.median) / estimate.scale;
}
