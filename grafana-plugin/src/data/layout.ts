// A deterministic, stable layout for the service graph. New nodes start at positions seeded from their ids
// (near their namespace, or where the namespace or its workloads stood before a collapse or an expansion), then
// a force relaxation moves only them: nodes placed by an earlier layout stay where they are, so a refresh never
// makes the graph jump, and nodes and edges that disappeared are dropped. Repulsion looks only at nearby nodes
// (a grid of cells), so an iteration costs about O(nodes + edges) and 1,000 nodes with 5,000 edges lay out in
// well under a second (see README.md, "Layout cost").
import { namespaceNodeId } from './model';

export interface Point {
  x: number;
  y: number;
}

/** What the layout needs of a node: the model's `GraphNode` has it. */
export interface LayoutInputNode {
  id: string;
  namespace: string;
  /** Nodes this one stands for (a collapsed namespace's workloads), to start where they were. */
  memberIds?: readonly string[];
}

export interface LayoutInputEdge {
  id: string;
  source: string;
  target: string;
}

export interface LayoutNode extends Point {
  id: string;
  namespace: string;
}

export interface Layout {
  /** Every node of the graph laid out, sorted by id. */
  nodes: LayoutNode[];
  /** The graph's edges whose two ends are nodes of the graph, in input order. */
  edges: LayoutInputEdge[];
  positions: ReadonlyMap<string, Point>;
  /** Ids of nodes placed by this layout (not in the previous one), sorted. */
  added: string[];
  /** Ids of the previous layout's nodes that are gone, sorted. */
  removed: string[];
  bounds: { minX: number; minY: number; maxX: number; maxY: number };
}

export interface LayoutOptions {
  /** Preferred length of an edge. */
  linkDistance: number;
  /** Nodes closer than this push each other apart. */
  nodeSpacing: number;
  /** Distance scale between the seeded centres of namespaces. */
  namespaceSpacing: number;
  /** Relaxation steps when nothing was laid out before. */
  iterations: number;
  /** Relaxation steps when adding nodes to an earlier layout. */
  incrementalIterations: number;
}

export const DEFAULT_LAYOUT_OPTIONS: LayoutOptions = {
  linkDistance: 120,
  nodeSpacing: 60,
  namespaceSpacing: 500,
  iterations: 300,
  incrementalIterations: 100,
};

/**
 * Lays out `graph`, keeping the nodes of `previous` where they were. Same input, same output: positions come from
 * hashes of ids and nodes are visited in id order, never from `Math.random` or input order.
 */
