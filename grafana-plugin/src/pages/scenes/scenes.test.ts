import {
  DataSourceVariable,
  type EmbeddedScene,
  QueryVariable,
  SceneDataTransformer,
  SceneQueryRunner,
  SceneRefreshPicker,
  SceneTimePicker,
  VariableValueSelectors,
  VizPanel,
  sceneGraph,
} from '@grafana/scenes';

import { POLICY_FLOW_PANEL_ID, SERVICE_GRAPH_PANEL_ID } from '../../constants';
import { DEFAULT_APP_SETTINGS, type ResolvedAppSettings } from '../../data/app-settings';
import { DEFAULT_OPTIONS } from '../../panels/service-graph/types';
import {
  ANOMALY_ENTER_SCORE,
  ANOMALY_EXIT_SCORE,
  ANOMALY_QUERIES,
  CAPTURE_NAMESPACE_VARIABLE,
  CAPTURE_QUERIES,
  CAPTURE_TABLE_COLUMNS,
  DNS_QUERIES,
  HOTSPOT_QUERIES,
  HTTP_QUERIES,
  MATCH_ALL,
  NAMESPACE_VARIABLE,
  POLICY_FLOW_QUERIES,
  SERVICE_GRAPH_QUERIES,
  WORKLOAD_VARIABLE,
} from '../../queries';
import { SCORE_COLUMN } from './anomalies';
import { FETCH_NOTE } from './captures';
import { ALL_VALUE, DATASOURCE } from './common';
import { SCENES } from './index';
import { POLICY_FLOWS_PAGE_QUERIES } from './policy-flows';

/** The panels that draw data (text panels, such as the Captures page's note, query nothing). */
function panels(scene: EmbeddedScene): VizPanel[] {
  return allPanels(scene).filter((panel) => panel.state.pluginId !== 'text');
}

function allPanels(scene: EmbeddedScene): VizPanel[] {
  return sceneGraph.findAllObjects(scene, (object) => object instanceof VizPanel) as VizPanel[];
}

/** The panel's query runner, under its transformations if it has any. */
function runner(panel: VizPanel): SceneQueryRunner {
  const data = panel.state.$data;
  const source = data instanceof SceneDataTransformer ? data.state.$data : data;
  if (!(source instanceof SceneQueryRunner)) throw new Error(`${panel.state.title} has no query runner`);
  return source;
}

/** Each panel's plugin id and the expressions it queries, by refId. */
function queriesByPanel(scene: EmbeddedScene) {
  return panels(scene).map((panel) => ({
    pluginId: panel.state.pluginId,
    queries: runner(panel).state.queries.map(({ refId, expr }) => ({ refId, expr })),
  }));
}

function variables(scene: EmbeddedScene) {
  return (scene.state.$variables?.state.variables ?? []).map((variable) => variable.state.name);
}

function variable<T>(scene: EmbeddedScene, name: string, type: new (...args: never[]) => T): T {
  const found = scene.state.$variables?.getByName(name);
  if (!(found instanceof type)) throw new Error(`no ${name} variable of the expected type`);
  return found;
}

const settings = (change: Partial<ResolvedAppSettings> = {}) => ({ ...DEFAULT_APP_SETTINGS, ...change });
const exprs = (queries: Array<{ refId: string; expr: string }>) => queries.map(({ refId, expr }) => ({ refId, expr }));

describe('every scene page', () => {
  it.each(Object.keys(SCENES) as Array<keyof typeof SCENES>)(
    '%s: queries the datasource variable, has time range, variable and refresh controls',
    (page) => {
      const scene = SCENES[page](settings());
      for (const panel of panels(scene)) expect(runner(panel).state.datasource).toEqual(DATASOURCE);
      expect(variables(scene)[0]).toBe('datasource');
      expect(variable(scene, 'datasource', DataSourceVariable).state.pluginId).toBe('prometheus');
      // Namespaces with flows, or for the Captures page, namespaces with captures.
      const namespaces = page === 'captures' ? CAPTURE_NAMESPACE_VARIABLE : NAMESPACE_VARIABLE;
      expect(variable(scene, 'namespace', QueryVariable).state).toMatchObject({
        query: namespaces.query,
        regex: namespaces.regex,
      });
      expect(sceneGraph.getTimeRange(scene).state.from).toBe('now-1h');
      const controls = scene.state.controls ?? [];
      for (const type of [VariableValueSelectors, SceneTimePicker, SceneRefreshPicker]) {
        expect(controls.some((control) => control instanceof type)).toBe(true);
      }
    },
  );

  it('use the configured data source, else leave the variable to pick one (ScenePage passes the default)', () => {
    for (const build of Object.values(SCENES)) {
      const configured = build(settings({ datasourceUid: 'flowlens-prometheus' }));
      expect(variable(configured, 'datasource', DataSourceVariable).state.value).toBe('flowlens-prometheus');
      expect(variable(build(settings()), 'datasource', DataSourceVariable).state.value).toBe('');
    }
  });

  it('open on all namespaces (`.*`), or on the configured default namespace', () => {
    for (const build of Object.values(SCENES)) {
      const all = variable(build(settings()), 'namespace', QueryVariable).state;
      expect(all).toMatchObject({ value: ALL_VALUE, includeAll: true, allValue: MATCH_ALL, defaultToAll: true });
      const shop = variable(build(settings({ defaultNamespace: 'shop' })), 'namespace', QueryVariable).state;
      expect(shop).toMatchObject({ value: 'shop', defaultToAll: false });
    }
  });
});

