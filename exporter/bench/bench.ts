/**
 * Flowlens benchmarks: `npm run bench` (or `npx tsc -b exporter; node --expose-gc exporter/dist/bench/bench.js`).
 * Progress goes to stderr; stdout gets one JSON object per result, {name, value, unit[, baseline, ratio]}.
 * See docs/benchmarks.md for what each line measures.
 *
 * Options: --lines N (default 200000) sizes the generated Calico log and each L7 log; --keep keeps them (path on stderr);
 * --only ingest|l7|scrape|heap|policy|cluster|conntrack|sockets|anomaly|recommend|browser runs one part (for profiling with
 * --cpu-prof). The sockets part builds real network namespaces: it needs Linux, root and `ip`. The browser part runs
 * the Grafana service graph panel in Debian's `chromium` (test/browser/bench.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateCalicoLog } from './calico-gen';
import { benchAnomaly } from './anomaly';
import { benchBrowser } from './browser';
import { benchCluster } from './cluster';
import { benchConntrack } from './conntrack';
import { benchIngest } from './ingest';
import { benchL7 } from './l7';
import { benchPolicy } from './policy';
import { benchRecommend } from './recommend';
import { benchSockets } from './sockets';
import { benchHeap, benchScrape } from './series';
import { hasGc, problem, progress, type BenchResult } from './util';

const SEED = 20241119;

function option(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index < 0 ? undefined : process.argv[index + 1];
}

async function main(): Promise<void> {
  if (!hasGc()) throw new Error('run with node --expose-gc (npm run bench does)');
  const lines = Number(option('--lines') ?? 200_000);
  if (!Number.isSafeInteger(lines) || lines < 1000) throw new Error('--lines must be a whole number of at least 1000');
  const keep = process.argv.includes('--keep');
  const only = option('--only');
  const parts = [
    'ingest',
    'l7',
    'scrape',
    'heap',
    'policy',
    'cluster',
    'conntrack',
    'sockets',
    'anomaly',
    'recommend',
    'browser',
  ];
  if (only !== undefined && !parts.includes(only)) throw new Error(`--only takes one of ${parts.join(', ')}`);
  const runs = (part: string): boolean => only === undefined || only === part;
  const load = (): string => (os.loadavg()[0] ?? 0).toFixed(2);
  progress(
    `node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), 1-minute load average ${load()}`,
  );

  // Memory first, while the heap holds nothing else.
  const heap = runs('heap') ? await benchHeap() : [];
  const cluster = runs('cluster') ? await benchCluster(SEED) : [];
  const scrape = runs('scrape') ? await benchScrape() : [];
  const policy = runs('policy') ? await benchPolicy(SEED) : [];
  const sockets = runs('sockets') ? await benchSockets() : [];
  const anomaly = runs('anomaly') ? benchAnomaly() : [];
  const recommend = runs('recommend') ? await benchRecommend(SEED) : [];
  const browser = runs('browser') ? await benchBrowser() : [];
  if (!runs('ingest') && !runs('l7') && !runs('conntrack')) {
    for (const result of [...scrape, ...heap, ...policy, ...cluster, ...sockets, ...anomaly, ...recommend, ...browser])
      process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }

  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-bench-'));
  try {
    const ingest: BenchResult[] = [];
    if (runs('ingest')) {
      progress(`generating ${lines} Calico flow log lines in ${directory}`);
      const log = generateCalicoLog(path.join(directory, 'flows.log'), lines, SEED);
      const warmup = generateCalicoLog(
        path.join(directory, 'warmup.log'),
        Math.max(1000, Math.round(lines / 10)),
        SEED + 1,
      );
      progress(
        `  ${log.lines} lines, ${(log.fileBytes / 1e6).toFixed(1)} MB (${Math.round(log.fileBytes / log.lines)} bytes/line), ` +
          `${log.workloads} workloads, ${log.edgesUsed} of ${log.edges} edges used`,
      );
      ingest.push(await benchIngest(log, warmup));
      if (!keep) {
        fs.rmSync(log.path, { force: true });
        fs.rmSync(warmup.path, { force: true });
      }
    }
    const l7 = runs('l7') ? await benchL7(directory, lines, SEED, keep) : [];
    const conntrack = runs('conntrack') ? await benchConntrack(directory, SEED) : [];
    progress(`done; 1-minute load average ${load()} (other processes on the machine make the timings noisy)`);
    const results: BenchResult[] = [
      ...ingest,
      ...l7,
      ...conntrack,
      ...scrape,
      ...heap,
      ...policy,
      ...cluster,
      ...sockets,
      ...anomaly,
      ...recommend,
      ...browser,
    ];
    for (const result of results) process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    if (keep) progress(`kept ${directory}`);
    else fs.rmSync(directory, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  problem(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