export function layoutGraph(
  graph: { nodes: readonly LayoutInputNode[]; edges: readonly LayoutInputEdge[] },
  previous?: Layout,
  options: Partial<LayoutOptions> = {},
): Layout {
  const settings = { ...DEFAULT_LAYOUT_OPTIONS, ...options };
  const inputs = [...graph.nodes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const count = inputs.length;
  const indexOf = new Map<string, number>();
  inputs.forEach((node, index) => indexOf.set(node.id, index));

  const xs = new Float64Array(count);
  const ys = new Float64Array(count);
  const mobile = new Uint8Array(count);
  const added: string[] = [];
  const previousPositions = previous?.positions;

  // Namespaces as small integers, for cohesion.
  const namespaceIndex = new Map<string, number>();
  const namespaceOf = new Int32Array(count);
  inputs.forEach((node, index) => {
    let group = namespaceIndex.get(node.namespace);
    if (group === undefined) {
      group = namespaceIndex.size;
      namespaceIndex.set(node.namespace, group);
    }
    namespaceOf[index] = group;
  });

  // Existing nodes stay; their namespaces' centroids are where new members of those namespaces start.
  const kept = new Map<string, { x: number; y: number; n: number }>();
  inputs.forEach((node, index) => {
    const point = previousPositions?.get(node.id);
    if (!point) return;
    xs[index] = point.x;
    ys[index] = point.y;
    const sum = kept.get(node.namespace) ?? { x: 0, y: 0, n: 0 };
    sum.x += point.x;
    sum.y += point.y;
    sum.n += 1;
    kept.set(node.namespace, sum);
  });
  inputs.forEach((node, index) => {
    if (previousPositions?.has(node.id)) return;
    const seed = seededStart(node, previousPositions, kept, settings);
    xs[index] = seed.x;
    ys[index] = seed.y;
    mobile[index] = 1;
    added.push(node.id);
  });

  const edges = graph.edges.filter((edge) => indexOf.has(edge.source) && indexOf.has(edge.target));
  // Forces are summed in id order: floating-point sums depend on their order, and the input's may vary.
  const forceOrder = [...edges].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const sources = new Int32Array(edges.length);
  const targets = new Int32Array(edges.length);
  forceOrder.forEach((edge, index) => {
    sources[index] = indexOf.get(edge.source) ?? 0;
    targets[index] = indexOf.get(edge.target) ?? 0;
  });

  if (added.length > 0) {
    const iterations = previous && previous.nodes.length > 0 ? settings.incrementalIterations : settings.iterations;
    relax(xs, ys, mobile, namespaceOf, namespaceIndex.size, sources, targets, iterations, settings);
  }

  const nodes: LayoutNode[] = inputs.map((node, index) => ({
    id: node.id,
    namespace: node.namespace,
    x: xs[index] ?? 0,
    y: ys[index] ?? 0,
  }));
  const positions = new Map<string, Point>(nodes.map((node) => [node.id, { x: node.x, y: node.y }]));
  const removed = previous ? previous.nodes.filter((node) => !indexOf.has(node.id)).map((node) => node.id) : [];
  return { nodes, edges, positions, added, removed, bounds: boundsOf(nodes) };
}

function seededStart(
  node: LayoutInputNode,
  previous: ReadonlyMap<string, Point> | undefined,
  kept: Map<string, { x: number; y: number; n: number }>,
  settings: LayoutOptions,
): Point {
  const random = seededRandom(node.id);
  const jitter = (radius: number, around: Point): Point => {
    const angle = random() * 2 * Math.PI;
    const distance = radius * Math.sqrt(random());
    return { x: around.x + distance * Math.cos(angle), y: around.y + distance * Math.sin(angle) };
  };
  // A collapsed namespace starts at the centre of its workloads; expanded workloads around their namespace's node.
  const memberPoints = (node.memberIds ?? []).flatMap((id) => {
    const point = id === node.id ? undefined : previous?.get(id);
    return point ? [point] : [];
  });
  if (memberPoints.length > 0) return jitter(settings.nodeSpacing / 4, centroid(memberPoints));
  const namespacePoint = previous?.get(namespaceNodeId(node.namespace));
  if (namespacePoint) return jitter(settings.nodeSpacing * 2, namespacePoint);
  const sum = kept.get(node.namespace);
  if (sum) return jitter(settings.nodeSpacing * 3, { x: sum.x / sum.n, y: sum.y / sum.n });
  return jitter(settings.nodeSpacing * 3, namespaceAnchor(node.namespace, settings));
}

/** Where a namespace seen for the first time is centred: a point of a disc, from its name alone. */
export function namespaceAnchor(namespace: string, settings: LayoutOptions = DEFAULT_LAYOUT_OPTIONS): Point {
  const random = seededRandom(`namespace:${namespace}`);
  const angle = random() * 2 * Math.PI;
  const distance = settings.namespaceSpacing * Math.sqrt(random() * 16);
  return { x: distance * Math.cos(angle), y: distance * Math.sin(angle) };
}

function relax(
  xs: Float64Array,
  ys: Float64Array,
  mobile: Uint8Array,
  namespaceOf: Int32Array,
  namespaceCount: number,
  sources: Int32Array,
  targets: Int32Array,
  iterations: number,
  settings: LayoutOptions,
): void {
  const count = xs.length;
  const dx = new Float64Array(count);
  const dy = new Float64Array(count);
  const springCount = new Float64Array(count);
  const groupX = new Float64Array(namespaceCount);
  const groupY = new Float64Array(namespaceCount);
  const groupSize = new Float64Array(namespaceCount);
  const cell = settings.nodeSpacing;
  const grid = new Map<number, number[]>();
  const maxStep = settings.nodeSpacing / 2;

  for (let iteration = 0; iteration < iterations; iteration++) {
    const temperature = Math.max(0.05, 1 - iteration / iterations);
    dx.fill(0);
    dy.fill(0);
    springCount.fill(0);

    // Springs: each end moves towards its preferred distance, averaged over its edges so hubs do not fly off.
    for (let edge = 0; edge < sources.length; edge++) {
      const a = sources[edge] ?? 0;
      const b = targets[edge] ?? 0;
      if (a === b || (!mobile[a] && !mobile[b])) continue;
      const vx = (xs[b] ?? 0) - (xs[a] ?? 0);
      const vy = (ys[b] ?? 0) - (ys[a] ?? 0);
      const distance = Math.hypot(vx, vy) || 1e-6;
      const pull = ((distance - settings.linkDistance) / distance) * 0.5;
      dx[a] = (dx[a] ?? 0) + vx * pull;
      dy[a] = (dy[a] ?? 0) + vy * pull;
      dx[b] = (dx[b] ?? 0) - vx * pull;
      dy[b] = (dy[b] ?? 0) - vy * pull;
      springCount[a] = (springCount[a] ?? 0) + 1;
      springCount[b] = (springCount[b] ?? 0) + 1;
    }
    for (let node = 0; node < count; node++) {
      const springs = springCount[node] ?? 0;
      if (springs > 1) {
        dx[node] = (dx[node] ?? 0) / springs;
        dy[node] = (dy[node] ?? 0) / springs;
      }
    }

    // Cohesion: a light pull towards the namespace's centroid keeps namespaces together.
    groupX.fill(0);
    groupY.fill(0);
    groupSize.fill(0);
    for (let node = 0; node < count; node++) {
      const group = namespaceOf[node] ?? 0;
      groupX[group] = (groupX[group] ?? 0) + (xs[node] ?? 0);
      groupY[group] = (groupY[group] ?? 0) + (ys[node] ?? 0);
      groupSize[group] = (groupSize[group] ?? 0) + 1;
    }
    for (let node = 0; node < count; node++) {
      if (!mobile[node]) continue;
      const group = namespaceOf[node] ?? 0;
      const size = groupSize[group] ?? 1;
      dx[node] = (dx[node] ?? 0) + ((groupX[group] ?? 0) / size - (xs[node] ?? 0)) * 0.05;
      dy[node] = (dy[node] ?? 0) + ((groupY[group] ?? 0) / size - (ys[node] ?? 0)) * 0.05;
    }

    // Repulsion between nodes closer than the spacing, found through a grid of spacing-sized cells.
    grid.clear();
    for (let node = 0; node < count; node++) {
      const key = cellKey(Math.floor((xs[node] ?? 0) / cell), Math.floor((ys[node] ?? 0) / cell));
      const members = grid.get(key);
      if (members) members.push(node);
      else grid.set(key, [node]);
    }
    for (let node = 0; node < count; node++) {
      if (!mobile[node]) continue;
      const x = xs[node] ?? 0;
      const y = ys[node] ?? 0;
      const cx = Math.floor(x / cell);
      const cy = Math.floor(y / cell);
      for (let ox = -1; ox <= 1; ox++) {
        for (let oy = -1; oy <= 1; oy++) {
          const members = grid.get(cellKey(cx + ox, cy + oy));
          if (!members) continue;
          for (const other of members) {
            if (other === node) continue;
            let vx = x - (xs[other] ?? 0);
            let vy = y - (ys[other] ?? 0);
            let distance = Math.hypot(vx, vy);
            if (distance >= settings.nodeSpacing) continue;
            if (distance < 1e-6) {
              // Same place: part them in a direction fixed by the pair, not by chance.
              const angle = ((node * 7919 + other * 104729) % 360) * (Math.PI / 180);
              vx = Math.cos(angle);
              vy = Math.sin(angle);
              distance = 1;
            }
            // A fixed neighbour does not give way, so the mobile node takes the whole push.
            const share = mobile[other] ? 0.5 : 1;
            const push = ((settings.nodeSpacing - distance) / distance) * share;
            dx[node] = (dx[node] ?? 0) + vx * push;
            dy[node] = (dy[node] ?? 0) + vy * push;
          }
        }
      }
    }

    const limit = maxStep * temperature;
    for (let node = 0; node < count; node++) {
      if (!mobile[node]) continue;
      const stepX = dx[node] ?? 0;
      const stepY = dy[node] ?? 0;
      const length = Math.hypot(stepX, stepY);
      const scale = length > limit ? limit / length : 1;
      xs[node] = (xs[node] ?? 0) + stepX * scale;
      ys[node] = (ys[node] ?? 0) + stepY * scale;
    }
  }
}

function cellKey(cx: number, cy: number): number {
  // Cells within ±2^20 of the origin (far beyond any drawn graph) get distinct keys.
  return (cx + 1_048_576) * 2_097_152 + (cy + 1_048_576);
}

function centroid(points: Point[]): Point {
  let x = 0;
  let y = 0;
  for (const point of points) {
    x += point.x;
    y += point.y;
  }
  return { x: x / points.length, y: y / points.length };
}

function boundsOf(nodes: Point[]): Layout['bounds'] {
  if (nodes.length === 0) return { minX: 0, minY: 0, maxX: 0, maxY: 0 };
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const { x, y } of nodes) {
    minX = Math.min(minX, x);
    minY = Math.min(minY, y);
    maxX = Math.max(maxX, x);
    maxY = Math.max(maxY, y);
  }
  return { minX, minY, maxX, maxY };
}

/** FNV-1a of the text seeding mulberry32: the same id always draws the same numbers. */
export function seededRandom(text: string): () => number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  let state = hash >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
