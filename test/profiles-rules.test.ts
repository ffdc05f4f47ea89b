/**
 * `flowlens rules generate`: ObservabilityProfiles in, burn-rate alerting rules out. promtool accepts them, a generated
 * alert fires on a burn (availability, latency, DNS errors) and stays silent on a near miss, outside the profile's
 * workloads and under the objective's minimum traffic (which alone keeps it silent: without the guard it pages), the output is
 * byte-identical on a re-run (CI can regenerate and diff), and a bad profile is refused naming the file and the field.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { FIXTURES, makeTempDir, Processes, removeDir, REPO_ROOT, run, runFlowlens } from './support';

const EXAMPLE = join(REPO_ROOT, 'provisioning', 'kubernetes', 'examples', 'checkout-profile.yaml');
const PROMTOOL_TESTS = join(FIXTURES, 'profiles', 'checkout-rules.test.yml');
const UNGUARDED = join(FIXTURES, 'profiles', 'unguarded-profile.yaml');
const UNGUARDED_TESTS = join(FIXTURES, 'profiles', 'unguarded-rules.test.yml');

interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
}

describe('flowlens rules generate', () => {
  const processes = new Processes();
  let dir = '';
  after(async () => {
    await processes.stopAll();
    if (dir !== '') await removeDir(dir);
  });

  test('promtool accepts the generated rules; an alert fires on a burn, not on a near miss nor at low traffic', async () => {
    dir = await makeTempDir('flowlens-profile-rules-');
    const rulesFile = join(dir, 'rules.yml');
    const generated = await runFlowlens(processes, [
      'rules',
      'generate',
      '--profiles',
      EXAMPLE,
      '--format',
      'rules',
      '--output',
      rulesFile,
    ]);
    assert.equal(generated.code, 0, generated.stderr);
    const checked = await run(processes, 'promtool', ['check', 'rules', rulesFile]);
    assert.equal(checked.code, 0, `promtool check rules failed:\n${checked.stdout}${checked.stderr}`);

    const file = parse(readFileSync(rulesFile, 'utf8')) as { groups: { name: string; rules: Rule[] }[] };
    assert.deepEqual(
      file.groups.map((group) => group.name),
      ['flowlens-profile-shop-checkout'],
    );
    const rules = file.groups[0]?.rules ?? [];
    // Two alerts (page and ticket) for each of the three objectives.
    assert.deepEqual(
      rules.map((rule) => `${rule.alert} ${rule.labels['severity']}`),
      [
        'FlowlensProfileHTTPAvailabilityBudgetBurnFast critical',
        'FlowlensProfileHTTPAvailabilityBudgetBurnSlow warning',
        'FlowlensProfileHTTPLatencyBudgetBurnFast critical',
        'FlowlensProfileHTTPLatencyBudgetBurnSlow warning',
        'FlowlensProfileDNSErrorsBudgetBurnFast critical',
        'FlowlensProfileDNSErrorsBudgetBurnSlow warning',
      ],
    );
    for (const rule of rules) {
      assert.equal(rule.labels['team'], 'payments');
      assert.equal(rule.labels['receiver'], 'payments-oncall');
      assert.equal(rule.labels['profile'], 'shop/checkout');
      // Scoped to the profile's namespace and named workloads.
      assert.match(rule.expr, /_namespace="shop",(dest|client)_workload=~"checkout\|payments"/);
    }
    // The SRE workbook's pairs and factors for a 30-day objective.
    assert.match(
      rules[0]!.expr,
      /\[1h\][\s\S]*> \(14\.4 \* 0\.001\)[\s\S]*\[5m\][\s\S]*\[6h\][\s\S]*> \(6 \* 0\.001\)/,
    );
    assert.match(rules[1]!.expr, /\[1d\][\s\S]*> \(3 \* 0\.001\)[\s\S]*\[2h\][\s\S]*\[3d\][\s\S]*> \(1 \* 0\.001\)/);
    assert.match(rules[2]!.expr, /le="0\.5"/);
    // Every window pair is guarded by the objective's minimum traffic over its long window (1/m by default).
    for (const rule of rules) {
      assert.equal(rule.expr.match(/\[(1h|6h|1d|3d)\]\)\) >= \(1 \/ 60\)/g)?.length, 2, rule.alert);
    }

    copyFileSync(PROMTOOL_TESTS, join(dir, 'checkout-rules.test.yml'));
    const tested = await run(processes, 'promtool', ['test', 'rules', join(dir, 'checkout-rules.test.yml')], {
      timeoutMs: 120_000,
    });
    assert.equal(tested.code, 0, `promtool test rules failed:\n${tested.stdout}${tested.stderr}`);
  });

  test('without the minimum-traffic guard ("0/m") the low-traffic case pages', async () => {
    const rulesFile = join(dir, 'unguarded-rules.yml');
    const generated = await runFlowlens(processes, [
      'rules',
      'generate',
      '--profiles',
      UNGUARDED,
      '--format',
      'rules',
      '--output',
      rulesFile,
    ]);
    assert.equal(generated.code, 0, generated.stderr);
    assert.doesNotMatch(readFileSync(rulesFile, 'utf8'), />= /, 'no guard in the rules');
    copyFileSync(UNGUARDED_TESTS, join(dir, 'unguarded-rules.test.yml'));
    const tested = await run(processes, 'promtool', ['test', 'rules', join(dir, 'unguarded-rules.test.yml')], {
      timeoutMs: 120_000,
    });
    assert.equal(tested.code, 0, `promtool test rules failed:\n${tested.stdout}${tested.stderr}`);
  });

  test('output is byte-identical on a re-run, and one PrometheusRule per profile in its namespace', async () => {
    const first = await runFlowlens(processes, ['rules', 'generate', '--profiles', EXAMPLE]);
    const second = await runFlowlens(processes, ['rules', 'generate', '--profiles', EXAMPLE]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, second.stdout);
    const documents = parseAllDocuments(first.stdout).map((document) => document.toJS() as Record<string, unknown>);
    assert.equal(documents.length, 1);
    const [resource] = documents;
    assert.equal(resource?.['kind'], 'PrometheusRule');
    assert.deepEqual(resource?.['metadata'], {
      name: 'flowlens-profile-checkout',
      namespace: 'shop',
      labels: { 'app.kubernetes.io/name': 'flowlens', 'flowlens.io/profile': 'checkout' },
    });
  });

  test('a bad profile is refused naming the file, the object and the field; a directory skips other kinds', async () => {
    const bad = join(dir, 'bad');
    mkdirSync(bad, { recursive: true });
    writeFileSync(
      join(bad, 'app.yaml'),
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n---\n' +
        'apiVersion: flowlens.io/v1alpha1\nkind: ObservabilityProfile\nmetadata: {name: web, namespace: shop}\n' +
        'spec:\n  workloads: {names: [web]}\n  objectives:\n    httpAvailability: {target: 99.9}\n',
    );
    const refused = await runFlowlens(processes, ['rules', 'generate', '--profiles', bad]);
    assert.equal(refused.code, 2);
    assert.match(
      refused.stderr,
      /app\.yaml: ObservabilityProfile shop\/web: spec\.objectives\.httpAvailability\.target must be a number above 0 and below 1 such as 0\.999, got number 99\.9/,
    );
    const missing = await runFlowlens(processes, ['rules', 'generate']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /rules generate needs --profiles/);
    const unknown = await runFlowlens(processes, ['rules', 'generate', '--profiles', EXAMPLE, '--fromat', 'rules']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown flag --fromat/);
  });
});
