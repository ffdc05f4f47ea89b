/**
 * conntrack_poll_lines_per_s and conntrack_table_bytes_per_connection: the conntrack source's poll (stream read,
 * parse, table update, records handed to a sink that drops them) over a generated 100,000-entry nf_conntrack file,
 * as on a busy node: TCP and UDP between 2,000 pod IPs and to 200 service IPs (DNATed), accounting on. The first
 * poll sees every connection as new; the timed polls read the table again with every counter grown, so each
 * entry is a delta record, the costliest steady state. Deterministic (seeded PRNG).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { mulberry32 } from '../src/demo/random';
import { MemoryLogger } from '../src/log';
import { ConntrackPoller, DEFAULT_CONNTRACK_OPTIONS, fileInput } from '../src/sources/conntrack/source';
import type { GeneratorContext } from '../src/sources/types';
import { between, type Random } from './random-text';
import { collectGarbage, problem, progress, round, type BenchResult } from './util';

export const CONNTRACK_ENTRIES = 100_000;
const PODS = 2_000;
const SERVICES = 200;
const TIMED_POLLS = 3;

function podIp(index: number): string {
  return `10.244.${index >> 8}.${index & 255}`;
}

/** The table's text with every counter multiplied by `growth`: a later poll of the same connections. */
function tableText(random: Random, growth: number): string {
  const lines: string[] = [];
  for (let i = 0; i < CONNTRACK_ENTRIES; i++) {
    // Each client pod uses each source port once, so every entry is a distinct connection.
    const client = podIp(i % PODS);
    const sport = 1024 + Math.floor(i / PODS);
    const server = podIp(between(random, 0, PODS - 1));
    const udp = i % 5 === 0;
    const viaService = i % 3 === 0;
    const dialled = viaService ? `10.96.${between(random, 0, SERVICES - 1) >> 8}.${i % SERVICES}` : server;
    const dport = viaService ? 80 : 8080;
    const packets = between(random, 1, 1000) * growth;
    const bytes = packets * between(random, 60, 1500);
    const head = udp ? 'ipv4     2 udp      17 29 ' : 'ipv4     2 tcp      6 431999 ESTABLISHED ';
    lines.push(
      `${head}src=${client} dst=${dialled} sport=${sport} dport=${dport} packets=${packets} bytes=${bytes} ` +
        `src=${server} dst=${client} sport=8080 dport=${sport} packets=${packets} bytes=${bytes} [ASSURED] mark=0 zone=0 use=2`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export async function benchConntrack(directory: string, seed: number): Promise<BenchResult[]> {
  const file = path.join(directory, 'nf_conntrack');
  progress(`conntrack: ${CONNTRACK_ENTRIES} entries`);
  fs.writeFileSync(file, tableText(mulberry32(seed), 1));
  let records = 0;
  let rejected = 0;
  const context: GeneratorContext = {
    mode: 'serve',
    logger: new MemoryLogger(),
    sink: {
      flow: () => void records++,
      dns: () => undefined,
      http: () => undefined,
      sockets: () => undefined,
      audit: () => undefined,
      skipped: () => undefined,
    },
    feedLine: () => undefined,
    rejected: () => void rejected++,
    gauge: () => undefined,
  };
  const poller = new ConntrackPoller(
    { ...DEFAULT_CONNTRACK_OPTIONS, path: file, maxConnections: CONNTRACK_ENTRIES },
    fileInput(file),
    context,
  );
  collectGarbage();
  const before = process.memoryUsage();
  const first = await poller.poll(true);
  collectGarbage();
  const after = process.memoryUsage();
  const tracked = first?.tracked ?? 0;
  const bytesPerConnection = (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / tracked;

  let bestMs = Number.POSITIVE_INFINITY;
  for (let poll = 0; poll < TIMED_POLLS; poll++) {
    fs.writeFileSync(file, tableText(mulberry32(seed), poll + 2));
    records = 0;
    collectGarbage();
    const start = performance.now();
    await poller.poll(true);
    bestMs = Math.min(bestMs, performance.now() - start);
    if (records !== CONNTRACK_ENTRIES)
      problem(`conntrack: poll ${poll + 2} emitted ${records} records, not one per entry`);
  }
  await poller.stop();
  fs.rmSync(file, { force: true });
  if (tracked !== CONNTRACK_ENTRIES) problem(`conntrack: ${tracked} connections tracked of ${CONNTRACK_ENTRIES}`);
  if (rejected > 0) problem(`conntrack: ${rejected} generated entries rejected`);
  const linesPerSecond = CONNTRACK_ENTRIES / (bestMs / 1000);
  progress(
    `  ${Math.round(linesPerSecond)} entries/s per poll (best of ${TIMED_POLLS}), ${Math.round(bytesPerConnection)} bytes a tracked connection`,
  );
  return [
    { name: 'conntrack_poll_lines_per_s', value: Math.round(linesPerSecond), unit: 'lines/s' },
    { name: 'conntrack_table_bytes_per_connection', value: round(bytesPerConnection, 0), unit: 'bytes' },
  ];
}
