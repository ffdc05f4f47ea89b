// User timing marks around the service graph's expensive steps, so that browser tests and the browser's own
// performance tools see them. Some environments (older jsdom) lack mark/measure: then the work just runs.

/** Runs `work` between `<name>:start` and `<name>:end` marks and records the `name` measure between them. */
export function measured<T>(name: string, work: () => T): T {
  const timing: Partial<Performance> | undefined = typeof performance === 'undefined' ? undefined : performance;
  if (typeof timing?.mark !== 'function' || typeof timing.measure !== 'function') return work();
  const start = `${name}:start`;
  const end = `${name}:end`;
  timing.mark(start);
  const result = work();
  timing.mark(end);
  timing.measure(name, start, end);
  return result;
}
