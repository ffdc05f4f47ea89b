// What the service graph canvas draws, in world coordinates, computed once per view and layout so that a redraw
// (pan, zoom, animation frame) only transforms and strokes: edge geometry (two directions between the same nodes as
// two curves bowed to opposite sides), widths by rate, colors by verdict or health, namespace boxes, and edges
// grouped by style so that each style is one canvas path. No DOM here: the component turns it into pixels.
import { type HealthThresholds, DEFAULT_HEALTH_THRESHOLDS, isUnhealthy } from './filters';
import type { Layout, Point } from './layout';
import { edgeId, type GraphEdge, type GraphModel, type NodeKind } from './model';

export type ColorMode = 'verdict' | 'health';

/** Edge colors, from the Grafana theme in the panel; any CSS color the canvas accepts. */
export interface EdgePalette {
  allowed: string;
  denied: string;
  mixed: string;
  healthy: string;
  warning: string;
  unhealthy: string;
  /** Health mode, edges without HTTP traffic to judge. */
  unknown: string;
}

export interface RenderPlanOptions {
  colorBy: ColorMode;
  thresholds: HealthThresholds;
  palette: EdgePalette;
}

export interface PlannedNode extends Point {
  id: string;
  kind: NodeKind;
  namespace: string;
  label: string;
  radius: number;
}

export interface PlannedEdge {
  id: string;
  source: string;
  target: string;
  /** Start, quadratic control point and end; for a self-edge, the loop's centre is the control point. */
  x0: number;
  y0: number;
  cx: number;
  cy: number;
  x1: number;
  y1: number;
  /** A self-edge (traffic within a collapsed namespace), drawn as a loop of radius `loopRadius`. */
  loopRadius: number;
  /** Screen pixels, whatever the zoom. */
  width: number;
  color: string;
  /** Where the arrowhead's tip is (at the target's rim) and the curve's direction there. */
  arrowX: number;
  arrowY: number;
  arrowDx: number;
  arrowDy: number;
  bounds: Bounds;
}

export interface NamespaceBox {
  namespace: string;
  x: number;
  y: number;
  width: number;
  height: number;
  /** The header strip above the box, clicked to collapse the namespace. */
  headerHeight: number;
}

/** Edges sharing a color and width: one canvas path, one stroke. */
export interface EdgeStyleBatch {
  color: string;
  width: number;
  edges: number[];
}