describe('Service Graph page', () => {
  it('feeds the service graph panel with SERVICE_GRAPH_QUERIES, with namespace and workload variables', () => {
    const scene = SCENES.serviceGraph(settings());
    expect(queriesByPanel(scene)).toEqual([
      { pluginId: SERVICE_GRAPH_PANEL_ID, queries: exprs(SERVICE_GRAPH_QUERIES) },
    ]);
    expect(variables(scene)).toEqual(['datasource', 'namespace', 'workload']);
    const workload = variable(scene, 'workload', QueryVariable).state;
    expect(workload).toMatchObject({ query: WORKLOAD_VARIABLE.query, regex: WORKLOAD_VARIABLE.regex });
    expect(workload.value).toBe(ALL_VALUE);
  });

  it('opens with the panel defaults and the configured filters', () => {
    const [panel] = panels(SCENES.serviceGraph(settings({ onlyDenied: true, showIdle: true })));
    expect(panel?.state.options).toEqual({ ...DEFAULT_OPTIONS, onlyDenied: true, showIdle: true });
    const [plain] = panels(SCENES.serviceGraph(settings()));
    expect(plain?.state.options).toEqual(DEFAULT_OPTIONS);
  });
});

describe('Policy Flows page', () => {
  it('feeds the policy flow panel with POLICY_FLOW_QUERIES over every workload, with a namespace variable', () => {
    const scene = SCENES.policyFlows(settings());
    expect(queriesByPanel(scene)).toEqual([
      { pluginId: POLICY_FLOW_PANEL_ID, queries: exprs(POLICY_FLOWS_PAGE_QUERIES) },
    ]);
    expect(variables(scene)).toEqual(['datasource', 'namespace']);
    expect(POLICY_FLOWS_PAGE_QUERIES.map((query) => query.refId)).toEqual(POLICY_FLOW_QUERIES.map((q) => q.refId));
    for (const { expr } of POLICY_FLOWS_PAGE_QUERIES) {
      expect(expr).toContain('$namespace');
      expect(expr).not.toContain('$workload');
    }
  });
});

describe('DNS page', () => {
  it('draws every DNS query once in a core panel, with a namespace variable', () => {
    const scene = SCENES.dns(settings());
    const drawn = queriesByPanel(scene);
    expect(drawn.map(({ queries }) => queries).flat()).toEqual(
      expect.arrayContaining(exprs(Object.values(DNS_QUERIES))),
    );
    expect(drawn).toHaveLength(Object.keys(DNS_QUERIES).length);
    expect(new Set(drawn.map(({ pluginId }) => pluginId))).toEqual(new Set(['timeseries', 'bargauge', 'table']));
    expect(variables(scene)).toEqual(['datasource', 'namespace']);
  });
});

describe('HTTP page', () => {
  it('draws every HTTP query once in a core panel, with namespace and workload variables', () => {
    const scene = SCENES.http(settings());
    const drawn = queriesByPanel(scene);
    expect(drawn.map(({ queries }) => queries).flat()).toEqual(
      expect.arrayContaining(exprs(Object.values(HTTP_QUERIES))),
    );
    expect(drawn).toHaveLength(Object.keys(HTTP_QUERIES).length);
    expect(new Set(drawn.map(({ pluginId }) => pluginId))).toEqual(new Set(['timeseries', 'table']));
    expect(variables(scene)).toEqual(['datasource', 'namespace', 'workload']);
  });

  it('shows its tables without the time column of instant queries, the value column named', () => {
    const tables = panels(SCENES.http(settings())).filter((panel) => panel.state.pluginId === 'table');
    expect(tables).toHaveLength(2);
    for (const table of tables) {
      const data = table.state.$data;
      if (!(data instanceof SceneDataTransformer)) throw new Error('no transformations');
      const [organize] = data.state.transformations as Array<{ id: string; options: Record<string, unknown> }>;
      expect(organize).toMatchObject({ id: 'organize', options: { excludeByName: { Time: true } } });
    }
  });
});

