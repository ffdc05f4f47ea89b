/**
 * scrape_100k_series_ms and heap_bytes_per_series: 100,000 distinct label sets of flowlens_flows_total in a
 * FlowAggregator, against the same label sets in one prom-client Counter.
 */
import { Counter, Registry } from 'prom-client';
import { FLOW_FAMILIES, FLOW_LABEL_VALUES, FLOW_RECORDS, type RecordFamilyDefinition } from '../src/metrics/catalogue';
import { FlowAggregator, familyLabels, type FamilyOptions } from '../src/metrics/flow-aggregator';
import { MetricsRegistry, SelfMetrics } from '../src/metrics/registry';
import { emptyEndpoint, type Endpoint, type FlowRecord } from '../src/model/flow';
import { NAMESPACES as BENCH_NAMESPACES, WORKLOAD_WORDS } from './calico-gen';
import { collectGarbage, countLinesStartingWith, problem, progress, round, timeMs, type BenchResult } from './util';

export const SERIES = 100_000;
const NOW = 1_732_000_000;
const FLOWS: RecordFamilyDefinition = FLOW_FAMILIES.find((family) => family.name === 'flowlens_flows_total')!;
const OPTIONS: FamilyOptions = { level: 'workload', ports: true, budget: 2 * SERIES, ttlSeconds: 3600 };
const LABELS = familyLabels(FLOWS, OPTIONS, FLOW_RECORDS);

const NAMESPACES = BENCH_NAMESPACES.slice(0, 17);
const WORDS = WORKLOAD_WORDS;
const PORTS_PER_WORKLOAD = 50;

function endpoint(namespace: string, workload: string, service: string): Endpoint {
  return {
    ...emptyEndpoint(),
    kind: 'pod',
    namespace,
    workload,
    workloadKind: 'Deployment',
    service,
    serviceNamespace: service === '' ? '' : namespace,
  };
}

/**
 * Record `index`: a distinct (source workload, destination port) per index, the rest of the labels realistic.
 * Its strings come out of JSON.parse, as they do out of a decoder, so nothing is shared with the previous record.
 */
export function seriesRecord(index: number): FlowRecord {
  const workload = Math.floor(index / PORTS_PER_WORKLOAD);
  const port = 8000 + (index % PORTS_PER_WORKLOAD);
  const sourceNamespace = NAMESPACES[workload % NAMESPACES.length]!;
  const destNamespace = NAMESPACES[(workload * 7 + 3) % NAMESPACES.length]!;
  const destWorkload = `${destNamespace.split('-')[0]}-${WORDS[(workload * 5) % WORDS.length]}`;
  const parsed = JSON.parse(
    JSON.stringify({
      sn: sourceNamespace,
      sw: `${sourceNamespace.split('-')[0]}-${WORDS[workload % WORDS.length]}-${workload}`,
      dn: destNamespace,
      dw: destWorkload,
      policy: `${destNamespace}/allow-${destWorkload}`,
    }),
  ) as { sn: string; sw: string; dn: string; dw: string; policy: string };
  const deny = workload % 10 === 0;
  return {
    startTime: NOW - 300,
    endTime: NOW,
    node: 'node-a',
    source: endpoint(parsed.sn, parsed.sw, ''),
    destination: endpoint(parsed.dn, parsed.dw, parsed.dw),
    destPort: port,
    protocol: 'tcp',
    action: deny ? 'deny' : 'allow',
    reporter: workload % 2 === 0 ? 'src' : 'dst',
    enforcedPolicies: [],
    pendingPolicies: [],
    verdict: deny
      ? { policy: `${parsed.dn}/default-deny`, tier: 'default' }
      : { policy: parsed.policy, tier: 'default' },
    bytesForward: 1000,
    bytesReverse: 2000,
    packetsForward: 10,
    packetsReverse: 20,
    flows: 1 + (index % 7),
    flowsStarted: 1,
    flowsCompleted: 1,
    tcp: undefined,
  };
}

export function buildAggregator(series: number): FlowAggregator {
  const aggregator = new FlowAggregator(new Map([[FLOWS.name, OPTIONS]]), [FLOWS]);
  for (let i = 0; i < series; i++) aggregator.add(seriesRecord(i), NOW);
  return aggregator;
}

