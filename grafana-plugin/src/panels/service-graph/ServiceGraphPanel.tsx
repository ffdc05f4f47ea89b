// The service graph panel: the query's frames through the data code (model, filters, collapse, layout, render
// plan) onto a canvas, with a filter bar, a legend, saved views and a side panel for the selection. The view
// (filters, level, collapsed namespaces, selection, zoom) is read from the URL on mount and written back to it
// on each change, so a view can be shared; without view parameters in the URL the panel starts from its options.
import { css } from '@emotion/css';
import type { GrafanaTheme2, PanelProps } from '@grafana/data';
import { locationService } from '@grafana/runtime';
import { Button, useStyles2, useTheme2 } from '@grafana/ui';
import { useMemo, useState } from 'react';

import { detailsOf } from '../../data/details';
import { exploreUrl } from '../../data/explore-link';
import { collapseNamespaces, filterGraph, portChoices } from '../../data/filters';
import { type FrameContent, framesToGraph } from '../../data/frames';
import { LayoutSession } from '../../data/layout-session';
import type { NodeKind } from '../../data/model';
import { routeThroughServices } from '../../data/services';
import { type ColorMode, buildRenderPlan } from '../../data/render-plan';
import {
  DEFAULT_VIEW,
  type Selection,
  type ViewState,
  hasViewParams,
  viewFromSearchParams,
  viewToLocationQuery,
  viewToSearchParams,
} from '../../data/view-state';
import { FOCUS_SCALE, focusOn } from '../../data/viewport';
import { DetailsPanel } from './components/DetailsPanel';
import { EdgeTable } from './components/EdgeTable';
import { FilterBar } from './components/FilterBar';
import { GraphCanvas } from './components/GraphCanvas';
import { Legend } from './components/Legend';
import { SavedViews } from './components/SavedViews';
import { edgePalette, graphColors } from './components/colors';
import type { SavedView, ServiceGraphOptions } from './types';

/** What the queries of src/queries.ts hold, by refId, for frames that lost their metric name. */
const CONTENT_BY_REF_ID: Record<string, FrameContent> = {
  flows: 'edge:flowlens_flows:rate5m',
  denied: 'edge:flowlens_flows_denied:rate5m',
  bytes: 'edge:flowlens_flow_bytes:rate5m',
  http: 'edge:flowlens_http_requests:rate5m',
  http_errors: 'edge:flowlens_http_errors:rate5m',
  http_p99: 'edge:flowlens_http_request_duration_seconds:p99_rate5m',
  policies: 'policies',
  ports: 'ports',
  services: 'services',
  dns: 'client_workload:flowlens_dns_requests:rate5m',
  dns_nxdomain: 'client_workload:flowlens_dns_nxdomain:rate5m',
  dns_servfail: 'client_workload:flowlens_dns_servfail:rate5m',
  dns_p99: 'client_workload:flowlens_dns_latency_seconds:p99_rate5m',
};

/** Height the toolbar takes when the container cannot be measured (tests). */
const TOOLBAR_ALLOWANCE = 80;

