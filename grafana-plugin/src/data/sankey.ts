// A small, deterministic Sankey layout: nodes in fixed columns, heights proportional to the traffic through them,
// links as cubic curves whose ends are stacked along their nodes. Hand-written rather than d3-sankey: the policy
// flow view has exactly three columns and needs no iterative relaxation, so the whole layout is a sort and two
// passes, and the same input always gives the same picture (no dependency, no randomness, no input-order effects).

export interface SankeyNodeInput {
  id: string;
  /** 0 is the leftmost column. Links go from a lower column to a higher one. */
  column: number;
  /** Drawn at the bottom of its column whatever its value (the "other" node that stands for the small ones). */
  last?: boolean;
}

export interface SankeyLinkInput {
  id: string;
  source: string;
  target: string;
  /** Non-negative; links of zero (or non-finite) value are dropped. */
  value: number;
}

export interface SankeyOptions {
  /** The drawing area, in pixels. The height grows when a column has too many nodes to fit (see `SankeyLayout`). */
  width: number;
  height: number;
  nodeWidth: number;
  /** Vertical gap between two nodes of a column. */
  nodePadding: number;
  /** Nodes never get thinner than this, so that a trickle stays visible and clickable. */
  minNodeHeight: number;
}

export const DEFAULT_SANKEY_OPTIONS: SankeyOptions = {
  width: 800,
  height: 400,
  nodeWidth: 12,
  nodePadding: 8,
  minNodeHeight: 2,
};

export interface SankeyNode {
  id: string;
  column: number;
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  /** Sum of the incoming links' values. */
  valueIn: number;
  /** Sum of the outgoing links' values. */
  valueOut: number;
  /** The larger of the two: what the node's height is proportional to. */
  value: number;
}

export interface SankeyLink {
  id: string;
  source: string;
  target: string;
  value: number;
  /** Stroke width: the value on the same scale as node heights. */
  width: number;
  /** Where the link's centre line leaves its source node (x0 is that node's right edge). */
  x0: number;
  y0: number;
  /** Where it reaches its target node (x1 is that node's left edge). */
  x1: number;
  y1: number;
  /** SVG path of the centre line: a cubic curve, horizontal at both ends; stroke it `width` wide. */
  path: string;
}

export interface SankeyLayout {
  /** By column, then top to bottom. */
  nodes: SankeyNode[];
  /** Sorted by id. */
  links: SankeyLink[];
  width: number;
  /** At least the requested height; more when a column needed it to give each node its minimum height. */
  height: number;
  /** Pixels per unit of value. */
  scale: number;
}

/**
 * Lays out a Sankey diagram. Within a column nodes are sorted by value, largest on top (ties by id; `last` nodes
 * at the bottom); the scale is the largest at which every column fits the height with its gaps, so the fullest
 * column spans it and the others are centred. At each node, links are stacked in the order of the nodes at
 * their other end, so that links do not cross near the nodes.
 */