describe('Hotspots page', () => {
  it('draws each category in a table of its ranking and volume queries, with a namespace variable', () => {
    const scene = SCENES.hotspots(settings());
    const drawn = queriesByPanel(scene);
    expect(drawn).toEqual(
      Object.values(HOTSPOT_QUERIES).map((table) => ({
        pluginId: 'table',
        queries: exprs([table.rank, table.volume]),
      })),
    );
    expect(variables(scene)).toEqual(['datasource', 'namespace']);
  });

  it('merges the two queries per row, sorts by the ranked value and names the columns', () => {
    const [dns] = panels(SCENES.hotspots(settings())).filter((panel) => panel.state.title.includes('DNS clients'));
    const data = dns?.state.$data;
    if (!(data instanceof SceneDataTransformer)) throw new Error('no transformations');
    expect(data.state.transformations).toEqual([
      { id: 'merge', options: {} },
      { id: 'sortBy', options: { sort: [{ field: 'Value #hot_dns', desc: true }] } },
      {
        id: 'organize',
        options: {
          excludeByName: { Time: true },
          renameByName: { 'Value #hot_dns': 'Failure ratio', 'Value #hot_dns_volume': 'Queries/s' },
        },
      },
    ]);
  });

  it('links each row to the matching dashboard with its namespace and workload', () => {
    const byTitle = new Map(panels(SCENES.hotspots(settings())).map((panel) => [panel.state.title, panel]));
    const links = (title: string) => {
      const panel = [...byTitle.entries()].find(([name]) => name.includes(title))?.[1];
      return (panel?.state.fieldConfig.overrides ?? []).flatMap((override) =>
        override.properties
          .filter((property) => property.id === 'links')
          .map((property) => ({
            field: override.matcher.options as string,
            links: property.value as Array<{ url: string }>,
          })),
      );
    };
    expect(links('DNS clients')).toEqual([
      {
        field: 'client_workload',
        links: [
          expect.objectContaining({
            url: '/d/flowlens-dns?var-namespace=${__data.fields.client_namespace}&var-workload=${__data.fields.client_workload}&${__url_time_range}&var-datasource=${datasource}',
          }),
        ],
      },
    ]);
    expect(links('denied flows')[0]?.links[0]?.url).toMatch(
      /^\/d\/flowlens-flows\?var-namespace=\$\{__data\.fields\.source_namespace\}&var-workload=\$\{__data\.fields\.source_workload\}/,
    );
    expect(links('p99 latency')[0]?.links[0]?.url).toMatch(
      /^\/d\/flowlens-http\?var-namespace=\$\{__data\.fields\.dest_namespace\}/,
    );
    expect(links('retransmissions')[0]?.links[0]?.url).toMatch(/^\/d\/flowlens-tcp\?/);
  });
});

