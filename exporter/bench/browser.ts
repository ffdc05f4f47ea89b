/**
 * Part `browser`: the Grafana service graph panel at 1,000 nodes and 5,000 edges in Debian's headless Chromium. The
 * browser machinery lives with the browser test (test/browser/), so this part runs its compiled bench script
 * (`npm run bench` builds it with everything else) and passes its result lines on.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { progress, type BenchResult } from './util';

/** From exporter/dist/bench/ to the repository root. */
const BROWSER_BENCH = path.resolve(__dirname, '..', '..', '..', 'test', 'dist', 'browser', 'bench.js');

export async function benchBrowser(): Promise<BenchResult[]> {
  if (!existsSync(BROWSER_BENCH)) throw new Error(`${BROWSER_BENCH} is missing: run \`npm run build\` first`);
  progress('browser: the service graph panel in headless Chromium (test/browser/bench.ts)');
  const child = spawn(process.execPath, [BROWSER_BENCH], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (stdout += chunk));
  const code = await new Promise<number | null>((resolveExit, rejectExit) => {
    child.once('error', rejectExit);
    child.once('close', resolveExit);
  });
  if (code !== 0) throw new Error(`the browser bench failed (exit ${code})`);
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as BenchResult);
}
