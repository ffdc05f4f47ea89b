/** Small helpers shared by the benchmarks: progress on stderr, forced GC, timing and result lines. */
import { performance } from 'node:perf_hooks';

/** One result line: the only thing the benchmark writes to stdout. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
}

export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

export function problem(message: string): void {
  process.stderr.write(`[bench] PROBLEM: ${message}\n`);
}

/** A full collection; the benchmark needs `node --expose-gc`. */
export function collectGarbage(): void {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('run with node --expose-gc (npm run bench does)');
  gc();
  gc();
}

export function hasGc(): boolean {
  return globalThis.gc !== undefined;
}

/** Milliseconds taken by `task`, after a full GC so one run's garbage is not charged to the next. */
export async function timeMs(task: () => unknown): Promise<number> {
  collectGarbage();
  const start = performance.now();
  await task();
  return performance.now() - start;
}

export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Counts lines of `text` starting with `prefix` without splitting the whole text. */
export function countLinesStartingWith(text: string, prefix: string): number {
  let count = text.startsWith(prefix) ? 1 : 0;
  const needle = `\n${prefix}`;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) count++;
  return count;
}

/** Sums the values of the samples of one family in a text exposition. */
export function sumSamples(text: string, family: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${family}{`) && !line.startsWith(`${family} `)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
