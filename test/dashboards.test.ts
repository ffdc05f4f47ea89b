/**
 * The dashboards in dashboards/json: exactly what the TypeScript generator writes, and built the way a careful
 * dashboard author would: every panel described, with a unit and the data source variable; the variables its
 * queries use declared; links from namespace to workload to its flows; policy changes as annotations; and every
 * series a panel reads declared by the exporter's catalogue or recorded by alerts/flowlens-rules.yml.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ALL_FAMILIES } from '@flowlens/exporter/dist/src/metrics/catalogue';
import { Processes, REPO_ROOT, run } from './support';
import { allLinks, committedDashboards, dataPanels, variable, variableQuery, type Dashboard } from './dashboard-model';

const processes = new Processes();

function recordedSeries(): Set<string> {
  const file = parse(readFileSync(join(REPO_ROOT, 'alerts', 'flowlens-rules.yml'), 'utf8')) as {
    groups: { rules: { record?: string }[] }[];
  };
  return new Set(file.groups.flatMap((group) => group.rules.flatMap((rule) => (rule.record ? [rule.record] : []))));
}

/** Every PromQL expression of a dashboard: panel targets, variable queries, annotations. */
function expressions(dashboard: Dashboard): string[] {
  return [
    ...dataPanels(dashboard).flatMap((panel) => (panel.targets ?? []).map((target) => target.expr ?? '')),
    ...(dashboard.templating?.list ?? []).filter((candidate) => candidate.type === 'query').map(variableQuery),
    ...(dashboard.annotations?.list ?? []).map((annotation) => annotation.expr ?? ''),
  ].filter((expr) => expr !== '');
}

const byUid = (uid: string): Dashboard => {
  const found = committedDashboards().find((dashboard) => dashboard.uid === uid);
  assert.ok(found, `dashboard ${uid} is committed`);
  return found;
};

describe('dashboards/json', () => {
  test('the committed JSON is exactly the generator’s output', async () => {
    const checked = await run(processes, process.execPath, [
      join(REPO_ROOT, 'dashboards', 'dist', 'src', 'generate.js'),
      '--check',
    ]);
    assert.equal(checked.code, 0, `${checked.stdout}${checked.stderr}`);
    assert.match(checked.stdout, /\d+ dashboards in .* match the generator/);
  });

  test('at least 8 dashboards, each with a unique uid, the flowlens tag, a data source variable and the dashboards dropdown', () => {
    const dashboards = committedDashboards();
    assert.ok(dashboards.length >= 8, `${dashboards.length} dashboards`);
    assert.equal(new Set(dashboards.map((dashboard) => dashboard.uid)).size, dashboards.length);
    for (const dashboard of dashboards) {
      assert.ok(dashboard.tags?.includes('flowlens'), `${dashboard.uid} is tagged flowlens`);
      assert.ok((dashboard.description ?? '').length > 20, `${dashboard.uid} has a description`);
      assert.equal(variable(dashboard, 'datasource')?.type, 'datasource', `${dashboard.uid} has a datasource variable`);
      assert.ok(
        dashboard.links?.some((link) => link.type === 'dashboards' && link.tags?.includes('flowlens')),
        `${dashboard.uid} links to the other Flowlens dashboards`,
      );
    }
  });

  test('every panel is described, has a unit, reads the selected data source and has distinct query ids', () => {
    for (const dashboard of committedDashboards()) {
      const panels = dataPanels(dashboard);
      assert.ok(panels.length >= 5, `${dashboard.uid} has ${panels.length} panels`);
      for (const panel of panels) {
        const where = `${dashboard.uid} / ${panel.title}`;
        assert.ok((panel.description ?? '').length > 15, `${where}: description`);
        assert.ok((panel.fieldConfig?.defaults?.unit ?? '') !== '', `${where}: unit`);
        assert.equal(panel.datasource?.uid, '${datasource}', `${where}: data source`);
        const targets = panel.targets ?? [];
        assert.ok(targets.length > 0, `${where}: queries`);
        const ids = targets.map((target) => target.refId ?? '');
        assert.ok(
          ids.every((id) => /^[A-Z]$/.test(id)),
          `${where}: query ids ${ids.join(',')}`,
        );
        assert.equal(new Set(ids).size, ids.length, `${where}: distinct query ids`);
        for (const target of targets)
          assert.equal(target.datasource?.uid, '${datasource}', `${where}: query data source`);
      }
    }
  });

  test('the variables a query uses are declared', () => {
    for (const dashboard of committedDashboards()) {
      for (const expr of expressions(dashboard)) {
        for (const [, name] of expr.matchAll(/\$(?:\{)?([a-z_]+)/g)) {
          if (name!.startsWith('__')) continue;
          assert.ok(variable(dashboard, name!), `${dashboard.uid}: ${expr} uses $${name}, not declared`);
        }
      }
    }
  });

  test('namespace links to workload, workload links to its flows, and flows show policy changes', () => {
    const linksTo = (dashboard: Dashboard, uid: string): boolean =>
      allLinks(dashboard).some((link) => (link.url ?? '').startsWith(`/d/${uid}?`));
    assert.ok(linksTo(byUid('flowlens-overview'), 'flowlens-namespace'));
    assert.ok(linksTo(byUid('flowlens-namespace'), 'flowlens-workload'));
    assert.ok(linksTo(byUid('flowlens-workload'), 'flowlens-flows'));
    for (const uid of ['flowlens-overview', 'flowlens-namespace', 'flowlens-workload', 'flowlens-flows']) {
      const annotations = byUid(uid).annotations?.list ?? [];
      assert.ok(
        annotations.some((annotation) => (annotation.expr ?? '').includes('flowlens_policy_changes_total')),
        `${uid} shows policy changes as annotations`,
      );
    }
  });

  test('every series a dashboard reads is declared by the catalogue or recorded by the rules', () => {
    const declared = new Set(ALL_FAMILIES.map((family) => family.name));
    const recorded = recordedSeries();
    for (const dashboard of committedDashboards()) {
      for (const expr of expressions(dashboard)) {
        for (const [name] of expr.matchAll(/(?<![\w:])flowlens_[a-z0-9_]+(?![\w:])/g)) {
          const family = name.replace(/_(bucket|count|sum)$/, '');
          assert.ok(declared.has(name) || declared.has(family), `${dashboard.uid}: ${name} is not declared`);
        }
        for (const [name] of expr.matchAll(/\b[a-z_]+:[a-z0-9_]+:[a-z0-9_]+\b/g)) {
          assert.ok(recorded.has(name), `${dashboard.uid}: ${name} is not recorded by alerts/flowlens-rules.yml`);
        }
      }
    }
  });
});
