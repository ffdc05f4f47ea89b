// Canvas 2D drawing of a render plan. Everything is drawn in world coordinates under one transform; widths, fonts
// and tolerances are divided by the zoom so that they keep their screen size. Edges of one style are one path and
// one stroke (a few dozen strokes for 5,000 edges); what lies outside the visible part of the world is skipped;
// labels are drawn only from LABEL_MIN_SCALE on, and edges get thinner as the zoom goes out (screenEdgeWidth).
import {
  type Bounds,
  NODE_SHAPES,
  type NodeShape,
  type RenderPlan,
  intersects,
  labelsVisible,
  screenEdgeWidth,
} from '../../../data/render-plan';
import { measured } from '../../../data/perf';
import { type Size, visibleWorld } from '../../../data/viewport';
import type { Selection, Viewport } from '../../../data/view-state';

export const DRAW_MEASURE = 'flowlens:service-graph:draw';

export interface GraphColors {
  node: string;
  nodeBorder: string;
  namespaceNode: string;
  networkNode: string;
  serviceNode: string;
  text: string;
  box: string;
  boxBorder: string;
  selected: string;
}

export interface DrawRequest {
  plan: RenderPlan;
  viewport: Viewport;
  size: Size;
  pixelRatio: number;
  colors: GraphColors;
  selection: Selection | undefined;
  /** Traffic animation: the dash offset in screen pixels, or undefined for solid edges. */
  dashOffset: number | undefined;
}

/** Arrowheads from this zoom on: smaller, they are noise. */
const ARROW_MIN_SCALE = 0.35;

export function drawGraph(context: CanvasRenderingContext2D, request: DrawRequest): void {
  measured(DRAW_MEASURE, () => draw(context, request));
}

