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

  // Existing nodes stay where they were.
  inputs.forEach((node, index) => {
    const point = previousPositions?.get(node.id);
    if (!point) return;
    xs[index] = point.x;
    ys[index] = point.y;
  });
  // Each namespace has an anchor its nodes are pulled towards: where its existing nodes are, else where its
  // collapsed node was, else a point seeded from its name.
  const anchorX = new Float64Array(namespaceIndex.size);
  const anchorY = new Float64Array(namespaceIndex.size);
  for (const [namespace, group] of namespaceIndex) {
    const anchor = namespaceAnchorFor(namespace, inputs, previousPositions, settings);
    anchorX[group] = anchor.x;
    anchorY[group] = anchor.y;
  }
  inputs.forEach((node, index) => {
    if (previousPositions?.has(node.id)) return;
    const group = namespaceOf[index] ?? 0;
    const seed = seededStart(node, previousPositions, { x: anchorX[group] ?? 0, y: anchorY[group] ?? 0 }, settings);
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
    relax(xs, ys, mobile, namespaceOf, anchorX, anchorY, sources, targets, iterations, settings);
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
  anchor: Point,
  settings: LayoutOptions,
): Point {
  const random = seededRandom(node.id);
  const jitter = (radius: number, around: Point): Point => {
    const angle = random() * 2 * Math.PI;
    const distance = radius * Math.sqrt(random());
    return { x: around.x + distance * Math.cos(angle), y: around.y + distance * Math.sin(angle) };
  };
  // A collapsed namespace starts at the centre of its workloads.
  const memberPoints = (node.memberIds ?? []).flatMap((id) => {
    const point = id === node.id ? undefined : previous?.get(id);
    return point ? [point] : [];
  });
  if (memberPoints.length > 0) return jitter(settings.nodeSpacing / 4, centroid(memberPoints));
  return jitter(settings.nodeSpacing * 3, anchor);
}

function namespaceAnchorFor(
  namespace: string,
  inputs: readonly LayoutInputNode[],
  previous: ReadonlyMap<string, Point> | undefined,
  settings: LayoutOptions,
): Point {
  // A node's own earlier position, or those of the workloads a collapsed namespace's node stands for.
  const kept = inputs.flatMap((node) =>
    node.namespace !== namespace
      ? []
      : [node.id, ...(node.memberIds ?? [])].flatMap((id) => {
          const point = previous?.get(id);
          return point ? [point] : [];
        }),
  );
  if (kept.length > 0) return centroid(kept);
  return previous?.get(namespaceNodeId(namespace)) ?? namespaceAnchor(namespace, settings);
}

/** Where a namespace seen for the first time is centred: a point of a disc, from its name alone. */
export function namespaceAnchor(namespace: string, settings: LayoutOptions = DEFAULT_LAYOUT_OPTIONS): Point {
  const random = seededRandom(`namespace:${namespace}`);
  const angle = random() * 2 * Math.PI;
  const distance = settings.namespaceSpacing * Math.sqrt(random() * 16);
  return { x: distance * Math.cos(angle), y: distance * Math.sin(angle) };
}

// Local bindings: the hot loops below look these up millions of times, and a global lookup is slow where the
// global object is a sandbox's (jest's jsdom environment ran the layout ten times slower without them).
const { sqrt, floor, imul } = Math;

function relax(
  xs: Float64Array,
  ys: Float64Array,
  mobile: Uint8Array,
  namespaceOf: Int32Array,
  anchorX: Float64Array,
  anchorY: Float64Array,
  sources: Int32Array,
  targets: Int32Array,
  iterations: number,
  settings: LayoutOptions,
): void {
  const count = xs.length;
  const dx = new Float64Array(count);
  const dy = new Float64Array(count);
  const springCount = new Float64Array(count);
  const cell = settings.nodeSpacing;
  // The grid as a hash table of linked lists in typed arrays (bucket heads, next node), rebuilt each iteration
  // without allocating; cells sharing a bucket only cost a few extra distance checks.
  const bucketCount = 1 << Math.max(10, Math.ceil(Math.log2(count * 2 + 1)));
  const heads = new Int32Array(bucketCount);
  const next = new Int32Array(count);
  const maxStep = settings.nodeSpacing / 2;

  for (let iteration = 0; iteration < iterations; iteration++) {
    const temperature = Math.max(0.05, 1 - iteration / iterations);
    dx.fill(0);
    dy.fill(0);
    springCount.fill(0);

    // Springs: each end moves towards its preferred distance, averaged over its edges so hubs do not fly off;
    // edges across namespaces pull less, so that namespaces stay apart.
    for (let edge = 0; edge < sources.length; edge++) {
      const a = sources[edge] ?? 0;
      const b = targets[edge] ?? 0;
      if (a === b || (!mobile[a] && !mobile[b])) continue;
      const vx = (xs[b] ?? 0) - (xs[a] ?? 0);
      const vy = (ys[b] ?? 0) - (ys[a] ?? 0);
      const distance = sqrt(vx * vx + vy * vy) || 1e-6;
      const weight = namespaceOf[a] === namespaceOf[b] ? 1 : 0.1;
      const pull = ((distance - settings.linkDistance) / distance) * 0.5 * weight;
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

    // Cohesion: a light pull towards the namespace's anchor keeps namespaces together and in place.
    for (let node = 0; node < count; node++) {
      if (!mobile[node]) continue;
      const group = namespaceOf[node] ?? 0;
      dx[node] = (dx[node] ?? 0) + ((anchorX[group] ?? 0) - (xs[node] ?? 0)) * 0.05;
      dy[node] = (dy[node] ?? 0) + ((anchorY[group] ?? 0) - (ys[node] ?? 0)) * 0.05;
    }

    // Repulsion between nodes closer than the spacing, found through a grid of spacing-sized cells.
    heads.fill(-1);
    for (let node = 0; node < count; node++) {
      const bucket = bucketOf(floor((xs[node] ?? 0) / cell), floor((ys[node] ?? 0) / cell), bucketCount);
      next[node] = heads[bucket] ?? -1;
      heads[bucket] = node;
    }
    for (let node = 0; node < count; node++) {
      if (!mobile[node]) continue;
      const x = xs[node] ?? 0;
      const y = ys[node] ?? 0;
      const cx = floor(x / cell);
      const cy = floor(y / cell);
      for (let ox = -1; ox <= 1; ox++) {
        for (let oy = -1; oy <= 1; oy++) {
          for (
            let other = heads[bucketOf(cx + ox, cy + oy, bucketCount)] ?? -1;
            other >= 0;
            other = next[other] ?? -1
          ) {
            if (other === node) continue;
            let vx = x - (xs[other] ?? 0);
            let vy = y - (ys[other] ?? 0);
            let distance = sqrt(vx * vx + vy * vy);
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
      const length = sqrt(stepX * stepX + stepY * stepY);
      const scale = length > limit ? limit / length : 1;
      xs[node] = (xs[node] ?? 0) + stepX * scale;
      ys[node] = (ys[node] ?? 0) + stepY * scale;
    }
  }
}

function bucketOf(cx: number, cy: number, bucketCount: number): number {
  return (imul(cx, 73856093) ^ imul(cy, 19349663)) & (bucketCount - 1);
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
