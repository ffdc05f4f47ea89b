/**
 * The anomaly stage inside the exporter: a `replay` of the demo's last hour goes through the pipeline into the
 * detectors, and the exposition shows their families (the top N scores, one counter per kind); `anomaly.enabled: false`
 * leaves them out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildExporter } from '../../exporter';
import { loadConfig } from '../../config';
import { MemoryLogger } from '../../log';
import { ANOMALY_FAMILIES } from '../../metrics/catalogue';
import { ANOMALY_KINDS } from './kinds';

async function replayDemo(configText: string): Promise<string> {
  const directory = mkdtempSync(join(tmpdir(), 'flowlens-anomaly-'));
  try {
    const configFile = join(directory, 'flowlens.yaml');
    writeFileSync(configFile, configText);
    const config = loadConfig({ configFile, environment: {}, flags: {} });
    const exporter = await buildExporter(config, 'replay', new MemoryLogger());
    for (const source of exporter.sources) {
      await source.start();
      await source.stop();
    }
    exporter.pipeline.anomaly?.flush();
    return exporter.registry.render('prometheus');
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

test('a replay of the demo shows the top N anomaly scores and a counter per kind', async () => {
  const exposition = await replayDemo('sources: [demo]\nanomaly:\n  topN: 7\n');
  const scores = exposition.split('\n').filter((line) => line.startsWith(`${ANOMALY_FAMILIES.score.name}{`));
  assert.equal(scores.length, 7, exposition.slice(exposition.indexOf('flowlens_anomaly')));
  for (const line of scores) {
    assert.match(
      line,
      /^flowlens_anomaly_score\{kind="[a-z_]+",namespace="[^"]*",workload="[^"]+",direction="(egress|ingress|)",peer_namespace="[^"]*",peer_workload="[^"]*"\} [0-9.e+-]+$/,
    );
    assert.ok(Number(line.slice(line.lastIndexOf(' ') + 1)) > 0, line);
  }
  for (const kind of ANOMALY_KINDS) {
    assert.match(exposition, new RegExp(`^flowlens_anomalies_total\\{kind="${kind}"\\} \\d+$`, 'm'));
    assert.match(exposition, new RegExp(`^flowlens_anomaly_tracked_series\\{kind="${kind}"\\} \\d+$`, 'm'));
  }
  assert.match(exposition, /^flowlens_anomaly_tracked_series\{kind="flow_rate"\} [1-9]\d*$/m);
});

test("every scored series of the demo is told from its cluster workload's side; traffic from outside is its ingress", async () => {
  const exposition = await replayDemo('sources: [demo]\nanomaly:\n  topN: 1000\n');
  const scores = exposition.split('\n').filter((line) => line.startsWith(`${ANOMALY_FAMILIES.score.name}{`));
  assert.ok(scores.length > 0, 'scored series');
  for (const line of scores) {
    if (/kind="(dns_error_ratio|http_error_ratio|http_latency|retransmissions)"/.test(line)) {
      assert.match(
        line,
        /,namespace="[a-z0-9-]+",workload="[a-z0-9-]+",direction="",peer_namespace="",peer_workload=""\}/,
      );
    } else if (line.includes(',namespace="",')) {
      // Only an edge with no pod at either end (the nodes' own traffic to the internet) has no namespace: a pod is
      // never the peer of a series without one, so the alert can route on `namespace` (the demo's sets are global).
      assert.match(line, /,direction="egress",peer_namespace="",/, line);
    } else {
      assert.match(line, /,namespace="[a-z0-9-]+",workload="[a-z0-9-]+",direction="(egress|ingress)",/, line);
    }
  }
  // The demo's known-bad-ips network set probes the ingress controller all day (scored when above its baseline):
  // the controller's ingress. window-totals.test.ts tells every kind of end apart deterministically.
  for (const line of scores.filter((each) => each.includes('peer_workload="known-bad-ips"'))) {
    assert.match(line, /namespace="ingress",workload="ingress-nginx-controller",direction="(ingress|egress)",/, line);
  }
});

test('anomaly.enabled: false leaves the anomaly families out', async () => {
  const exposition = await replayDemo('sources: [demo]\nanomaly:\n  enabled: false\n');
  assert.doesNotMatch(exposition, /flowlens_anomal/);
  assert.match(exposition, /^flowlens_flows_total\{/m);
});

test('anomaly settings are checked and mistakes named', () => {
  const directory = mkdtempSync(join(tmpdir(), 'flowlens-anomaly-'));
  try {
    const configFile = join(directory, 'flowlens.yaml');
    writeFileSync(configFile, 'anomaly:\n  topN: -3\n  window: soon\n  treshold: 6\n');
    assert.throws(
      () => loadConfig({ configFile, environment: {}, flags: {} }),
      (error: Error) =>
        /anomaly\.topN/.test(error.message) &&
        /anomaly\.window/.test(error.message) &&
        /anomaly\.treshold: unknown key/.test(error.message),
    );
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
