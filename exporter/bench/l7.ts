/**
 * ingest_coredns_records_per_s, ingest_envoy_records_per_s, ingest_calico_dns_records_per_s: the whole replay
 * path (buildExporter(loadConfig({sources: ['KIND:FILE']}), 'replay'), as ingest.ts runs it for Calico flows)
 * over a generated log of each format, against a bare parse of the same lines in the same run:
 *
 * - calico-dns: JSON.parse of each line;
 * - coredns: one regular expression match per line that extracts every field of a query line;
 * - envoy: per line, JSON.parse for an Istio JSON line, else one regular expression match extracting every
 *   field of Envoy's default text format (told apart by the first character, as the decoder does).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MemoryLogger } from '../src/log';
import type { MetricsRegistry } from '../src/metrics/registry';
import { generateCalicoDnsLog, generateCorednsLog, generateEnvoyLog, type GeneratedL7Log } from './l7-gen';
import { problem, progress, round, sumSamples, timeMs, type BenchResult } from './util';

interface Rig {
  run(): Promise<void>;
  stop(): Promise<void>;
  readonly registry: MetricsRegistry;
  readonly logger: MemoryLogger;
}

type RigFactory = (kind: string, file: string) => Promise<Rig>;

async function exporterFactory(): Promise<RigFactory> {
  const [{ buildExporter }, { loadConfig }, { MemoryLogger }] = await Promise.all([
    import('../src/exporter'),
    import('../src/config'),
    import('../src/log'),
  ]);
  return async (kind, file) => {
    const logger = new MemoryLogger();
    const config = loadConfig({ configFile: undefined, environment: {}, flags: { sources: [`${kind}:${file}`] } });
    const exporter = await buildExporter(config, 'replay', logger);
    const source = exporter.sources[0];
    if (source === undefined || exporter.sources.length !== 1) throw new Error('expected exactly one source');
    return { run: () => source.start(), stop: () => source.stop(), registry: exporter.registry, logger };
  };
}

// CoreDNS `log` plugin default format: remote - id "type class name proto size do bufsize" rcode flags rsize duration
const COREDNS_LINE =
  /^\[(\w+)\] (\S+):(\d+) - (\d+) "(\S+) (\S+) (\S+) (\S+) (\d+) (\S+) (\d+)" (\S+) (\S+) (\d+) (\S+)$/;
// Envoy default text format with the six trailing fields. The user agent may hold quotes (Envoy does not escape
// them), so it is `.*` between the quoted X-FORWARDED-FOR and the three quoted fields after it.
const ENVOY_TEXT_LINE =
  /^\[([^\]]+)\] "(\S+) (\S+) (\S+)" (\d+) (\S+) (\d+) (\d+) (\d+) (\S+) "([^"]*)" "(.*)" "([^"]*)" "([^"]*)" "([^"]*)" (\S+) (\S+) (\S+) (\S+) (\S+) (\S+)$/;

/** The bare parse of one format: returns how many lines it parsed, so the work cannot be skipped. */
type BareParse = (lines: readonly string[]) => number;

const parseJsonLines: BareParse = (lines) => {
  let parsed = 0;
  for (let i = 0; i < lines.length; i++) {
    const value: unknown = JSON.parse(lines[i]!);
    if (typeof value === 'object' && value !== null) parsed++;
  }
  return parsed;
};

const parseCorednsLines: BareParse = (lines) => {
  let parsed = 0;
  for (let i = 0; i < lines.length; i++) if (COREDNS_LINE.exec(lines[i]!) !== null) parsed++;
  return parsed;
};

const parseEnvoyLines: BareParse = (lines) => {
  let parsed = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.charCodeAt(0) === 123 /* { */) {
      const value: unknown = JSON.parse(line);
      if (typeof value === 'object' && value !== null) parsed++;
    } else if (ENVOY_TEXT_LINE.exec(line) !== null) parsed++;
  }
  return parsed;
};

interface Format {
  kind: string;
  name: string;
  counter: 'flowlens_dns_requests_total' | 'flowlens_http_requests_total';
  baselineLabel: string;
  generate: (file: string, lines: number, seed: number) => GeneratedL7Log;
  parse: BareParse;
}

const FORMATS: readonly Format[] = [
  {
    kind: 'coredns',
    name: 'ingest_coredns_records_per_s',
    counter: 'flowlens_dns_requests_total',
    baselineLabel: 'regex match',
    generate: generateCorednsLog,
    parse: parseCorednsLines,
  },
  {
    kind: 'envoy',
    name: 'ingest_envoy_records_per_s',
    counter: 'flowlens_http_requests_total',
    baselineLabel: 'JSON.parse or regex match',
    generate: generateEnvoyLog,
    parse: parseEnvoyLines,
  },
  {
    kind: 'calico-dns',
    name: 'ingest_calico_dns_records_per_s',
    counter: 'flowlens_dns_requests_total',
    baselineLabel: 'JSON.parse',
    generate: generateCalicoDnsLog,
    parse: parseJsonLines,
  },
];

