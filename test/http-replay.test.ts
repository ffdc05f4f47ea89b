/**
 * `flowlens replay` of the HTTP (L7) sources (envoy text and Istio JSON lines, calico-l7, hubble l7.http):
 * requests, bytes and durations per edge through the real pipeline and tailer, source and destination IPs
 * resolved through a resources file, skips and errors by reason, and an exposition that
 * `promtool check metrics` accepts without a word.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
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

const ENVOY_FIXTURE = join(FIXTURES, 'envoy.log');
const CALICO_L7_FIXTURE = join(FIXTURES, 'calico-l7.ndjson');
const HUBBLE_HTTP_FIXTURE = join(FIXTURES, 'hubble-http.ndjson');
const RESOURCES = join(FIXTURES, 'resources.yaml');

const workspace = testWorkspace('flowlens-http-replay-');
const { processes } = workspace;
const replay = (args: readonly string[]) => replayFlowlens(processes, args);

const FRONTEND_TO_CART = {
  source_namespace: 'shop',
  source_workload: 'web-frontend',
  dest_namespace: 'shop',
  dest_workload: 'cart',
};

describe('flowlens replay of Envoy access logs', () => {
  test('text and Istio JSON lines in one file; IPs resolve to workloads; bad lines by reason', async () => {
    const { stdout, samples } = await replay(['--source', `envoy:${ENVOY_FIXTURE}`, '--resources', RESOURCES]);
    assert.equal(sampleValue(samples, 'flowlens_ingest_records_total', { source: 'envoy' }), 5);
    assert.equal(sampleValue(samples, 'flowlens_ingest_skipped_total', { source: 'envoy', reason: 'tcp' }), 1);
    assert.deepEqual(errorsByReason(samples, 'envoy'), {
      malformed: 1,
      truncated: 1,
      oversized: 0,
      wrong_type: 1,
      missing_field: 1,
    });
    assert.equal(sumSamples(samples, 'flowlens_http_requests_total'), 5);
    // The text line (GET 200), the Istio text line (GET 503), the JSON lines (POST 201, PROPFIND as OTHER).
    const edge = { ...FRONTEND_TO_CART, dest_service: 'cart' };
    assert.equal(
      sampleValue(samples, 'flowlens_http_requests_total', { ...edge, method: 'GET', status_class: '2xx' }),
      1,
    );
    assert.equal(
      sampleValue(samples, 'flowlens_http_requests_total', { ...edge, method: 'GET', status_class: '5xx' }),
      1,
    );
    assert.equal(
      sampleValue(samples, 'flowlens_http_requests_total', { ...edge, method: 'POST', status_class: '2xx' }),
      1,
    );
    assert.equal(
      sampleValue(samples, 'flowlens_http_requests_total', { ...edge, method: 'OTHER', status_class: '2xx' }),
      1,
    );
    // No response sent, from a client outside the cluster.
    assert.equal(
      sumSamples(samples, 'flowlens_http_requests_total', { source_workload: 'world', status_class: 'unknown' }),
      1,
    );
    assert.equal(sumSamples(samples, 'flowlens_http_request_bytes_total'), 700);
    assert.equal(sumSamples(samples, 'flowlens_http_response_bytes_total'), 1523);
    assert.equal(sumSamples(samples, 'flowlens_http_request_duration_seconds_count'), 5);
    assert.ok(Math.abs(sumSamples(samples, 'flowlens_http_request_duration_seconds_sum') - 5.174) < 1e-9);
    await promtoolAccepts(processes, stdout);
  });
});

describe('flowlens replay of Calico L7 logs', () => {
  test('count weights requests and durations; bad lines by reason', async () => {
    const { stdout, samples } = await replay(['--source', `calico-l7:${CALICO_L7_FIXTURE}`]);
    assert.equal(sampleValue(samples, 'flowlens_ingest_records_total', { source: 'calico-l7' }), 3);
    assert.equal(sampleValue(samples, 'flowlens_ingest_skipped_total', { source: 'calico-l7', reason: 'tcp' }), 1);
    assert.deepEqual(errorsByReason(samples, 'calico-l7'), {
      malformed: 1,
      truncated: 1,
      oversized: 0,
      wrong_type: 1,
      missing_field: 1,
    });
    const edge = { ...FRONTEND_TO_CART, source_workload: 'frontend', dest_service: 'cart' };
    assert.equal(
      sampleValue(samples, 'flowlens_http_requests_total', { ...edge, method: 'GET', status_class: '2xx' }),
      12,
    );
    assert.equal(
      sampleValue(samples, 'flowlens_http_requests_total', { ...edge, method: 'GET', status_class: '5xx' }),
      3,
    );
    assert.equal(
      sampleValue(samples, 'flowlens_http_requests_total', { ...edge, method: 'POST', status_class: '2xx' }),
      5,
    );
    assert.equal(sumSamples(samples, 'flowlens_http_request_bytes_total'), 9800);
    assert.equal(sumSamples(samples, 'flowlens_http_response_bytes_total'), 96770);
    assert.equal(
      sampleValue(samples, 'flowlens_http_request_duration_seconds_count', { ...edge, status_class: '5xx' }),
      3,
    );
    assert.equal(
      sampleValue(samples, 'flowlens_http_request_duration_seconds_bucket', {
        ...edge,
        status_class: '5xx',
        le: '1.0',
      }),
      0,
    );
    assert.ok(Math.abs(sumSamples(samples, 'flowlens_http_request_duration_seconds_sum') - 7.7125) < 1e-9);
    await promtoolAccepts(processes, stdout);
  });
});

describe('flowlens replay of Hubble HTTP events', () => {
  test('counts each answered request once, at its RESPONSE, with its latency', async () => {
    const { stdout, samples } = await replay(['--source', `hubble:${HUBBLE_HTTP_FIXTURE}`]);
    assert.equal(sampleValue(samples, 'flowlens_ingest_records_total', { source: 'hubble' }), 2);
    assert.equal(
      sampleValue(samples, 'flowlens_ingest_skipped_total', { source: 'hubble', reason: 'http_request' }),
      3,
    );
    assert.deepEqual(errorsByReason(samples, 'hubble'), {
      malformed: 0,
      truncated: 0,
      oversized: 0,
      wrong_type: 1,
      missing_field: 1,
    });
    const edge = { ...FRONTEND_TO_CART, source_workload: 'frontend', dest_service: '' };
    assert.equal(
      sampleValue(samples, 'flowlens_http_requests_total', { ...edge, method: 'GET', status_class: '2xx' }),
      1,
    );
    assert.equal(
      sampleValue(samples, 'flowlens_http_requests_total', { ...edge, method: 'DELETE', status_class: '5xx' }),
      1,
    );
    assert.ok(Math.abs(sumSamples(samples, 'flowlens_http_request_duration_seconds_sum') - 0.62) < 1e-9);
    await promtoolAccepts(processes, stdout);
  });
});