describe('Captures page', () => {
  it('draws every capture query once: the joined table and three time series, with a namespace variable', () => {
    const scene = SCENES.captures(settings());
    const drawn = queriesByPanel(scene);
    expect(drawn).toEqual([
      { pluginId: 'table', queries: exprs([CAPTURE_QUERIES.status, CAPTURE_QUERIES.bytes, CAPTURE_QUERIES.packets]) },
      { pluginId: 'timeseries', queries: exprs([CAPTURE_QUERIES.active]) },
      { pluginId: 'timeseries', queries: exprs([CAPTURE_QUERIES.bytesRate]) },
      { pluginId: 'timeseries', queries: exprs([CAPTURE_QUERIES.packetsRate]) },
    ]);
    expect(drawn.flatMap(({ queries }) => queries)).toHaveLength(Object.keys(CAPTURE_QUERIES).length);
    expect(variables(scene)).toEqual(['datasource', 'namespace']);
    expect(variable(scene, 'namespace', QueryVariable).state.query).toContain('flowlens_capture_info');
  });

  it('joins the status, bytes and packets tables on their labels, without the time and the info value', () => {
    const [table] = panels(SCENES.captures(settings()));
    expect(table?.state.title).toBe('Captures');
    const data = table?.state.$data;
    if (!(data instanceof SceneDataTransformer)) throw new Error('no transformations');
    const [merge, organize] = data.state.transformations as Array<{ id: string; options: Record<string, unknown> }>;
    expect(merge?.id).toBe('merge');
    expect(organize).toEqual({
      id: 'organize',
      options: {
        excludeByName: { Time: true, 'Value #capture_status': true },
        indexByName: { namespace: 0, name: 1, node: 2, state: 3 },
        renameByName: { 'Value #capture_bytes': 'Bytes', 'Value #capture_packets': 'Packets' },
      },
    });
    // The queries are instant tables whose refIds the column names are keyed by.
    for (const query of [CAPTURE_QUERIES.status, CAPTURE_QUERIES.bytes, CAPTURE_QUERIES.packets]) {
      expect(query).toMatchObject({ instant: true, range: false, format: 'table' });
    }
    expect(Object.keys(CAPTURE_TABLE_COLUMNS)).toEqual([CAPTURE_QUERIES.bytes.refId, CAPTURE_QUERIES.packets.refId]);
    // Bytes in bytes.
    const overrides = table?.state.fieldConfig.overrides ?? [];
    expect(overrides).toContainEqual({
      matcher: { id: 'byName', options: 'Bytes' },
      properties: [{ id: 'unit', value: 'bytes' }],
    });
  });

  it('says how to fetch the files, since Grafana cannot', () => {
    const notes = allPanels(SCENES.captures(settings())).filter((panel) => panel.state.pluginId === 'text');
    expect(notes).toHaveLength(1);
    expect(notes[0]?.state.options).toMatchObject({ content: FETCH_NOTE });
    expect(FETCH_NOTE).toContain('flowlens capture fetch NAMESPACE/NAME --dest DIR');
    expect(FETCH_NOTE).toContain('docs/capture.md');
  });
});

describe('Anomalies page', () => {
  const byTitle = (title: string) => {
    const panel = panels(SCENES.anomalies(settings())).find((candidate) => candidate.state.title === title);
    if (panel === undefined) throw new Error(`no panel "${title}"`);
    return panel;
  };

  it('draws the scores now, the alerts firing, the scores over time and anomalies per kind', () => {
    const scene = SCENES.anomalies(settings());
    expect(queriesByPanel(scene)).toEqual([
      { pluginId: 'table', queries: exprs([ANOMALY_QUERIES.current]) },
      { pluginId: 'table', queries: exprs([ANOMALY_QUERIES.firing]) },
      { pluginId: 'timeseries', queries: exprs([ANOMALY_QUERIES.scores]) },
      { pluginId: 'timeseries', queries: exprs([ANOMALY_QUERIES.startedPerHour]) },
    ]);
    expect(variables(scene)).toEqual(['datasource', 'namespace']);
  });

  it("colours the score by the detectors' thresholds and sorts the highest first", () => {
    const panel = byTitle('Scored now');
    expect(panel.state.fieldConfig.defaults.thresholds?.steps).toEqual([
      { value: -Infinity, color: 'green' },
      { value: ANOMALY_EXIT_SCORE, color: 'orange' },
      { value: ANOMALY_ENTER_SCORE, color: 'red' },
    ]);
    const score = panel.state.fieldConfig.overrides.find((override) => override.matcher.options === SCORE_COLUMN);
    expect(score?.properties).toContainEqual({ id: 'custom.cellOptions', value: { type: 'color-background' } });
    const data = panel.state.$data;
    if (!(data instanceof SceneDataTransformer)) throw new Error('no transformations');
    expect(data.state.transformations[0]).toEqual({
      id: 'sortBy',
      options: { sort: [{ field: 'Value', desc: true }] },
    });
    expect(data.state.transformations[1]).toMatchObject({
      id: 'organize',
      options: { excludeByName: { Time: true }, renameByName: { Value: SCORE_COLUMN } },
    });
  });

  it("links each scored workload to its workload dashboard, and hides the alerts' constant value", () => {
    const workload = byTitle('Scored now').state.fieldConfig.overrides.find(
      (override) => override.matcher.options === 'workload',
    );
    expect(workload?.properties).toEqual([
      {
        id: 'links',
        value: [
          expect.objectContaining({
            url: '/d/flowlens-workload?var-namespace=${__data.fields.namespace}&var-workload=${__data.fields.workload}&${__url_time_range}&var-datasource=${datasource}',
          }),
        ],
      },
    ]);
    const firing = byTitle('FlowlensAnomalyDetected firing').state.$data;
    if (!(firing instanceof SceneDataTransformer)) throw new Error('no transformations');
    expect(firing.state.transformations[1]).toMatchObject({
      options: { excludeByName: { Time: true, Value: true } },
    });
  });
});
