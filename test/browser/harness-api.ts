/**
 * What the harness page (grafana-plugin/harness) offers the test, declared once for both sides: mount a built panel
 * with frames, change its options as the panel editor would, open an app page, and read what only the page can see
 * (canvas pixels, computed colors, performance measures, frame times). The harness, a separate TypeScript project
 * built by webpack for the browser, re-exports these types (grafana-plugin/harness/src/api.ts); only types live here,
 * so nothing of the test reaches the page's bundle.
 */
export type PanelName = 'service-graph' | 'policy-flow';

export interface MountRequest {
  panel: PanelName;
  /** `prometheus`: the real Prometheus results the test server serves for this panel; `synthetic`: the scale case. */
  frames: 'prometheus' | 'synthetic';
  synthetic?: { nodes: number; edges: number };
  /** Merged over the plugin's option defaults (from its options builder). */
  options?: Record<string, unknown>;
  width: number;
  height: number;
}

export interface MountResult {
  frameCount: number;
  /** The option defaults read from the plugin's options builder. */
  defaults: Record<string, unknown>;
  /** For synthetic frames: what the service graph should show with its default options. */
  expected?: { nodes: number; edges: number; deniedEdges: number };
}

export interface ColorCount {
  color: string;
  pixels: number;
}

export interface CanvasPoint {
  x: number;
  y: number;
}

/** An app plugin's page: the app's settings come from the server (GET /api/plugins/<id>/settings), as in Grafana. */
export interface AppMountRequest {
  pluginId: string;
  /** The page's path under /a/<id>/, e.g. `recommendations`. */
  path: string;
}

export interface FlowlensHarness {
  mount(request: MountRequest): Promise<MountResult>;
  /** Opens an app plugin's page: its BUILT module.js, `plugin.root` at /a/<id>/<path>. */
  mountApp(request: AppMountRequest): Promise<void>;
  /** Changes the panel's options as the panel editor would (merged over the current ones). */
  setOptions(patch: Record<string, unknown>): void;
  options(): Record<string, unknown>;
  /** The theme's colors the panels use, as `rgb(r, g, b)`. */
  themeColors(): Record<string, string>;
  /** Any CSS color as the browser computes it, `rgb(r, g, b)` or `rgba(...)`. */
  normalizeColor(color: string): string;
  /** Pixels of the canvas matching each color within `tolerance` per channel, and the canvas' non-transparent ones. */
  canvasColorCounts(selector: string, colors: string[], tolerance: number): { total: number; counts: ColorCount[] };
  /**
   * The canvas pixel matching `color` (within `tolerance` per channel) nearest to `from`, at least `minDistance` away
   * from it, all in CSS pixels relative to the canvas' top left corner; null when there is none.
   */
  nearestCanvasPixel(
    selector: string,
    color: string,
    tolerance: number,
    from: CanvasPoint,
    minDistance: number,
  ): CanvasPoint | null;
  /** performance.measure entries whose name starts with `prefix`. */
  measures(prefix: string): { name: string; duration: number }[];
  clearMeasures(): void;
  /** Starts recording requestAnimationFrame intervals. */
  startFrameRecorder(): void;
  /** Stops recording; the intervals in milliseconds. */
  stopFrameRecorder(): number[];
}

/** A Prometheus query as grafana-plugin/src/queries.ts declares it (the fields the test server and the page read). */
export interface PrometheusQuery {
  refId: string;
  expr: string;
  instant: boolean;
  range: boolean;
  format: 'time_series' | 'table';
  legendFormat?: string;
}

export interface PrometheusSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** The body of Prometheus' /api/v1/query answer. */
export interface PrometheusQueryResult {
  status: 'success' | 'error';
  data?: { resultType: string; result: PrometheusSample[] };
  errorType?: string;
  error?: string;
}

/**
 * What the test server serves the page (`/api/prometheus-results?panel=...`): the queries as run (variables
 * substituted) and Prometheus' answers as they came, by refId.
 */
export interface PrometheusResults {
  queries: PrometheusQuery[];
  results: Record<string, PrometheusQueryResult>;
  /** The step Grafana would have used for these instant queries. */
  stepSeconds: number;
}
