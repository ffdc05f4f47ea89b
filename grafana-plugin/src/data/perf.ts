// User timing marks around the service graph's expensive steps, so that browser tests and the browser's own
// performance tools see them. Some environments (older jsdom) lack mark/measure: then the work just runs.

/**
 * Measures of one name kept in the browser's performance timeline: an animated graph draws 60 times a second and
 * the timeline keeps every entry until cleared. Past this many, the name's measures are cleared and counted anew
 * (tests read the measures right after the interaction they time).
 */
export const MAX_MEASURES = 2000;

const counts = new Map<string, number>();

/**
 * Runs `work` between `<name>:start` and `<name>:end` marks and records the `name` measure between them. The marks
 * are cleared once measured.
 */
export function measured<T>(name: string, work: () => T): T {
  const timing: Partial<Performance> | undefined = typeof performance === 'undefined' ? undefined : performance;
  if (typeof timing?.mark !== 'function' || typeof timing.measure !== 'function') return work();
  const start = `${name}:start`;
  const end = `${name}:end`;
  timing.mark(start);
  const result = work();
  timing.mark(end);
  timing.measure(name, start, end);
  timing.clearMarks?.(start);
  timing.clearMarks?.(end);
  const count = (counts.get(name) ?? 0) + 1;
  counts.set(name, count);
  if (count > MAX_MEASURES) {
    timing.clearMeasures?.(name);
    counts.set(name, 0);
  }
  return result;
}
