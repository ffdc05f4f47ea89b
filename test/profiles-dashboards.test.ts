/**
 * `flowlens dashboards generate`: one dashboard per ObservabilityProfile with, for each objective, the SLI against
 * its target, the error budget left and the burn rate, then the application's edges; every query scoped to the
 * profile's workloads; byte-identical on a re-run.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataPanels, type Dashboard } from './dashboard-model';
import { makeTempDir, Processes, removeDir, REPO_ROOT, runFlowlens } from './support';

const EXAMPLE = join(REPO_ROOT, 'provisioning', 'kubernetes', 'examples', 'checkout-profile.yaml');

describe('flowlens dashboards generate', () => {
  const processes = new Processes();
  const dirs: string[] = [];
  after(async () => {
    await processes.stopAll();
    for (const dir of dirs) await removeDir(dir);
  });

  test('a dashboard per profile: objectives, budgets, burn rates and edges, the same bytes on a re-run', async () => {
    const outputs: string[] = [];
    for (let i = 0; i < 2; i++) {
      const dir = await makeTempDir('flowlens-profile-dashboards-');
      dirs.push(dir);
      const generated = await runFlowlens(processes, [
        'dashboards',
        'generate',
        '--profiles',
        EXAMPLE,
        '--output',
        join(dir, 'out'),
      ]);
      assert.equal(generated.code, 0, generated.stderr);
      outputs.push(join(dir, 'out'));
    }
    const [first, second] = outputs as [string, string];
    const files = readdirSync(first);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^flowlens-profile-[0-9a-f]{16}\.json$/);
    assert.deepEqual(readdirSync(second), files);
    const text = readFileSync(join(first, files[0]!), 'utf8');
    assert.equal(readFileSync(join(second, files[0]!), 'utf8'), text);

    const dashboard = JSON.parse(text) as Dashboard;
    assert.equal(dashboard.title, 'Flowlens / Profile / shop/checkout');
    assert.equal(dashboard.uid, files[0]!.replace(/\.json$/, ''));
    const rows = (dashboard.panels ?? []).filter((panel) => panel.type === 'row').map((panel) => panel.title);
    assert.deepEqual(rows, [
      'HTTP availability: 99.9% not 5xx over 30d',
      'HTTP latency: 99% within 0.5s over 30d',
      'DNS: 99.5% of queries answered over 30d',
      'Edges',
      'Pods',
    ]);
    const panels = dataPanels(dashboard);
    const titles = panels.map((panel) => panel.title);
    for (const title of ['SLI over the window', 'Error budget remaining', 'SLI vs target', 'Burn rate']) {
      assert.equal(titles.filter((candidate) => candidate === title).length, 3, title);
    }
    const expressions = panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr ?? ''));
    for (const expr of expressions) {
      if (expr.startsWith('vector(')) continue;
      // The per-pod TCP families name the reporting pod without a prefix (namespace, workload, pod).
      assert.match(expr, /namespace="shop",((dest|source|client)_)?workload=~"checkout\|payments"/, expr);
    }
    assert.ok(expressions.includes('vector(0.999)'), 'the availability target line');
    // The example aggregates by pod: the per-pod families, the profile's own pods only.
    const podExpressions = expressions.filter((expr) => expr.includes('flowlens_profile_pod_'));
    assert.equal(podExpressions.length, 6);
    for (const expr of podExpressions) assert.match(expr, /(^|[{,])((dest|client)_)?pod!=""/, expr);
    // Which pod is slow: p95 of the per-pod histogram, by pod and bucket; which pod loses segments, by reporting pod.
    assert.ok(
      podExpressions.some((expr) =>
        expr.startsWith(
          'histogram_quantile(0.95, sum by (dest_namespace, dest_workload, dest_pod, le) (rate(flowlens_profile_pod_http_request_duration_seconds_bucket{',
        ),
      ),
      'per-pod p95 latency',
    );
    assert.ok(
      podExpressions.some((expr) =>
        expr.startsWith('sum by (namespace, workload, pod) (rate(flowlens_profile_pod_tcp_retransmissions_total{'),
      ),
      'per-pod retransmissions',
    );
    const latencyPanel = panels.find((panel) => panel.title === 'HTTP p95 latency per pod');
    assert.ok(latencyPanel, 'the per-pod latency panel');
    assert.equal(latencyPanel.fieldConfig?.defaults?.unit, 's');
    assert.ok(
      expressions.some((expr) => expr.includes('[30d]') && expr.endsWith('/ 0.001')),
      'budget remaining over the objective window',
    );
  });

  test('without --output it is a usage error', async () => {
    const refused = await runFlowlens(processes, ['dashboards', 'generate', '--profiles', EXAMPLE]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /dashboards generate needs --output DIR/);
  });
});
