import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pipeline } from './pipeline';
import { PodNameWorkloads } from './enrich';
import { DnsAggregator, FlowAggregator } from '../metrics/flow-aggregator';
import { ClusterViewEnricher } from '../cluster/enricher';
import { StaticClusterView } from '../cluster/static-view';
import { readResourcesFile } from '../cluster/resources-file';
import { emptyEndpoint } from '../model/flow';
import type { PodSockets } from '../model/sockets';
import { testDnsRecord } from '../testing/records';
import { MetricsRegistry, SelfMetrics } from '../metrics/registry';
import { calicoFlowsSource } from '../sources/calico-flows';
import { MemoryLogger } from '../log';
import { repoRoot } from '../testing/collect';
import type { LineDecoder } from '../sources/types';

const fixture = readFileSync(join(repoRoot(), 'test/fixtures/calico-flows.ndjson'), 'utf8').split('\n');

function build(excluded: string[] = []) {
  const aggregator = new FlowAggregator();
  const metrics = new SelfMetrics();
  const logger = new MemoryLogger();
  const pipeline = new Pipeline([new PodNameWorkloads()], aggregator, metrics, logger, () => 1000, new Set(excluded));
  const registry = new MetricsRegistry(aggregator, metrics, () => 1000);
  registry.onScrape(() => pipeline.refreshSourceMetrics());
  return { pipeline, registry, metrics, logger };
}