export function ServiceGraphPanel(props: PanelProps<ServiceGraphOptions>) {
  const { data, options, width, height, onOptionsChange, replaceVariables } = props;
  const theme = useTheme2();
  const styles = useStyles2(getStyles);
  const palette = useMemo(() => edgePalette(theme), [theme]);
  const colors = useMemo(() => graphColors(theme), [theme]);
  const [view, setViewState] = useState<ViewState>(() => initialView(options));
  const [colorBy, setColorBy] = useState<ColorMode>(options.colorBy ?? 'verdict');
  const [animate, setAnimate] = useState(options.animate ?? false);
  const [tableMode, setTableMode] = useState(false);
  const [layoutSession] = useState(() => new LayoutSession());

  // Options edited in the panel editor replace the view's matching parts.
  const optionsKey = JSON.stringify(optionsView(options));
  const [seenOptionsKey, setSeenOptionsKey] = useState(optionsKey);
  if (optionsKey !== seenOptionsKey) {
    setSeenOptionsKey(optionsKey);
    setViewState(optionsView(options));
  }
  const [seenDrawingOptions, setSeenDrawingOptions] = useState([options.colorBy, options.animate]);
  if (seenDrawingOptions[0] !== options.colorBy || seenDrawingOptions[1] !== options.animate) {
    setSeenDrawingOptions([options.colorBy, options.animate]);
    setColorBy(options.colorBy ?? 'verdict');
    setAnimate(options.animate ?? false);
  }

  // A shared link's viewport is in world coordinates, which depend on the layout's history; its selection does not.
  // So a view opened with a selection is centred on the selected node once laid out, at the link's zoom.
  const [focusSelection, setFocusSelection] = useState(() => view.selection !== undefined);

  const setView = (next: ViewState) => {
    setViewState(next);
    locationService.partial(viewToLocationQuery(next), true);
  };

  const thresholds = useMemo(
    () => ({ errorRatio: options.errorRatioThreshold, p99Seconds: options.p99ThresholdSeconds }),
    [options.errorRatioThreshold, options.p99ThresholdSeconds],
  );
  // Frames are read again only between pod and workload nodes: the namespace level collapses the workload model.
  const readLevel = view.level === 'pod' ? 'pod' : 'workload';
  const read = useMemo(
    () => framesToGraph(data.series, { ruleByRefId: CONTENT_BY_REF_ID, level: readLevel }),
    [data.series, readLevel],
  );
  // Show services: workload edges through a node per service they were addressed to.
  const model = useMemo(() => (view.showServices ? routeThroughServices(read) : read), [read, view.showServices]);
  const collapsed = useMemo(
    () =>
      view.level === 'namespace'
        ? model.namespaces.map((group) => group.name).filter((name) => name !== '')
        : view.collapsed,
    [model, view.level, view.collapsed],
  );
  // The layout is of the whole (collapsed) graph, not of what the filters leave: filtering never moves a node, and
  // positions depend on the data and the collapsed namespaces only, not on the filters tried before.
  const layoutModel = useMemo(() => collapseNamespaces(model, collapsed), [model, collapsed]);
  const layout = useMemo(() => layoutSession.update(layoutModel), [layoutSession, layoutModel]);
  const filtered = useMemo(() => filterGraph(model, { ...view.filter, thresholds }), [model, view.filter, thresholds]);
  const drawn = useMemo(() => collapseNamespaces(filtered, collapsed), [filtered, collapsed]);
  if (focusSelection) {
    setFocusSelection(false);
    const point = view.selection?.kind === 'node' ? layout.positions.get(view.selection.id) : undefined;
    if (point)
      setViewState({ ...view, viewport: { x: point.x, y: point.y, scale: view.viewport?.scale ?? FOCUS_SCALE } });
  }
  const plan = useMemo(
    () => buildRenderPlan(drawn, layout, { colorBy, thresholds, palette }),
    [drawn, layout, colorBy, thresholds, palette],
  );
  const choices = useMemo(() => portChoices(read), [read]);
  const namespaces = useMemo(() => model.namespaces.map((group) => group.name).filter((name) => name !== ''), [model]);
  // Workloads (not pods or networks) for the workload filter, whatever the level drawn.
  const workloadIds = useMemo(
    () => [...new Set(read.nodes.filter((node) => node.namespace !== '').map((node) => node.workloadId ?? node.id))],
    [read],
  );
  const nodeKinds = useMemo(() => [...new Set<NodeKind>(drawn.nodes.map((node) => node.kind))], [drawn]);
  const details = view.selection ? detailsOf(drawn, view.selection) : undefined;
  const datasourceUid = panelDatasourceUid(data, replaceVariables);
  const explore = datasourceUid
    ? (queries: string[]) =>
        exploreUrl({
          datasourceUid,
          queries,
          // Absolute milliseconds: the panel's range as it was queried.
          from: data.timeRange ? String(data.timeRange.from.valueOf()) : undefined,
          to: data.timeRange ? String(data.timeRange.to.valueOf()) : undefined,
        })
    : undefined;

  const select = (selection: Selection | undefined) => setView({ ...view, selection });

  /** Enter in the search box: select the first matching node in id order and centre it, zoomed in to its label. */
  const goToSearch = (text: string) => {
    const needle = text.trim().toLowerCase();
    if (needle === '') return;
    const node = drawn.nodes.find(
      (candidate) =>
        candidate.name.toLowerCase().includes(needle) ||
        candidate.namespace.toLowerCase().includes(needle) ||
        candidate.id.toLowerCase().includes(needle),
    );
    const point = node && layout.positions.get(node.id);
    if (!node || !point) return;
    setView({
      ...view,
      filter: { ...view.filter, search: text },
      selection: { kind: 'node', id: node.id },
      viewport: focusOn(point, view.viewport),
    });
  };

  const toggleNamespace = (namespace: string) => {
    if (view.level === 'namespace') {
      // Expanding one namespace of the namespace level: the workload level with every other one collapsed.
      const others = namespaces.filter((name) => name !== namespace);
      setView({ ...view, level: 'workload', collapsed: others });
      return;
    }
    const collapsed = view.collapsed.includes(namespace)
      ? view.collapsed.filter((name) => name !== namespace)
      : [...view.collapsed, namespace].sort();
    setView({ ...view, collapsed });
  };

  const saveView = (name: string) => {
    const params = viewToSearchParams({ ...view, selection: undefined }).toString();
    const savedViews = [...(options.savedViews ?? []).filter((saved) => saved.name !== name), { name, params }].sort(
      (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
    );
    onOptionsChange({ ...options, savedViews });
  };
  const deleteView = (name: string) =>
    onOptionsChange({ ...options, savedViews: (options.savedViews ?? []).filter((saved) => saved.name !== name) });
  const applyView = (saved: SavedView) => setView(viewFromSearchParams(new URLSearchParams(saved.params)));

  return (
    <div
      data-testid="flowlens-service-graph"
      data-node-count={drawn.nodes.length}
      data-edge-count={drawn.edges.length}
      className={styles.root}
      style={{ width, height }}
    >
      <FilterBar
        filter={view.filter}
        level={view.level}
        showServices={view.showServices}
        colorBy={colorBy}
        animate={animate}
        namespaces={namespaces}
        workloads={workloadIds}
        protocols={choices.protocols}
        ports={choices.ports}
        hasPods={model.hasPods === true}
        onFilterChange={(filter) => setView({ ...view, filter })}
        onLevelChange={(level) => setView({ ...view, level })}
        onShowServicesChange={(showServices) => setView({ ...view, showServices })}
        onColorByChange={setColorBy}
        onAnimateChange={setAnimate}
        onSearchSubmit={goToSearch}
      >
        <SavedViews views={options.savedViews ?? []} onApply={applyView} onSave={saveView} onDelete={deleteView} />
        <Button
          size="sm"
          variant="secondary"

          onClick={() => setView({ ...view, viewport: undefined })}
        >
          Fit to view
        </Button>
        <Button
          size="sm"
          variant="secondary"

          onClick={() => setTableMode(!tableMode)}
        >
          {tableMode ? 'Graph' : 'Table'}
        </Button>
        <span className={styles.summary} aria-live="polite">
          {`${drawn.nodes.length} nodes · ${drawn.edges.length} edges`}
        </span>
      </FilterBar>
      <div className={styles.stage}>
        {tableMode ? (
          <div className={styles.table}>
            <EdgeTable model={drawn} maxEdges={options.maxEdges} />
          </div>
        ) : (
          <>
            <GraphCanvas
              plan={plan}
              viewport={view.viewport}
              selection={view.selection}
              colors={colors}
              animate={animate}
              fallbackSize={{ width, height: Math.max(100, height - TOOLBAR_ALLOWANCE) }}
              onViewportChange={(viewport) => setView({ ...view, viewport })}
              onSelect={select}
              onToggleNamespace={toggleNamespace}
            />
            <Legend colorBy={colorBy} palette={palette} colors={colors} nodeKinds={nodeKinds} />
            {drawn.edges.length === 0 && (
              <p className={styles.empty}>
                No edges: the query returned no per-edge series, or the filters hide them all.
              </p>
            )}
          </>
        )}
        {details && (
          <DetailsPanel
            details={details}
            exploreUrl={explore}
            onClose={() => select(undefined)}
            onSelect={select}
            onFilterTo={(nodeId) => setView({ ...view, filter: { ...view.filter, workloads: [nodeId] } })}
            onToggleNamespace={toggleNamespace}
          />
        )}
      </div>
    </div>
  );
}

/** The view the panel's options describe (filters, collapsed namespaces). */
function optionsView(options: ServiceGraphOptions): ViewState {
  return {
    ...DEFAULT_VIEW,
    filter: {
      ...DEFAULT_VIEW.filter,
      search: options.search ?? '',
      onlyDenied: options.onlyDenied ?? false,
      onlyUnhealthy: options.onlyUnhealthy ?? false,
      showIdle: options.showIdle ?? false,
    },
    showServices: options.showServices ?? false,
    collapsed: [...(options.collapsedNamespaces ?? [])].sort(),
  };
}

/** The URL's view when it has one (a shared link), else the options'. */
function initialView(options: ServiceGraphOptions): ViewState {
  const params = new URLSearchParams(locationService.getSearch());
  return hasViewParams(params) ? viewFromSearchParams(params) : optionsView(options);
}

/** The uid of the panel's data source (its first query's), variables replaced; undefined when not known. */
function panelDatasourceUid(
  data: PanelProps['data'],
  replaceVariables: PanelProps['replaceVariables'],
): string | undefined {
  const datasource: unknown = data.request?.targets?.[0]?.datasource;
  // Dashboards from before data source references name the data source by a string.
  const uid =
    typeof datasource === 'string'
      ? datasource
      : typeof datasource === 'object' && datasource !== null && 'uid' in datasource
        ? String(datasource.uid)
        : undefined;
  if (!uid) return undefined;
  return replaceVariables ? replaceVariables(uid) : uid;
}

const getStyles = (theme: GrafanaTheme2) => ({
  root: css({ display: 'flex', flexDirection: 'column', overflow: 'hidden' }),
  stage: css({ position: 'relative', flex: 1, minHeight: 0 }),
  table: css({ position: 'absolute', inset: 0, overflow: 'auto' }),
  summary: css({ marginLeft: 'auto', color: theme.colors.text.secondary, whiteSpace: 'nowrap' }),
  empty: css({
    position: 'absolute',
    top: theme.spacing(2),
    left: 0,
    right: 0,
    textAlign: 'center',
    color: theme.colors.text.secondary,
    pointerEvents: 'none',
  }),
});
