/**
 * What every Flowlens dashboard shares: the data source, namespace and workload variables, the links between
 * dashboards, the policy-change annotation, and panel builders with the units, thresholds and legends a careful
 * dashboard author sets. Dashboards read the recording rules of alerts/flowlens-rules.yml where one exists, so a
 * panel and the alert about it show the same number.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';

/** Every dashboard's uid and title, so links and runbooks name them once. */
export const DASHBOARDS = {
  overview: { uid: 'flowlens-overview', title: 'Flowlens / Cluster overview' },
  namespace: { uid: 'flowlens-namespace', title: 'Flowlens / Namespace' },
  workload: { uid: 'flowlens-workload', title: 'Flowlens / Workload' },
  flows: { uid: 'flowlens-flows', title: 'Flowlens / Flows and policy' },
  dns: { uid: 'flowlens-dns', title: 'Flowlens / DNS' },
  http: { uid: 'flowlens-http', title: 'Flowlens / HTTP' },
  tcp: { uid: 'flowlens-tcp', title: 'Flowlens / TCP and sockets' },
  audit: { uid: 'flowlens-audit', title: 'Flowlens / Kubernetes activity' },
  exporter: { uid: 'flowlens-exporter', title: 'Flowlens / Exporter health' },
} as const;

export type DashboardKey = keyof typeof DASHBOARDS;

export const TAG = 'flowlens';

/** Panels query the data source the `datasource` variable selects. */
export const DATASOURCE: dashboard.DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

export function datasourceVariable(): dashboard.DatasourceVariableBuilder {
  return new dashboard.DatasourceVariableBuilder('datasource')
    .label('Data source')
    .type('prometheus')
    .description('The Prometheus that scrapes the Flowlens exporters.');
}

/**
 * A variable whose values are `name`'s values at either end of an edge (`source_<name>` or `dest_<name>`), within
 * `sourceSelector`/`destSelector`. `label_values` reads one label, and values only seen at one end (a database
 * namespace only receives) would be missing from the other, so the union comes from a query.
 */
function eitherEndVariable(
  name: 'namespace' | 'workload',
  label: string,
  description: string,
  selectors: { source: string; dest: string },
): dashboard.QueryVariableBuilder {
  const end = (side: 'source' | 'dest', selector: string): string =>
    `label_replace(edge:flowlens_flows:rate5m${selector}, "${name}", "$1", "${side}_${name}", "(.+)")`;
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .description(description)
    .datasource(DATASOURCE)
    .query(`query_result(count by (${name}) (${end('source', selectors.source)} or ${end('dest', selectors.dest)}))`)
    .regex(`/${name}="([^"]+)"/`)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc);
}

/** Namespaces seen at either end of a flow. */
export function namespaceVariable(): dashboard.QueryVariableBuilder {
  return eitherEndVariable('namespace', 'Namespace', 'Kubernetes namespace, at either end of a flow.', {
    source: '',
    dest: '',
  });
}

/**
 * Workloads of the selected namespace, at either end of a flow. With `includeAll`, "All" matches every workload
 * (panels match the variable with `=~`).
 */
export function workloadVariable(options: { includeAll: boolean }): dashboard.QueryVariableBuilder {
  const variable = eitherEndVariable(
    'workload',
    'Workload',
    'Deployment, StatefulSet, DaemonSet, CronJob or Job of the selected namespace.',
    { source: '{source_namespace="$namespace"}', dest: '{dest_namespace="$namespace"}' },
  );
  return options.includeAll ? variable.includeAll(true).allValue('.+') : variable;
}

/** The legend of an edge between two workloads. */
export const EDGE_LEGEND = '{{source_namespace}}/{{source_workload}} → {{dest_namespace}}/{{dest_workload}}';
/** The labels of an edge, for `by (...)` clauses. */
export const EDGE = 'source_namespace, source_workload, dest_namespace, dest_workload';

/** The dropdown of all Flowlens dashboards, keeping the time range and variables. */
export function dashboardLinks(): dashboard.DashboardLinkBuilder {
  return new dashboard.DashboardLinkBuilder('Flowlens dashboards')
    .type(dashboard.DashboardLinkType.Dashboards)
    .tags([TAG])
    .asDropdown(true)
    .includeVars(true)
    .keepTime(true);
}

/** A URL to another Flowlens dashboard with the current time range and the given variables. */
export function dashboardUrl(key: DashboardKey, variables: Record<string, string>): string {
  const query = Object.entries(variables)
    .map(([name, value]) => `var-${name}=${value}`)
    .concat(['${__url_time_range}', 'var-datasource=${datasource}']);
  return `/d/${DASHBOARDS[key].uid}?${query.join('&')}`;
}

