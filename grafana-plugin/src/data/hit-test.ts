// What is under the mouse: a node, an edge or a namespace box's header. A uniform grid over the world holds each
// node, each segment of each edge's curve and each box header, so that a click looks at a few cells instead of
// 1,000 nodes and 5,000 edges. Built once per render plan; tolerances are in world units (the caller divides screen
// pixels by the zoom).
import type { NamespaceBox, PlannedEdge, PlannedNode, RenderPlan } from './render-plan';

export type Hit = { kind: 'node'; id: string } | { kind: 'edge'; id: string } | { kind: 'box'; namespace: string };

/** Cell coordinates are offset into [0, CELL_RANGE): a world of ±2^20 cells, far beyond any layout. */
const CELL_RANGE = 2 ** 21;
const CELL_OFFSET = 2 ** 20;

/** Segments an edge's curve is cut into for picking: enough to follow the bow within a pixel or two. */
const CURVE_SEGMENTS = 8;

interface Segment {
  edge: number;
  ax: number;
  ay: number;
  bx: number;
  by: number;
}

export class HitGrid {
  private readonly nodeCells = new Map<number, number[]>();
  private readonly segmentCells = new Map<number, Segment[]>();
  private readonly headerCells = new Map<number, number[]>();
  private maxNodeRadius = 0;

  constructor(
    private readonly plan: RenderPlan,
    private readonly cellSize = 64,
  ) {
    plan.nodes.forEach((node, index) => {
      this.maxNodeRadius = Math.max(this.maxNodeRadius, node.radius);
      this.insert(this.nodeCells, node.x, node.y, node.x, node.y, index);
    });
    plan.edges.forEach((edge, index) => {
      for (const segment of segmentsOf(edge, index)) {
        this.insert(
          this.segmentCells,
          Math.min(segment.ax, segment.bx),
          Math.min(segment.ay, segment.by),
          Math.max(segment.ax, segment.bx),
          Math.max(segment.ay, segment.by),
          segment,
        );
      }
    });
    plan.boxes.forEach((box, index) => {
      this.insert(this.headerCells, box.x, box.y, box.x + box.width, box.y + box.headerHeight, index);
    });
  }

  /**
   * The node whose disc holds the point (the nearest if several), else the edge nearest to it within its half
   * width plus `tolerance`, else the box header holding it. Nodes win: they are drawn over edges.
   */
  hit(x: number, y: number, tolerance: number, pixelsPerUnit = 1): Hit | undefined {
    const node = this.nodeAt(x, y, tolerance);
    if (node) return { kind: 'node', id: node.id };
    const edge = this.edgeAt(x, y, tolerance, pixelsPerUnit);
    if (edge) return { kind: 'edge', id: edge.id };
    const box = this.headerAt(x, y);
    return box ? { kind: 'box', namespace: box.namespace } : undefined;
  }

  nodeAt(x: number, y: number, tolerance: number): PlannedNode | undefined {
    let best: PlannedNode | undefined;
    let bestDistance = Infinity;
    for (const index of this.near(this.nodeCells, x, y, this.maxNodeRadius + tolerance)) {
      const node = this.plan.nodes[index];
      if (!node) continue;
      const distance = Math.hypot(node.x - x, node.y - y);
      if (distance <= node.radius + tolerance && distance < bestDistance) {
        best = node;
        bestDistance = distance;
      }
    }
    return best;
  }

  edgeAt(x: number, y: number, tolerance: number, pixelsPerUnit = 1): PlannedEdge | undefined {
    let best: PlannedEdge | undefined;
    let bestDistance = Infinity;
    for (const segment of this.near(this.segmentCells, x, y, tolerance)) {
      const edge = this.plan.edges[segment.edge];
      if (!edge) continue;
      const distance = distanceToSegment(x, y, segment);
      if (distance <= edge.width / 2 / pixelsPerUnit + tolerance && distance < bestDistance) {
        best = edge;
        bestDistance = distance;
      }
    }
    return best;
  }

  private headerAt(x: number, y: number): NamespaceBox | undefined {
    for (const index of this.near(this.headerCells, x, y, 0)) {
      const box = this.plan.boxes[index];
      if (box && x >= box.x && x <= box.x + box.width && y >= box.y && y <= box.y + box.headerHeight) return box;
    }
    return undefined;
  }

  /** A cell's key as one number (string keys made building the grid four times slower). */
  private cellKey(column: number, row: number): number {
    return (column + CELL_OFFSET) * CELL_RANGE + (row + CELL_OFFSET);
  }

  private insert<T>(cells: Map<number, T[]>, minX: number, minY: number, maxX: number, maxY: number, item: T) {
    const size = this.cellSize;
    for (let column = Math.floor(minX / size); column <= Math.floor(maxX / size); column++) {
      for (let row = Math.floor(minY / size); row <= Math.floor(maxY / size); row++) {
        const key = this.cellKey(column, row);
        const list = cells.get(key);
        if (list) list.push(item);
        else cells.set(key, [item]);
      }
    }
  }

  /** Items of the cells within `reach` of the point; an item spanning several cells may come more than once. */
  private *near<T>(cells: Map<number, T[]>, x: number, y: number, reach: number): Generator<T> {
    const size = this.cellSize;
    for (let column = Math.floor((x - reach) / size); column <= Math.floor((x + reach) / size); column++) {
      for (let row = Math.floor((y - reach) / size); row <= Math.floor((y + reach) / size); row++) {
        const list = cells.get(this.cellKey(column, row));
        if (list) yield* list;
      }
    }
  }
}

/** The edge's curve (or loop) as short straight segments. */
export function segmentsOf(edge: PlannedEdge, index: number): Segment[] {
  const points: Array<[number, number]> = [];
  for (let step = 0; step <= CURVE_SEGMENTS; step++) {
    const t = step / CURVE_SEGMENTS;
    if (edge.loopRadius > 0) {
      const angle = t * 2 * Math.PI;
      points.push([edge.cx + edge.loopRadius * Math.cos(angle), edge.cy + edge.loopRadius * Math.sin(angle)]);
    } else {
      const u = 1 - t;
      points.push([
        u * u * edge.x0 + 2 * u * t * edge.cx + t * t * edge.x1,
        u * u * edge.y0 + 2 * u * t * edge.cy + t * t * edge.y1,
      ]);
    }
  }
  const segments: Segment[] = [];
  for (let step = 1; step < points.length; step++) {
    const [ax, ay] = points[step - 1] ?? [0, 0];
    const [bx, by] = points[step] ?? [0, 0];
    segments.push({ edge: index, ax, ay, bx, by });
  }
  return segments;
}

function distanceToSegment(x: number, y: number, segment: Segment): number {
  const dx = segment.bx - segment.ax;
  const dy = segment.by - segment.ay;
  const lengthSquared = dx * dx + dy * dy;
  const t =
    lengthSquared === 0 ? 0 : Math.max(0, Math.min(1, ((x - segment.ax) * dx + (y - segment.ay) * dy) / lengthSquared));
  return Math.hypot(x - (segment.ax + t * dx), y - (segment.ay + t * dy));
}
