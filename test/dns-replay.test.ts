/**
 * `flowlens replay` of the DNS sources (calico-dns, coredns, hubble l7.dns): records, skips and errors by
 * reason through the real pipeline and tailer, enrichment of client IPs through a resources file, and an
 * exposition that `promtool check metrics` accepts without a word.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  FIXTURES,
  sampleValue,
  sumSamples,
  testWorkspace,
  errorsByReason,
  promtoolAccepts,
  replayFlowlens,
} from './support';

const CALICO_DNS_FIXTURE = join(FIXTURES, 'calico-dns.ndjson');
const COREDNS_FIXTURE = join(FIXTURES, 'coredns.log');
const HUBBLE_DNS_FIXTURE = join(FIXTURES, 'hubble-dns.ndjson');
const RESOURCES = join(FIXTURES, 'resources.yaml');

const workspace = testWorkspace('flowlens-dns-replay-');
const { processes } = workspace;
const replay = (args: readonly string[]) => replayFlowlens(processes, args);

describe('flowlens replay of Calico DNS logs', () => {
  test('counts queries, latency and errors by reason; promtool accepts the exposition', async () => {
    const { stdout, samples } = await replay(['--source', `calico-dns:${CALICO_DNS_FIXTURE}`]);
    assert.equal(sampleValue(samples, 'flowlens_ingest_records_total', { source: 'calico-dns' }), 3);
    assert.equal(
      sampleValue(samples, 'flowlens_ingest_skipped_total', { source: 'calico-dns', reason: 'unlogged' }),
      1,
    );
    assert.deepEqual(errorsByReason(samples, 'calico-dns'), {
      malformed: 1,
      truncated: 1,
      oversized: 0,
      wrong_type: 3,
      missing_field: 1,
    });
    assert.equal(sumSamples(samples, 'flowlens_dns_requests_total'), 9);
    assert.equal(sumSamples(samples, 'flowlens_dns_domain_requests_total'), 9);
    assert.equal(sumSamples(samples, 'flowlens_dns_requests_total', { rcode: 'NXDOMAIN', qtype: 'AAAA' }), 3);
    // Calico's aggregated pod prefix resolves to its workload by the pod-name rules.
    assert.equal(
      sumSamples(samples, 'flowlens_dns_requests_total', {
        client_namespace: 'shop',
        client_workload: 'frontend',
        server_namespace: 'kube-system',
        server_workload: 'coredns',
      }),
      8,
    );
    assert.equal(sumSamples(samples, 'flowlens_dns_latency_seconds_count'), 7);
    assert.ok(Math.abs(sumSamples(samples, 'flowlens_dns_latency_seconds_sum') - 0.006) < 1e-12);
    await promtoolAccepts(processes, stdout);
  });

  test('--resources resolves a client known only by its IP to its workload', async () => {
    const { samples } = await replay(['--source', `calico-dns:${CALICO_DNS_FIXTURE}`, '--resources', RESOURCES]);
    assert.equal(
      sampleValue(samples, 'flowlens_dns_requests_total', {
        client_namespace: 'data',
        client_workload: 'nightly-export',
        server_namespace: 'kube-system',
        server_workload: 'coredns',
        qtype: 'SRV',
        rcode: 'SERVFAIL',
      }),
      1,
    );
  });

  test('a line over 1 MiB is counted as oversized and the lines around it are read', async () => {
    const lines = readFileSync(CALICO_DNS_FIXTURE, 'utf8').split('\n');
    const file = join(workspace.dir(), 'oversized-dns.ndjson');
    await writeFile(file, `${lines[0]}\n{"qname":"${'x'.repeat(1.5 * 1024 * 1024)}"}\n${lines[1]}\n`);
    const { samples } = await replay(['--source', `calico-dns:${file}`]);
    assert.equal(errorsByReason(samples, 'calico-dns')['oversized'], 1);
    assert.equal(sumSamples(samples, 'flowlens_dns_requests_total'), 8);
  });
});

describe('flowlens replay of CoreDNS logs', () => {
  test('counts query lines, skips other lines and rejects bad query lines by reason', async () => {
    const { stdout, samples } = await replay(['--source', `coredns:${COREDNS_FIXTURE}`, '--resources', RESOURCES]);
    assert.equal(sampleValue(samples, 'flowlens_ingest_records_total', { source: 'coredns' }), 4);
    assert.equal(sampleValue(samples, 'flowlens_ingest_skipped_total', { source: 'coredns', reason: 'not_query' }), 4);
    assert.deepEqual(errorsByReason(samples, 'coredns'), {
      malformed: 2,
      truncated: 2,
      oversized: 0,
      wrong_type: 2,
      missing_field: 0,
    });
    // Client IPs (IPv4 and IPv6) resolve to workloads through the resources file.
    assert.equal(
      sumSamples(samples, 'flowlens_dns_requests_total', { client_namespace: 'shop', client_workload: 'web-frontend' }),
      3,
    );
    assert.equal(
      sampleValue(samples, 'flowlens_dns_requests_total', {
        client_namespace: 'data',
        client_workload: 'nightly-export',
        server_namespace: 'kube-system',
        server_workload: 'coredns',
        qtype: 'A',
        rcode: 'NXDOMAIN',
      }),
      1,
    );
    assert.equal(sumSamples(samples, 'flowlens_dns_latency_seconds_count'), 4);
    assert.equal(
      sampleValue(samples, 'flowlens_dns_latency_seconds_bucket', {
        client_namespace: 'shop',
        client_workload: 'web-frontend',
        rcode: 'SERVFAIL',
        le: '1.0',
      }),
      0,
    );
    await promtoolAccepts(processes, stdout);
  });

  test('a line over 1 MiB is counted as oversized', async () => {
    const lines = readFileSync(COREDNS_FIXTURE, 'utf8').split('\n');
    const file = join(workspace.dir(), 'oversized-coredns.log');
    await writeFile(file, `${lines[3]}\n[INFO] ${'x'.repeat(1.5 * 1024 * 1024)}\n${lines[4]}\n`);
    const { samples } = await replay(['--source', `coredns:${file}`]);
    assert.equal(errorsByReason(samples, 'coredns')['oversized'], 1);
    assert.equal(sumSamples(samples, 'flowlens_dns_requests_total'), 2);
  });
});

describe('flowlens replay of Hubble DNS events', () => {
  test('counts each answered query once, at its RESPONSE', async () => {
    const { stdout, samples } = await replay(['--source', `hubble:${HUBBLE_DNS_FIXTURE}`]);
    assert.equal(sampleValue(samples, 'flowlens_ingest_records_total', { source: 'hubble' }), 2);
    assert.equal(sampleValue(samples, 'flowlens_ingest_skipped_total', { source: 'hubble', reason: 'dns_request' }), 1);
    assert.equal(
      sampleValue(samples, 'flowlens_ingest_skipped_total', { source: 'hubble', reason: 'http_request' }),
      1,
    );
    assert.deepEqual(errorsByReason(samples, 'hubble'), {
      malformed: 0,
      truncated: 0,
      oversized: 0,
      wrong_type: 2,
      missing_field: 1,
    });
    assert.equal(
      sampleValue(samples, 'flowlens_dns_requests_total', {
        client_namespace: 'shop',
        client_workload: 'frontend',
        server_namespace: 'kube-system',
        server_workload: 'coredns',
        qtype: 'AAAA',
        rcode: 'NXDOMAIN',
      }),
      1,
    );
    assert.equal(
      sampleValue(samples, 'flowlens_dns_domain_requests_total', {
        client_namespace: 'shop',
        qname: 'cart.shop.svc.cluster.local',
        rcode: 'NOERROR',
      }),
      1,
    );
    assert.equal(sumSamples(samples, 'flowlens_flows_total'), 0, 'DNS events are not flows');
    await promtoolAccepts(processes, stdout);
  });
});