/** A data link from a panel's series to another dashboard. */
export function drilldown(
  title: string,
  key: DashboardKey,
  variables: Record<string, string>,
): dashboard.DashboardLinkBuilder {
  return new dashboard.DashboardLinkBuilder(title)
    .url(dashboardUrl(key, variables))
    .type(dashboard.DashboardLinkType.Link);
}

/**
 * Policy changes as annotations: objects the live cluster view saw change, and, where the exporter has no live view,
 * the audit log's policy changes.
 */
export function policyChangeAnnotation(): dashboard.AnnotationQueryBuilder {
  return new dashboard.AnnotationQueryBuilder()
    .name('Policy changes')
    .datasource(DATASOURCE)
    .enable(true)
    .iconColor('orange')
    .expr(
      'sum by (kind, namespace, change) (changes(flowlens_policy_changes_total[2m])) > 0 or sum by (namespace) (increase(flowlens_k8s_audit_notable_total{kind="policy_change"}[2m])) > 0',
    )
    .type('dashboard')
    .builtIn(0);
}

/** A dashboard with the shared settings: tags, links, time, refresh, the data source variable. */
export function flowlensDashboard(key: DashboardKey, description: string): dashboard.DashboardBuilder {
  const { uid, title } = DASHBOARDS[key];
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags([TAG])
    .editable()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .time({ from: 'now-1h', to: 'now' })
    .refresh('30s')
    .timezone('browser')
    .link(dashboardLinks())
    .withVariable(datasourceVariable());
}

/** A PromQL query of the dashboard's data source. */
export function query(expr: string, legend: string): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder().datasource(DATASOURCE).expr(expr).legendFormat(legend).range();
}

/** An instant query, for tables and stats that show the current value. */
export function instantQuery(expr: string, legend = '__auto'): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder()
    .datasource(DATASOURCE)
    .expr(expr)
    .legendFormat(legend)
    .instant()
    .format(prometheus.PromQueryFormat.Table);
}

export interface Threshold {
  value: number;
  color: 'green' | 'yellow' | 'orange' | 'red';
}

/** Yellow from `yellow`, red from `red`. */
export function warnAt(yellow: number, red: number): Threshold[] {
  return [
    { value: yellow, color: 'yellow' },
    { value: red, color: 'red' },
  ];
}

/** Red from `value`. */
export function redAt(value: number): Threshold[] {
  return [{ value, color: 'red' }];
}

/** Yellow from `value`. */
export function yellowAt(value: number): Threshold[] {
  return [{ value, color: 'yellow' }];
}

/** Thresholds from green; `steps` raise the colour at each value. */
export function thresholds(steps: readonly Threshold[]): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps([{ value: null, color: 'green' }, ...steps.map((step) => ({ value: step.value, color: step.color }))]);
}

export interface PanelOptions {
  description: string;
  unit: string;
  width?: number;
  height?: number;
  min?: number;
  max?: number;
  thresholds?: readonly Threshold[];
  stacked?: boolean;
  links?: dashboard.DashboardLinkBuilder[];
}

/** What every panel builder of the SDK offers, whatever its type. */
interface PanelBasics<T> {
  title(title: string): T;
  description(description: string): T;
  datasource(datasource: dashboard.DataSourceRef): T;
  unit(unit: string): T;
  span(width: number): T;
  height(height: number): T;
}

/** Title, description, data source, unit and size, the same way for every panel type. */
function withBasics<T extends PanelBasics<T>>(
  panel: T,
  title: string,
  options: PanelOptions,
  size: { width: number; height: number },
): T {
  return panel
    .title(title)
    .description(options.description)
    .datasource(DATASOURCE)
    .unit(options.unit)
    .span(options.width ?? size.width)
    .height(options.height ?? size.height);
}

/** A time series panel: a table legend with mean and max, multi-series tooltips, the unit and bounds set. */
export function timeseriesPanel(
  title: string,
  options: PanelOptions,
  queries: readonly prometheus.DataqueryBuilder[],
): timeseries.PanelBuilder {
  const panel = withBasics(new timeseries.PanelBuilder(), title, options, { width: 12, height: 8 })
    .min(options.min ?? 0)
    .lineWidth(1)
    .fillOpacity(options.stacked ? 30 : 10)
    .showPoints(common.VisibilityMode.Never)
    .spanNulls(false)
    .legend(
      new common.VizLegendOptionsBuilder()
        .displayMode(common.LegendDisplayMode.Table)
        .placement(common.LegendPlacement.Bottom)
        .showLegend(true)
        .calcs(['mean', 'max', 'lastNotNull'])
        .sortBy('Max')
        .sortDesc(true),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending),
    )
    .targets(queries.map((target, index) => target.refId(refId(index))));
  if (options.max !== undefined) panel.max(options.max);
  if (options.stacked) panel.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  if (options.thresholds !== undefined) {
    panel
      .thresholds(thresholds(options.thresholds))
      .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed));
  }
  if (options.links !== undefined) panel.dataLinks(options.links);
  return panel;
}