/** After a run: the request counter sums to the generated requests, and no line was rejected or skipped. */
function verify(rig: Rig, format: Format, log: GeneratedL7Log): boolean {
  let ok = true;
  const text = rig.registry.render('prometheus');
  const requests = sumSamples(text, format.counter);
  if (requests !== log.requests) {
    ok = false;
    problem(`${format.kind}: ${format.counter} sums to ${requests}, the file holds ${log.requests} requests`);
  }
  const records = sumSamples(text, 'flowlens_ingest_records_total');
  if (records !== log.lines && text.includes('\nflowlens_ingest_records_total{')) {
    ok = false;
    problem(`${format.kind}: flowlens_ingest_records_total is ${records}, the file has ${log.lines} lines`);
  }
  const errors = sumSamples(text, 'flowlens_ingest_errors_total');
  const skipped = sumSamples(text, 'flowlens_ingest_skipped_total');
  if (errors !== 0 || skipped !== 0) {
    ok = false;
    problem(
      `${format.kind}: ${errors} lines rejected, ${skipped} skipped; first log entry: ${JSON.stringify(rig.logger.entries[0])}`,
    );
  }
  return ok;
}

async function pipelineRun(factory: RigFactory, format: Format, log: GeneratedL7Log, label: string): Promise<number> {
  const rig = await factory(format.kind, log.path);
  try {
    const ms = await timeMs(() => rig.run());
    const ok = verify(rig, format, log);
    progress(`  ${label}: ${ms.toFixed(1)} ms, ${ok ? `${log.requests} requests verified` : 'CHECK FAILED'}`);
    return ms;
  } finally {
    await rig.stop();
  }
}

async function parseRun(format: Format, lines: readonly string[], label: string): Promise<number> {
  let parsed = 0;
  const ms = await timeMs(() => {
    parsed = format.parse(lines);
  });
  if (parsed !== lines.length) problem(`${format.kind}: the bare parse matched ${parsed} of ${lines.length} lines`);
  progress(`  ${label}: ${ms.toFixed(1)} ms`);
  return ms;
}

function readLines(file: string): string[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * For each format: generate the measured file and a warm-up file (a tenth of it, another seed), warm up both
 * sides, then three pipeline runs and three bare parses interleaved; best of 3 each. The logs are removed once
 * measured unless `keep`.
 */
export async function benchL7(
  directory: string,
  lineCount: number,
  seed: number,
  keep: boolean,
): Promise<BenchResult[]> {
  const factory = await exporterFactory();
  const results: BenchResult[] = [];
  for (const [index, format] of FORMATS.entries()) {
    const log = format.generate(path.join(directory, `${format.kind}.log`), lineCount, seed + 10 * index);
    const warmup = format.generate(
      path.join(directory, `${format.kind}-warmup.log`),
      Math.max(1000, Math.round(lineCount / 10)),
      seed + 10 * index + 1,
    );
    progress(
      `l7 ${format.kind}: ${log.lines} lines, ${(log.fileBytes / 1e6).toFixed(1)} MB ` +
        `(${Math.round(log.fileBytes / log.lines)} bytes/line), ${log.requests} requests` +
        (format.kind === 'envoy' ? `, ${log.jsonLines} Istio JSON lines and ${log.lines - log.jsonLines} text` : ''),
    );
    const warmLines = readLines(warmup.path);
    await pipelineRun(factory, format, warmup, 'pipeline warm-up');
    await parseRun(format, warmLines, `${format.baselineLabel} warm-up`);
    await parseRun(format, warmLines, `${format.baselineLabel} warm-up`);
    const lines = readLines(log.path);
    if (lines.length !== log.lines) problem(`read ${lines.length} lines back, generated ${log.lines}`);
    let pipelineMs = Infinity;
    let parseMs = Infinity;
    for (let run = 1; run <= 3; run++) {
      pipelineMs = Math.min(pipelineMs, await pipelineRun(factory, format, log, `pipeline run ${run}/3`));
      parseMs = Math.min(parseMs, await parseRun(format, lines, `${format.baselineLabel} run ${run}/3`));
    }
    if (!keep) {
      // Only one format's logs on disk at a time.
      fs.rmSync(log.path, { force: true });
      fs.rmSync(warmup.path, { force: true });
    }
    const value = log.lines / (pipelineMs / 1000);
    const baseline = log.lines / (parseMs / 1000);
    results.push({
      name: format.name,
      value: Math.round(value),
      unit: 'records/s',
      baseline: Math.round(baseline),
      ratio: round(value / baseline, 3),
    });
  }
  return results;
}