function draw(context: CanvasRenderingContext2D, request: DrawRequest): void {
  const { plan, viewport, size, pixelRatio, colors, selection, dashOffset } = request;
  const scale = viewport.scale;
  context.setTransform(pixelRatio, 0, 0, pixelRatio, 0, 0);
  context.clearRect(0, 0, size.width, size.height);
  context.setTransform(
    pixelRatio * scale,
    0,
    0,
    pixelRatio * scale,
    pixelRatio * (size.width / 2 - viewport.x * scale),
    pixelRatio * (size.height / 2 - viewport.y * scale),
  );
  const visible = grow(visibleWorld(viewport, size), 40 / scale);
  const pixel = 1 / scale;
  const showLabels = labelsVisible(scale);

  // Namespace boxes, under everything.
  context.lineWidth = pixel;
  context.fillStyle = colors.box;
  context.strokeStyle = colors.boxBorder;
  for (const box of plan.boxes) {
    const bounds = { minX: box.x, minY: box.y, maxX: box.x + box.width, maxY: box.y + box.height };
    if (!intersects(bounds, visible)) continue;
    context.fillRect(box.x, box.y, box.width, box.height);
    context.strokeRect(box.x, box.y, box.width, box.height);
    context.strokeRect(box.x, box.y, box.width, box.headerHeight);
  }
  if (scale >= 0.15) {
    context.fillStyle = colors.text;
    context.font = `${12 * pixel}px sans-serif`;
    context.textBaseline = 'middle';
    context.textAlign = 'left';
    for (const box of plan.boxes) {
      if (box.x > visible.maxX || box.x + box.width < visible.minX) continue;
      if (box.y > visible.maxY || box.y + box.headerHeight < visible.minY) continue;
      context.fillText(`▾ ${box.namespace}`, box.x + 6 * pixel, box.y + box.headerHeight / 2);
    }
  }

  // Edges, one path per style.
  context.setLineDash(dashOffset === undefined ? [] : [8 * pixel, 6 * pixel]);
  context.lineDashOffset = dashOffset === undefined ? 0 : -dashOffset * pixel;
  for (const batch of plan.batches) {
    context.beginPath();
    for (const index of batch.edges) {
      const edge = plan.edges[index];
      if (!edge || !intersects(edge.bounds, visible)) continue;
      if (edge.loopRadius > 0) {
        context.moveTo(edge.cx + edge.loopRadius, edge.cy);
        context.arc(edge.cx, edge.cy, edge.loopRadius, 0, 2 * Math.PI);
      } else {
        context.moveTo(edge.x0, edge.y0);
        context.quadraticCurveTo(edge.cx, edge.cy, edge.x1, edge.y1);
      }
    }
    context.strokeStyle = batch.color;
    context.lineWidth = screenEdgeWidth(batch.width, scale) * pixel;
    context.stroke();
  }
  context.setLineDash([]);
  if (scale >= ARROW_MIN_SCALE) {
    for (const batch of plan.batches) {
      context.beginPath();
      const length = (6 + screenEdgeWidth(batch.width, scale)) * pixel;
      for (const index of batch.edges) {
        const edge = plan.edges[index];
        if (!edge || edge.loopRadius > 0 || !intersects(edge.bounds, visible)) continue;
        const backX = edge.arrowX - edge.arrowDx * length;
        const backY = edge.arrowY - edge.arrowDy * length;
        const sideX = -edge.arrowDy * length * 0.45;
        const sideY = edge.arrowDx * length * 0.45;
        context.moveTo(edge.arrowX, edge.arrowY);
        context.lineTo(backX + sideX, backY + sideY);
        context.lineTo(backX - sideX, backY - sideY);
        context.closePath();
      }
      context.fillStyle = batch.color;
      context.fill();
    }
  }
  if (selection?.kind === 'edge') {
    const edge = plan.edges.find((candidate) => candidate.id === selection.id);
    if (edge) {
      context.beginPath();
      if (edge.loopRadius > 0) context.arc(edge.cx, edge.cy, edge.loopRadius, 0, 2 * Math.PI);
      else {
        context.moveTo(edge.x0, edge.y0);
        context.quadraticCurveTo(edge.cx, edge.cy, edge.x1, edge.y1);
      }
      context.strokeStyle = colors.selected;
      context.lineWidth = (screenEdgeWidth(edge.width, scale) + 3) * pixel;
      context.stroke();
    }
  }

  // Nodes: one path per kind of shape (NODE_SHAPES): workloads and pods circles, networks (peers outside the
  // cluster's namespaces: world, private ranges, network sets) diamonds, services hexagons, collapsed namespaces
  // squares.
  context.lineWidth = 1.5 * pixel;
  context.strokeStyle = colors.nodeBorder;
  const shapeFills: Array<[NodeShape, string]> = [
    ['circle', colors.node],
    ['diamond', colors.networkNode],
    ['hexagon', colors.serviceNode],
    ['square', colors.namespaceNode],
  ];
  for (const [shape, fill] of shapeFills) {
    context.beginPath();
    for (const node of plan.nodes) {
      if (NODE_SHAPES[node.kind] !== shape || !isVisible(node, visible)) continue;
      traceShape(context, shape, node);
    }
    context.fillStyle = fill;
    context.fill();
    context.stroke();
  }
  if (selection?.kind === 'node') {
    const node = plan.nodes.find((candidate) => candidate.id === selection.id);
    if (node) {
      context.beginPath();
      context.arc(node.x, node.y, node.radius + 4 * pixel, 0, 2 * Math.PI);
      context.strokeStyle = colors.selected;
      context.lineWidth = 3 * pixel;
      context.stroke();
    }
  }

  if (showLabels) {
    context.fillStyle = colors.text;
    context.font = `${11 * pixel}px sans-serif`;
    context.textAlign = 'center';
    context.textBaseline = 'top';
    for (const node of plan.nodes) {
      if (!isVisible(node, visible)) continue;
      // Inside a namespace box the namespace goes without saying; a network's label has none to strip.
      const inBox = node.kind !== 'namespace' && node.namespace !== '';
      const label = inBox ? node.label.slice(node.namespace.length + 1) || node.label : node.label;
      context.fillText(label, node.x, node.y + node.radius + 3 * pixel);
    }
  }
  context.setTransform(1, 0, 0, 1, 0, 0);
}

/** One node's outline, a move first so that the shapes of one path are not joined by lines. */
function traceShape(
  context: CanvasRenderingContext2D,
  shape: NodeShape,
  node: { x: number; y: number; radius: number },
): void {
  const { x, y, radius } = node;
  if (shape === 'circle') {
    context.moveTo(x + radius, y);
    context.arc(x, y, radius, 0, 2 * Math.PI);
  } else if (shape === 'square') {
    context.rect(x - radius, y - radius, radius * 2, radius * 2);
  } else if (shape === 'diamond') {
    context.moveTo(x, y - radius);
    context.lineTo(x + radius, y);
    context.lineTo(x, y + radius);
    context.lineTo(x - radius, y);
    context.closePath();
  } else {
    for (let corner = 0; corner < 6; corner++) {
      const angle = (Math.PI / 3) * corner;
      const px = x + radius * Math.cos(angle);
      const py = y + radius * Math.sin(angle);
      if (corner === 0) context.moveTo(px, py);
      else context.lineTo(px, py);
    }
    context.closePath();
  }
}

function isVisible(node: { x: number; y: number; radius: number }, visible: Bounds): boolean {
  return (
    node.x + node.radius >= visible.minX &&
    node.x - node.radius <= visible.maxX &&
    node.y + node.radius >= visible.minY &&
    node.y - node.radius <= visible.maxY
  );
}

function grow(bounds: Bounds, margin: number): Bounds {
  return {
    minX: bounds.minX - margin,
    minY: bounds.minY - margin,
    maxX: bounds.maxX + margin,
    maxY: bounds.maxY + margin,
  };
}