/** A single-value panel of the current value with a sparkline, coloured by thresholds. */
export function statPanel(title: string, options: PanelOptions, expr: string): stat.PanelBuilder {
  return withBasics(new stat.PanelBuilder(), title, options, { width: 4, height: 4 })
    .thresholds(thresholds(options.thresholds ?? []))
    .colorMode(common.BigValueColorMode.Value)
    .graphMode(common.BigValueGraphMode.Area)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']))
    .noValue('0')
    .withTarget(query(expr, '__auto').refId('A'));
}

/**
 * The share of HTTP answers with a 5xx status on the edges `selector` picks (a PromQL label matcher list, empty for
 * all), from the edge recording rules; yellow from 1 %, red from 5 %.
 */
export function httpErrorRatioStat(
  title: string,
  description: string,
  selector: string,
  width?: number,
): stat.PanelBuilder {
  const matchers = selector === '' ? '' : `{${selector}}`;
  return statPanel(
    title,
    { description, unit: 'percentunit', width, thresholds: warnAt(0.01, 0.05) },
    `sum(edge:flowlens_http_errors:rate5m${matchers}) / sum(edge:flowlens_http_requests:rate5m${matchers})`,
  );
}

/** Top N bars of the current values (e.g. the busiest edges). */
export function barsPanel(title: string, options: PanelOptions, expr: string, legend: string): bargauge.PanelBuilder {
  return withBasics(new bargauge.PanelBuilder(), title, options, { width: 12, height: 8 })
    .min(options.min ?? 0)
    .thresholds(thresholds(options.thresholds ?? []))
    .displayMode(common.BarGaugeDisplayMode.Gradient)
    .orientation(common.VizOrientation.Horizontal)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .dataLinks(options.links ?? [])
    .withTarget(query(expr, legend).instant().refId('A'));
}

export interface Column {
  /** The label or `Value` field to show. */
  field: string;
  title: string;
  unit?: string;
}

/** The table columns of an edge's two ends, in the order a reader follows a flow. */
export const EDGE_COLUMNS: readonly Column[] = [
  { field: 'source_namespace', title: 'Source namespace' },
  { field: 'source_workload', title: 'Source workload' },
  { field: 'dest_namespace', title: 'Destination namespace' },
  { field: 'dest_workload', title: 'Destination workload' },
];

/**
 * A table of an instant query's series: the listed columns in order, the others hidden, sorted by value. Links
 * on a column turn each row into a drill-down.
 */
export function tablePanel(
  title: string,
  options: PanelOptions & {
    columns: readonly Column[];
    columnLinks?: Record<string, dashboard.DashboardLinkBuilder[]>;
  },
  expr: string,
): table.PanelBuilder {
  const indexByName: Record<string, number> = {};
  const renameByName: Record<string, string> = {};
  options.columns.forEach((column, index) => {
    indexByName[column.field] = index;
    renameByName[column.field] = column.title;
  });
  const panel = withBasics(new table.PanelBuilder(), title, options, { width: 12, height: 8 })
    .thresholds(thresholds(options.thresholds ?? []))
    .sortBy([
      new common.TableSortByFieldStateBuilder()
        .displayName(options.columns[options.columns.length - 1]?.title ?? 'Value')
        .desc(true),
    ])
    .withTarget(instantQuery(expr).refId('A'))
    .withTransformation({
      id: 'organize',
      options: {
        excludeByName: { Time: true, __name__: true, job: true, instance: true },
        indexByName,
        renameByName,
        includeByName: Object.fromEntries(options.columns.map((column) => [column.field, true])),
      },
    });
  for (const column of options.columns) {
    if (column.unit !== undefined) {
      panel.overrideByName(column.title, [{ id: 'unit', value: column.unit }]);
    }
  }
  for (const [columnTitle, links] of Object.entries(options.columnLinks ?? {})) {
    panel.overrideByName(columnTitle, [{ id: 'links', value: links.map((link) => link.build()) }]);
  }
  return panel;
}

/** A collapsible row heading the panels after it. */
export function row(title: string): dashboard.RowBuilder {
  return new dashboard.RowBuilder(title);
}

/** Query ids A, B, ... in a panel's order. */
function refId(index: number): string {
  return String.fromCharCode(65 + index);
}

/** The PromQL rate window: Grafana's `$__rate_interval` (at least four scrape intervals). */
export const RATE = '$__rate_interval';
