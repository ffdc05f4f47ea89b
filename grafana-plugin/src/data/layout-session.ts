// The layout of a panel across data refreshes and filter changes: each layout starts from every position the
// session has seen, so nodes keep their place through a refresh, and a node hidden by a filter comes back where it
// was when the filter is cleared. Each computation is a `flowlens:service-graph:layout` performance measure, which
// the browser tests read.
import { type Layout, type LayoutInputEdge, type LayoutInputNode, type Point, layoutGraph } from './layout';
import { measured } from './perf';

export const LAYOUT_MEASURE = 'flowlens:service-graph:layout';

/** Positions remembered beyond this are forgotten (all at once): a bound on memory for long-lived dashboards. */
const MAX_REMEMBERED = 50_000;

export class LayoutSession {
  private previous: Layout | undefined;
  private readonly remembered = new Map<string, Point>();

  update(graph: { nodes: readonly LayoutInputNode[]; edges: readonly LayoutInputEdge[] }): Layout {
    const previous = this.previous ? { ...this.previous, positions: this.remembered } : undefined;
    const layout = measured(LAYOUT_MEASURE, () => layoutGraph(graph, previous));
    if (this.remembered.size > MAX_REMEMBERED) this.remembered.clear();
    for (const [id, point] of layout.positions) this.remembered.set(id, point);
    this.previous = layout;
    return layout;
  }
}