export function buildPromClient(series: number): { registry: Registry; counter: Counter<string> } {
  const registry = new Registry();
  const counter = new Counter({ name: FLOWS.name, help: FLOWS.help, labelNames: LABELS, registers: [registry] });
  for (let i = 0; i < series; i++) {
    const record = seriesRecord(i);
    const labels: Record<string, string> = {};
    for (const label of LABELS) labels[label] = FLOW_LABEL_VALUES[label](record);
    counter.inc(labels, record.flows);
  }
  return { registry, counter };
}

/**
 * Memory growth per series of what `build` returns, between two full GCs: the V8 heap plus ArrayBuffers (typed
 * arrays live off-heap, and a store that keeps its series in them must be charged for them). `check` looks at the
 * result after the second GC, which also keeps it reachable until then.
 */
async function heapPerSeries<T>(
  label: string,
  build: () => T,
  check: (built: T) => number | Promise<number>,
): Promise<number> {
  collectGarbage();
  const before = process.memoryUsage();
  const built = build();
  collectGarbage();
  const after = process.memoryUsage();
  const series = await check(built);
  if (series !== SERIES) problem(`${label} holds ${series} series, expected ${SERIES}`);
  const heap = (after.heapUsed - before.heapUsed) / SERIES;
  const external = (after.arrayBuffers - before.arrayBuffers) / SERIES;
  progress(`  ${label}: ${heap.toFixed(1)} heap bytes/series + ${external.toFixed(1)} bytes/series in ArrayBuffers`);
  return heap + external;
}

export async function benchHeap(): Promise<BenchResult[]> {
  progress(`heap: ${SERIES} series, fresh state`);
  // Small builds first, so compiled code and lazily created internals are not charged to the series.
  buildAggregator(2000);
  buildPromClient(2000);
  const ours = await heapPerSeries(
    'flowlens',
    () => buildAggregator(SERIES),
    (aggregator) => aggregator.stats()[0]?.activeSeries ?? 0,
  );
  const theirs = await heapPerSeries(
    'prom-client',
    () => buildPromClient(SERIES),
    async (prom) => (await prom.counter.get()).values.length,
  );
  return [
    { name: 'heap_bytes_per_series', value: Math.round(ours), unit: 'bytes/series' },
    { name: 'prom_client_heap_bytes_per_series', value: Math.round(theirs), unit: 'bytes/series' },
  ];
}

export async function benchScrape(): Promise<BenchResult[]> {
  progress(`scrape: building ${SERIES} series in each`);
  const aggregator = buildAggregator(SERIES);
  const registry = new MetricsRegistry(aggregator, new SelfMetrics(), () => NOW);
  const prom = buildPromClient(SERIES);

  let ours = registry.render('prometheus');
  let theirs = await prom.registry.metrics();
  const prefix = `${FLOWS.name}{`;
  const ourSamples = countLinesStartingWith(ours, prefix);
  const theirSamples = countLinesStartingWith(theirs, prefix);
  if (ourSamples !== SERIES) problem(`flowlens exposition has ${ourSamples} ${FLOWS.name} samples, expected ${SERIES}`);
  if (theirSamples !== SERIES)
    problem(`prom-client exposition has ${theirSamples} ${FLOWS.name} samples, expected ${SERIES}`);
  progress(`  samples: flowlens ${ourSamples}, prom-client ${theirSamples}`);
  const bytes = Buffer.byteLength(ours);
  progress(`  exposition size: flowlens ${bytes} bytes, prom-client ${Buffer.byteLength(theirs)} bytes`);

  // Best of five each, interleaved so a change in machine load hits both.
  let oursMs = Infinity;
  let theirsMs = Infinity;
  for (let run = 1; run <= 5; run++) {
    const our = await timeMs(() => (ours = registry.render('prometheus')));
    const their = await timeMs(async () => (theirs = await prom.registry.metrics()));
    progress(`  run ${run}/5: flowlens render ${our.toFixed(1)} ms, prom-client metrics() ${their.toFixed(1)} ms`);
    oursMs = Math.min(oursMs, our);
    theirsMs = Math.min(theirsMs, their);
  }
  return [
    {
      name: 'scrape_100k_series_ms',
      value: round(oursMs, 2),
      unit: 'ms',
      baseline: round(theirsMs, 2),
      ratio: round(theirsMs / oursMs, 2),
    },
    { name: 'scrape_100k_series_bytes', value: bytes, unit: 'bytes' },
  ];
}