function sampleSum(exposition: string, name: string): number {
  return exposition
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

test('bytes over all series equal bytes_in + bytes_out of the accepted records; flows sum num_flows', () => {
  const { pipeline, registry, metrics, logger } = build();
  pipeline.tap('calico-flows').decodeLines(calicoFlowsSource.createDecoder(), fixture, 1, 'flows.log');
  const exposition = registry.render('prometheus');
  assert.equal(sampleSum(exposition, 'flowlens_flow_bytes_total'), 10530);
  assert.equal(sampleSum(exposition, 'flowlens_flows_total'), 22);
  assert.equal(metrics.ingestRecords.get(['calico-flows']), 6);
  assert.equal(metrics.ingestErrors.get(['calico-flows', 'malformed']), 2);
  assert.equal(metrics.ingestErrors.get(['calico-flows', 'truncated']), 1);
  assert.equal(metrics.ingestErrors.get(['calico-flows', 'wrong_type']), 2);
  assert.equal(metrics.ingestErrors.get(['calico-flows', 'missing_field']), 1);
  const logged = logger.entries.find((entry) => entry.fields['line'] === 7);
  assert.equal(logged?.fields['file'], 'flows.log');
  assert.equal(logged?.fields['reason'], 'truncated');
  assert.match(exposition, /source_workload="frontend",dest_namespace="shop",dest_workload="cart"/);
  assert.match(exposition, /source_namespace="monitoring",source_workload="fluent-bit"/);
  assert.match(exposition, /dest_namespace="",dest_workload="world"/);
});

test('excluded namespaces are dropped at either end and counted as skipped', () => {
  const { pipeline, registry, metrics } = build(['kube-system']);
  pipeline.tap('calico-flows').decodeLines(calicoFlowsSource.createDecoder(), fixture, 1, 'flows.log');
  const exposition = registry.render('prometheus');
  assert.doesNotMatch(exposition, /kube-system/);
  assert.equal(metrics.ingestSkipped.get(['calico-flows', 'excluded_namespace']), 1);
  assert.equal(metrics.ingestRecords.get(['calico-flows']), 5);
});

test('a decoder bug loses the line, not the process, and the lines after it are processed', () => {
  const { pipeline, metrics } = build();
  let calls = 0;
  const flaky: LineDecoder = {
    decode(line, sink) {
      calls++;
      if (line === 'boom') throw new TypeError('cannot read properties of undefined');
      calicoFlowsSource.createDecoder().decode(line, sink);
    },
  };
  pipeline.tap('calico-flows').decodeLines(flaky, ['boom', fixture[0]!], 1, 'flows.log');
  assert.equal(calls, 2);
  assert.equal(metrics.ingestErrors.get(['calico-flows', 'malformed']), 1);
  pipeline.refreshSourceMetrics();
  assert.equal(metrics.ingestRecords.get(['calico-flows']), 1);
});

test('rejected lines are logged at most 10 times a minute, then summarised', () => {
  const { pipeline, logger } = build();
  const bad = Array.from({ length: 500 }, () => 'not json');
  pipeline.tap('calico-flows').decodeLines(calicoFlowsSource.createDecoder(), bad, 1, 'flows.log');
  assert.equal(logger.entries.filter((entry) => entry.message === 'input line rejected').length, 10);
});

test('DNS records: client and server IPs resolve through the cluster view; only the client namespace is excluded', () => {
  const view = StaticClusterView.fromDocuments(readResourcesFile(join(repoRoot(), 'test/fixtures/resources.yaml')));
  const aggregator = new FlowAggregator();
  const dns = new DnsAggregator();
  const metrics = new SelfMetrics();
  const pipeline = new Pipeline(
    [new ClusterViewEnricher(view), new PodNameWorkloads()],
    aggregator,
    metrics,
    new MemoryLogger(),
    () => 1000,
    new Set(['kube-system', 'data']),
    dns,
  );
  const registry = new MetricsRegistry(aggregator, metrics, () => 1000, dns);
  const tap = pipeline.tap('coredns');
  // 10.244.1.10 is shop/frontend-7d4b9c8f5-x2x7k of Deployment web-frontend; 10.244.3.7 a pod of data.
  tap.dns(
    testDnsRecord({
      client: { ...emptyEndpoint(), ip: '10.244.1.10' },
      server: { ...emptyEndpoint(), ip: '10.244.2.20' },
    }),
  );
  tap.dns(testDnsRecord({ client: { ...emptyEndpoint(), ip: '10.244.3.7' } }));
  tap.dns(testDnsRecord({ client: { ...emptyEndpoint(), ip: '203.0.113.9' }, count: 2 }));
  const exposition = registry.render('prometheus');
  assert.match(
    exposition,
    /flowlens_dns_requests_total\{client_namespace="shop",client_workload="web-frontend",server_namespace="shop",server_workload="cart",qtype="A",rcode="NOERROR"\} 1/,
  );
  assert.match(exposition, /flowlens_dns_requests_total\{client_namespace="",client_workload="world",[^}]*\} 2/);
  assert.doesNotMatch(exposition, /client_namespace="data"/);
  assert.equal(tap.acceptedRecords, 2);
  assert.equal(tap.skippedByReason.get('excluded_namespace'), 1);
});

test('socket scans: pods named by the source keep their workload, unknown pods go by uid, excluded namespaces are skipped', () => {
  const { pipeline } = build(['kube-system']);
  const scanned = (namespace: string, pod: string, podUid: string): PodSockets => ({
    netns: podUid.length,
    podUid,
    pod: { ...emptyEndpoint(), kind: 'pod', namespace, pod },
    addresses: [],
    states: [{ protocol: 'tcp', state: 'established', count: 1, sendQueueBytes: 0, receiveQueueBytes: 0 }],
    listening: [],
    tcp: undefined,
  });
  const tap = pipeline.tap('sockets');
  tap.sockets({
    at: 1000,
    pods: [
      scanned('shop', 'web-7d4b9c8f5-x2x7k', ''),
      scanned('', '', 'aaaaaaaa-0000-4000-8000-000000000001'),
      scanned('kube-system', 'coredns-5d78c9869d-abcde', ''),
    ],
  });
  assert.equal(tap.acceptedRecords, 2);
  assert.equal(tap.skippedByReason.get('excluded_namespace'), 1);
  assert.deepEqual(pipeline.socketAggregator.labelSets('flowlens_sockets').sort(), [
    'namespace="",workload="unknown",protocol="tcp",state="established"',
    'namespace="shop",workload="web",protocol="tcp",state="established"',
  ]);
});
