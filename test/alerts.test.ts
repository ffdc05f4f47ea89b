/**
 * The rules in alerts/: Prometheus's own checker accepts them, `promtool test rules` passes, every alert is tested
 * firing on a scenario (the test files pair each with near misses that must stay silent), every alert carries the
 * annotations and labels an on-call engineer needs, and every series the rules read is one the exporter declares.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ALL_FAMILIES } from '@flowlens/exporter/dist/src/metrics/catalogue';
import { Processes, REPO_ROOT, run } from './support';

const ALERTS_DIR = join(REPO_ROOT, 'alerts');
const RULES_FILE = join(ALERTS_DIR, 'flowlens-rules.yml');
const TESTS_DIR = join(ALERTS_DIR, 'tests');

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}

interface RuleTestFile {
  tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

function rules(): Rule[] {
  const file = parse(readFileSync(RULES_FILE, 'utf8')) as RuleFile;
  return file.groups.flatMap((group) => group.rules);
}

function testFiles(): string[] {
  return readdirSync(TESTS_DIR)
    .filter((name) => name.endsWith('.test.yml'))
    .sort()
    .map((name) => join(TESTS_DIR, name));
}

/** Alerts whose expression's value is a constant (`up == 0`, `synced == 0`). */
const VALUELESS_ALERTS: ReadonlySet<string> = new Set(['FlowlensExporterDown', 'FlowlensClusterViewNotSynced']);

const alerts = (): Rule[] => rules().filter((rule) => rule.alert !== undefined);

describe('alerts/flowlens-rules.yml', () => {
  const processes = new Processes();

  test('promtool check rules accepts the file', async () => {
    const checked = await run(processes, 'promtool', ['check', 'rules', RULES_FILE]);
    assert.equal(checked.code, 0, `promtool check rules failed:\n${checked.stdout}${checked.stderr}`);
    assert.match(checked.stdout, /SUCCESS: \d+ rules found/);
  });

  test('promtool test rules passes every unit test file', async () => {
    const files = testFiles();
    assert.ok(files.length >= 3, `expected the rule unit tests in ${TESTS_DIR}`);
    const tested = await run(processes, 'promtool', ['test', 'rules', ...files], { timeoutMs: 120_000 });
    assert.equal(tested.code, 0, `promtool test rules failed:\n${tested.stdout}${tested.stderr}`);
    assert.equal(tested.stdout.match(/SUCCESS/g)?.length, files.length, tested.stdout);
  });

  test('there are at least 12 alerts, each tested firing on a scenario', () => {
    const names = alerts().map((rule) => rule.alert!);
    assert.ok(names.length >= 12, `only ${names.length} alerts`);
    assert.equal(new Set(names).size, names.length, 'alert names are unique');
    const firing = new Set<string>();
    const silent = new Set<string>();
    for (const file of testFiles()) {
      const parsed = parse(readFileSync(file, 'utf8')) as RuleTestFile;
      for (const scenario of parsed.tests) {
        for (const check of scenario.alert_rule_test ?? []) {
          (check.exp_alerts.length > 0 ? firing : silent).add(check.alertname);
        }
      }
    }
    const untested = names.filter((name) => !firing.has(name));
    assert.deepEqual(untested, [], `alerts without a firing test: ${untested.join(', ')}`);
    const unknown = [...firing, ...silent].filter((name) => !names.includes(name));
    assert.deepEqual(unknown, [], `tests of alerts that do not exist: ${unknown.join(', ')}`);
  });

  test('every alert has a severity, a summary, a description and a runbook in docs/runbooks', () => {
    for (const rule of alerts()) {
      const name = rule.alert!;
      assert.ok(['critical', 'warning', 'info'].includes(rule.labels?.['severity'] ?? ''), `${name}: severity`);
      assert.ok((rule.annotations?.['summary'] ?? '').length > 10, `${name}: summary`);
      const description = rule.annotations?.['description'] ?? '';
      // An exporter that is down or a view that is not in sync has no number to give but the duration, which they do.
      if (!VALUELESS_ALERTS.has(name)) {
        assert.match(description, /\$value/, `${name}: the description gives the number involved`);
      }
      assert.match(description, /\$labels\./, `${name}: the description names what is involved`);
      const runbook = rule.annotations?.['runbook_url'] ?? '';
      assert.ok(runbook.endsWith(`/docs/runbooks/${name}.md`), `${name}: runbook_url ${runbook}`);
      const runbookFile = join(REPO_ROOT, 'docs', 'runbooks', `${name}.md`);
      assert.ok(existsSync(runbookFile), `${name}: ${runbookFile} is missing`);
      const text = readFileSync(runbookFile, 'utf8');
      for (const section of ['## Meaning', '## Confirm', '## Act']) {
        assert.ok(text.includes(section), `${runbookFile} has no "${section}" section`);
      }
    }
  });

  test('recording rules are named level:metric:operations and recorded once', () => {
    const recorded = rules().flatMap((rule) => (rule.record === undefined ? [] : [rule.record]));
    assert.ok(recorded.length > 0);
    for (const name of recorded) assert.match(name, /^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$/, name);
    assert.equal(new Set(recorded).size, recorded.length, 'each recording rule name appears once');
  });

  test('every series the rules read is declared in the catalogue or recorded here', () => {
    const declared = new Set(ALL_FAMILIES.map((family) => family.name));
    const recorded = new Set(rules().flatMap((rule) => (rule.record === undefined ? [] : [rule.record])));
    for (const rule of rules()) {
      for (const [name] of rule.expr.matchAll(/(?<![\w:])flowlens_[a-z0-9_]+(?![\w:])/g)) {
        const family = name.replace(/_(bucket|count|sum)$/, '');
        assert.ok(
          declared.has(name) || declared.has(family),
          `${rule.record ?? rule.alert} reads ${name}, not declared`,
        );
      }
      for (const [name] of rule.expr.matchAll(/\b[a-z_]+:[a-z0-9_]+:[a-z0-9_]+\b/g)) {
        assert.ok(recorded.has(name), `${rule.record ?? rule.alert} reads ${name}, not recorded`);
      }
    }
  });
});