export interface Bounds {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

export interface RenderPlan {
  nodes: PlannedNode[];
  edges: PlannedEdge[];
  boxes: NamespaceBox[];
  batches: EdgeStyleBatch[];
  bounds: Bounds;
}

export const NODE_RADIUS: Record<NodeKind, number> = { workload: 10, pod: 7, namespace: 22, network: 11, service: 9 };

/** How the canvas and the legend draw each kind of node. */
export type NodeShape = 'circle' | 'square' | 'diamond' | 'hexagon';

export const NODE_SHAPES: Record<NodeKind, NodeShape> = {
  workload: 'circle',
  pod: 'circle',
  namespace: 'square',
  network: 'diamond',
  service: 'hexagon',
};
/** How far the curves of a two-way pair bow out, as a fraction of the distance between their ends. */
export const BIDIRECTIONAL_BOW = 0.18;
export const MIN_EDGE_WIDTH = 1;
export const MAX_EDGE_WIDTH = 6;
/** Node labels are drawn from this zoom on (screen pixels per world unit): below it they would overlap. */
export const LABEL_MIN_SCALE = 0.7;
const BOX_PADDING = 28;
const BOX_HEADER = 20;

export function labelsVisible(scale: number): boolean {
  return scale >= LABEL_MIN_SCALE;
}

/** Below this zoom every edge is a 1-pixel line; edges reach their full width at LABEL_MIN_SCALE. */
export const THIN_EDGES_BELOW_SCALE = 0.25;

/**
 * An edge's width on screen at a zoom: its full width once labels show, 1 pixel when zoomed far out, in between
 * proportionally. Zoomed out, thousands of edges overlap anyway, and wide strokes cost the canvas about nine times
 * as much as 1-pixel ones (Chromium, software rendering: 90 ms against 10 ms for 5,000 edges), which would make
 * panning the whole graph stutter.
 */
export function screenEdgeWidth(width: number, scale: number): number {
  const share = (scale - THIN_EDGES_BELOW_SCALE) / (LABEL_MIN_SCALE - THIN_EDGES_BELOW_SCALE);
  return 1 + (width - 1) * Math.min(1, Math.max(0, share));
}

/**
 * Width by flow rate on a log scale relative to the busiest edge (rates span orders of magnitude), in half pixels
 * so that edges fall into a few style batches.
 */
export function edgeWidth(flowRate: number, maxFlowRate: number): number {
  if (!(flowRate > 0) || !(maxFlowRate > 0)) return MIN_EDGE_WIDTH;
  const share = Math.min(1, Math.log1p(flowRate) / Math.log1p(maxFlowRate));
  return Math.round((MIN_EDGE_WIDTH + (MAX_EDGE_WIDTH - MIN_EDGE_WIDTH) * share) * 2) / 2;
}

/** Health mode: unhealthy over a threshold, warning over half of one, unknown without HTTP requests. */
export function healthOf(
  edge: GraphEdge,
  thresholds: HealthThresholds = DEFAULT_HEALTH_THRESHOLDS,
): 'healthy' | 'warning' | 'unhealthy' | 'unknown' {
  if (isUnhealthy(edge, thresholds)) return 'unhealthy';
  if (edge.errorRatio === undefined && edge.p99Seconds === undefined) return 'unknown';
  const half = { errorRatio: thresholds.errorRatio / 2, p99Seconds: thresholds.p99Seconds / 2 };
  return isUnhealthy(edge, half) ? 'warning' : 'healthy';
}

export function edgeColor(edge: GraphEdge, options: RenderPlanOptions): string {
  return options.colorBy === 'verdict'
    ? options.palette[edge.verdict]
    : options.palette[healthOf(edge, options.thresholds)];
}

export function nodeLabel(node: { kind: NodeKind; namespace: string; name: string }): string {
  if (node.kind === 'namespace') return node.name;
  return node.namespace === '' ? node.name : `${node.namespace}/${node.name}`;
}

export function buildRenderPlan(model: GraphModel, layout: Layout, options: RenderPlanOptions): RenderPlan {
  const nodes: PlannedNode[] = [];
  const byId = new Map<string, PlannedNode>();
  for (const node of model.nodes) {
    const point = layout.positions.get(node.id);
    if (!point) continue;
    const radius =
      node.kind === 'namespace'
        ? NODE_RADIUS.namespace + Math.min(18, Math.sqrt(node.memberIds.length) * 2)
        : NODE_RADIUS[node.kind];
    const planned = {
      id: node.id,
      kind: node.kind,
      namespace: node.namespace,
      label: nodeLabel(node),
      radius,
      ...point,
    };
    nodes.push(planned);
    byId.set(node.id, planned);
  }

  const edgeIds = new Set(model.edges.map((edge) => edge.id));
  const maxFlowRate = model.edges.reduce((max, edge) => Math.max(max, edge.flowRate), 0);
  const edges: PlannedEdge[] = [];
  const batchByKey = new Map<string, EdgeStyleBatch>();
  for (const edge of model.edges) {
    const source = byId.get(edge.source);
    const target = byId.get(edge.target);
    if (!source || !target) continue;
    const width = edgeWidth(edge.flowRate, maxFlowRate);
    const color = edgeColor(edge, options);
    const geometry =
      source === target
        ? selfLoop(source)
        : curve(source, target, edgeIds.has(edgeId(edge.target, edge.source)) ? BIDIRECTIONAL_BOW : 0);
    const index = edges.push({ id: edge.id, source: edge.source, target: edge.target, width, color, ...geometry }) - 1;
    const key = `${color}|${width}`;
    const batch = batchByKey.get(key);
    if (batch) batch.edges.push(index);
    else batchByKey.set(key, { color, width, edges: [index] });
  }
  // Thin edges first, so that busy edges are drawn over quiet ones.
  const batches = [...batchByKey.values()].sort((a, b) => a.width - b.width || (a.color < b.color ? -1 : 1));

  const boxes = namespaceBoxes(nodes);
  return { nodes, edges, boxes, batches, bounds: planBounds(nodes, boxes) };
}

type Geometry = Omit<PlannedEdge, 'id' | 'source' | 'target' | 'width' | 'color'>;

/**
 * A straight line, or for one direction of a two-way pair a quadratic curve bowed to its left: the reverse edge's
 * left is the other side, so the two never overlap.
 */
function curve(source: PlannedNode, target: PlannedNode, bow: number): Geometry {
  const dx = target.x - source.x;
  const dy = target.y - source.y;
  const length = Math.hypot(dx, dy) || 1;
  const cx = (source.x + target.x) / 2 - dy * bow;
  const cy = (source.y + target.y) / 2 + dx * bow;
  // The curve's direction at its end is from the control point to the end; the tip sits on the target's rim.
  const tx = target.x - cx;
  const ty = target.y - cy;
  const tangent = Math.hypot(tx, ty) || length;
  const arrowDx = tx / tangent;
  const arrowDy = ty / tangent;
  const arrowX = target.x - arrowDx * target.radius;
  const arrowY = target.y - arrowDy * target.radius;
  return {
    x0: source.x,
    y0: source.y,
    cx,
    cy,
    x1: target.x,
    y1: target.y,
    loopRadius: 0,
    arrowX,
    arrowY,
    arrowDx,
    arrowDy,
    bounds: {
      minX: Math.min(source.x, target.x, cx),
      minY: Math.min(source.y, target.y, cy),
      maxX: Math.max(source.x, target.x, cx),
      maxY: Math.max(source.y, target.y, cy),
    },
  };
}

function selfLoop(node: PlannedNode): Geometry {
  const loopRadius = node.radius * 0.7;
  const cx = node.x + node.radius * 0.9;
  const cy = node.y - node.radius * 0.9;
  return {
    x0: node.x,
    y0: node.y,
    cx,
    cy,
    x1: node.x,
    y1: node.y,
    loopRadius,
    arrowX: cx,
    arrowY: cy,
    arrowDx: 0,
    arrowDy: 0,
    bounds: { minX: cx - loopRadius, minY: cy - loopRadius, maxX: cx + loopRadius, maxY: cy + loopRadius },
  };
}

/** A box around each expanded namespace's nodes, with a header strip for its name; none for nodes outside any. */
function namespaceBoxes(nodes: PlannedNode[]): NamespaceBox[] {
  const extents = new Map<string, Bounds>();
  for (const node of nodes) {
    if (node.namespace === '' || node.kind === 'namespace') continue;
    const extent = extents.get(node.namespace);
    if (extent) {
      extent.minX = Math.min(extent.minX, node.x - node.radius);
      extent.minY = Math.min(extent.minY, node.y - node.radius);
      extent.maxX = Math.max(extent.maxX, node.x + node.radius);
      extent.maxY = Math.max(extent.maxY, node.y + node.radius);
    } else {
      extents.set(node.namespace, {
        minX: node.x - node.radius,
        minY: node.y - node.radius,
        maxX: node.x + node.radius,
        maxY: node.y + node.radius,
      });
    }
  }
  return [...extents.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([namespace, extent]) => ({
      namespace,
      x: extent.minX - BOX_PADDING,
      y: extent.minY - BOX_PADDING - BOX_HEADER,
      width: extent.maxX - extent.minX + 2 * BOX_PADDING,
      height: extent.maxY - extent.minY + 2 * BOX_PADDING + BOX_HEADER,
      headerHeight: BOX_HEADER,
    }));
}

function planBounds(nodes: PlannedNode[], boxes: NamespaceBox[]): Bounds {
  if (nodes.length === 0) return { minX: -100, minY: -100, maxX: 100, maxY: 100 };
  const bounds = { minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity };
  for (const node of nodes) {
    bounds.minX = Math.min(bounds.minX, node.x - node.radius);
    bounds.minY = Math.min(bounds.minY, node.y - node.radius);
    bounds.maxX = Math.max(bounds.maxX, node.x + node.radius);
    bounds.maxY = Math.max(bounds.maxY, node.y + node.radius);
  }
  for (const box of boxes) {
    bounds.minX = Math.min(bounds.minX, box.x);
    bounds.minY = Math.min(bounds.minY, box.y);
    bounds.maxX = Math.max(bounds.maxX, box.x + box.width);
    bounds.maxY = Math.max(bounds.maxY, box.y + box.height);
  }
  return bounds;
}

/** Whether two rectangles meet: for culling what lies outside the visible part of the world. */
export function intersects(a: Bounds, b: Bounds): boolean {
  return a.minX <= b.maxX && a.maxX >= b.minX && a.minY <= b.maxY && a.maxY >= b.minY;
}
