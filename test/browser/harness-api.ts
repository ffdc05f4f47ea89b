/**
 * The harness page's API, as the Node.js side sees it: mirrors grafana-plugin/harness/src/api.ts (a separate
 * TypeScript project, built by webpack for the browser). Keep the two in step.
 */
export type PanelName = 'service-graph' | 'policy-flow';

export interface MountRequest {
  panel: PanelName;
  frames: 'prometheus' | 'synthetic';
  synthetic?: { nodes: number; edges: number };
  options?: Record<string, unknown>;
  width: number;
  height: number;
}

export interface MountResult {
  frameCount: number;
  defaults: Record<string, unknown>;
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
  setOptions(patch: Record<string, unknown>): void;
  options(): Record<string, unknown>;
  themeColors(): Record<string, string>;
  normalizeColor(color: string): string;
  canvasColorCounts(selector: string, colors: string[], tolerance: number): { total: number; counts: ColorCount[] };
  nearestCanvasPixel(
    selector: string,
    color: string,
    tolerance: number,
    from: CanvasPoint,
    minDistance: number,
  ): CanvasPoint | null;
  measures(prefix: string): { name: string; duration: number }[];
  clearMeasures(): void;
  startFrameRecorder(): void;
  stopFrameRecorder(): number[];
}