export function layoutSankey(
  nodeInputs: readonly SankeyNodeInput[],
  linkInputs: readonly SankeyLinkInput[],
  options: Partial<SankeyOptions> = {},
): SankeyLayout {
  const { width, height, nodeWidth, nodePadding, minNodeHeight } = { ...DEFAULT_SANKEY_OPTIONS, ...options };

  const nodes = new Map<string, WorkNode>();
  for (const input of [...nodeInputs].sort(byId)) {
    if (nodes.has(input.id)) continue;
    nodes.set(input.id, {
      id: input.id,
      column: input.column,
      last: input.last === true,
      x0: 0,
      x1: 0,
      y0: 0,
      y1: 0,
      valueIn: 0,
      valueOut: 0,
      value: 0,
    });
  }
  const links: WorkLink[] = [];
  for (const input of [...linkInputs].sort(byId)) {
    const source = nodes.get(input.source);
    const target = nodes.get(input.target);
    if (!source || !target || !Number.isFinite(input.value) || input.value <= 0) continue;
    source.valueOut += input.value;
    target.valueIn += input.value;
    links.push({ id: input.id, source, target, value: input.value, y0: 0, y1: 0 });
  }

  const columns = new Map<number, WorkNode[]>();
  for (const node of nodes.values()) {
    node.value = Math.max(node.valueIn, node.valueOut);
    pushTo(columns, node.column, node);
  }
  const columnIndexes = [...columns.keys()].sort((a, b) => a - b);
  const orderedColumns = columnIndexes.map((index) => columns.get(index) ?? []);
  for (const column of orderedColumns) {
    column.sort((a, b) => Number(a.last) - Number(b.last) || b.value - a.value || (a.id < b.id ? -1 : 1));
  }

  // A column of n nodes needs room for its gaps and, at least, twice the minimum height per node (so that the
  // scale stays positive): past that, the layout grows taller instead of squeezing nodes together.
  let layoutHeight = height;
  for (const column of orderedColumns) {
    layoutHeight = Math.max(layoutHeight, (column.length - 1) * nodePadding + column.length * 2 * minNodeHeight);
  }
  let scale = Infinity;
  for (const column of orderedColumns) {
    const available = layoutHeight - (column.length - 1) * nodePadding;
    const values = column.map((node) => node.value);
    scale = Math.min(scale, scaleToFit(values, available, minNodeHeight));
  }
  if (!Number.isFinite(scale)) scale = 0;

  // Columns spread evenly over the width: the first at the left edge, the last at the right edge.
  const lastPosition = orderedColumns.length - 1;
  orderedColumns.forEach((column, position) => {
    const x0 = lastPosition <= 0 ? 0 : (position * (width - nodeWidth)) / lastPosition;
    let total = (column.length - 1) * nodePadding;
    for (const node of column) total += Math.max(minNodeHeight, node.value * scale);
    let y = Math.max(0, (layoutHeight - total) / 2);
    for (const node of column) {
      node.x0 = x0;
      node.x1 = x0 + nodeWidth;
      node.y0 = y;
      node.y1 = y + Math.max(minNodeHeight, node.value * scale);
      y = node.y1 + nodePadding;
    }
  });

  // Stack each node's links, outgoing ordered by where their targets are and incoming by where their sources are.
  const outgoing = new Map<WorkNode, WorkLink[]>();
  const incoming = new Map<WorkNode, WorkLink[]>();
  for (const link of links) {
    pushTo(outgoing, link.source, link);
    pushTo(incoming, link.target, link);
  }
  for (const [node, nodeLinks] of outgoing) {
    nodeLinks.sort((a, b) => a.target.y0 - b.target.y0 || (a.id < b.id ? -1 : 1));
    let y = node.y0;
    for (const link of nodeLinks) {
      link.y0 = y + (link.value * scale) / 2;
      y += link.value * scale;
    }
  }
  for (const [node, nodeLinks] of incoming) {
    nodeLinks.sort((a, b) => a.source.y0 - b.source.y0 || (a.id < b.id ? -1 : 1));
    let y = node.y0;
    for (const link of nodeLinks) {
      link.y1 = y + (link.value * scale) / 2;
      y += link.value * scale;
    }
  }

  return {
    nodes: orderedColumns.flatMap((column) =>
      column.map(({ id, column: columnIndex, x0, x1, y0, y1, valueIn, valueOut, value }) => ({
        id,
        column: columnIndex,
        x0,
        x1,
        y0,
        y1,
        valueIn,
        valueOut,
        value,
      })),
    ),
    links: links.map(({ id, source, target, value, y0, y1 }) => ({
      id,
      source: source.id,
      target: target.id,
      value,
      width: value * scale,
      x0: source.x1,
      y0,
      x1: target.x0,
      y1,
      path: linkPath(source.x1, y0, target.x0, y1),
    })),
    width,
    height: layoutHeight,
    scale,
  };
}

interface WorkNode extends SankeyNode {
  last: boolean;
}

interface WorkLink {
  id: string;
  source: WorkNode;
  target: WorkNode;
  value: number;
  y0: number;
  y1: number;
}

/**
 * The largest scale k at which sum(max(minHeight, value * k)) fits `available`: nodes too small for the minimum
 * take the minimum, the others share what is left in proportion to their values. f(k) is continuous and
 * increasing, so trying "the m smallest are clamped" for m = 0, 1, ... finds the one consistent answer.
 */
function scaleToFit(values: number[], available: number, minHeight: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  let rest = sorted.reduce((sum, value) => sum + value, 0);
  for (let clamped = 0; clamped < sorted.length; clamped++) {
    const k = rest > 0 ? (available - clamped * minHeight) / rest : Infinity;
    const smallest = sorted[clamped] ?? 0;
    const previous = clamped === 0 ? undefined : sorted[clamped - 1];
    if (smallest * k >= minHeight && (previous === undefined || previous * k <= minHeight)) return k;
    rest -= smallest;
  }
  // Every node is at its minimum height: any scale that keeps the largest there will do.
  const largest = sorted[sorted.length - 1] ?? 0;
  return largest > 0 ? minHeight / largest : Infinity;
}

/** A cubic curve leaving and arriving horizontally, its control points half-way between the two columns. */
export function linkPath(x0: number, y0: number, x1: number, y1: number): string {
  const xm = (x0 + x1) / 2;
  return `M${round(x0)},${round(y0)}C${round(xm)},${round(y0)} ${round(xm)},${round(y1)} ${round(x1)},${round(y1)}`;
}

// Two decimals are finer than a device pixel and keep the path strings short and stable.
function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function pushTo<K, T>(map: Map<K, T[]>, key: K, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function byId<T extends { id: string }>(a: T, b: T): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
