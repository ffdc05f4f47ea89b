import { type SankeyLayout, type SankeyLinkInput, type SankeyNodeInput, layoutSankey, linkPath } from './sankey';

// Three columns as the policy flow draws them: sources, policies, destinations.
const nodes: SankeyNodeInput[] = [
  { id: 's:a', column: 0 },
  { id: 's:b', column: 0 },
  { id: 's:c', column: 0 },
  { id: 's:other', column: 0, last: true },
  { id: 'p:allow', column: 1 },
  { id: 'p:deny', column: 1 },
  { id: 'd:x', column: 2 },
  { id: 'd:y', column: 2 },
];
const links: SankeyLinkInput[] = [
  { id: 's:a>p:allow', source: 's:a', target: 'p:allow', value: 10 },
  { id: 's:b>p:allow', source: 's:b', target: 'p:allow', value: 4 },
  { id: 's:b>p:deny', source: 's:b', target: 'p:deny', value: 3 },
  { id: 's:c>p:deny', source: 's:c', target: 'p:deny', value: 0.01 },
  { id: 's:other>p:allow', source: 's:other', target: 'p:allow', value: 20 },
  { id: 'p:allow>d:x', source: 'p:allow', target: 'd:x', value: 30 },
  { id: 'p:allow>d:y', source: 'p:allow', target: 'd:y', value: 4 },
  { id: 'p:deny>d:y', source: 'p:deny', target: 'd:y', value: 3.01 },
];
const options = { width: 600, height: 300, nodeWidth: 10, nodePadding: 8, minNodeHeight: 2 };

function nodeById(layout: SankeyLayout, id: string) {
  const node = layout.nodes.find((candidate) => candidate.id === id);
  if (!node) throw new Error(`no node ${id}`);
  return node;
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const copy = [...items];
  let state = seed;
  for (let index = copy.length - 1; index > 0; index--) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const other = state % (index + 1);
    [copy[index], copy[other]] = [copy[other] as T, copy[index] as T];
  }
  return copy;
}

const EPSILON = 1e-9;

describe('layoutSankey', () => {
  const layout = layoutSankey(nodes, links, options);

  it('conserves flow through middle nodes: what enters a policy leaves it', () => {
    for (const id of ['p:allow', 'p:deny']) {
      const node = nodeById(layout, id);
      expect(node.valueIn).toBeCloseTo(node.valueOut, 9);
      const inWidth = layout.links.filter((link) => link.target === id).reduce((sum, link) => sum + link.width, 0);
      const outWidth = layout.links.filter((link) => link.source === id).reduce((sum, link) => sum + link.width, 0);
      expect(inWidth).toBeCloseTo(outWidth, 9);
    }
    expect(nodeById(layout, 'p:allow').value).toBe(34);
  });

  it('makes node heights proportional to their throughput, with a minimum', () => {
    const height = (id: string) => nodeById(layout, id).y1 - nodeById(layout, id).y0;
    expect(height('p:allow') / height('p:deny')).toBeCloseTo(34 / 3.01, 6);
    expect(height('s:c')).toBe(2);
    expect(height('s:a')).toBeCloseTo(10 * layout.scale, 9);
  });

  it('places columns left to right and sorts each by value, the "last" node at the bottom', () => {
    expect(layout.nodes.map((node) => node.id)).toEqual([
      's:a',
      's:b',
      's:c',
      's:other',
      'p:allow',
      'p:deny',
      'd:x',
      'd:y',
    ]);
    expect(nodeById(layout, 's:a').x0).toBe(0);
    expect(nodeById(layout, 'p:allow').x0).toBe(295);
    expect(nodeById(layout, 'd:x').x1).toBe(600);
  });

  it('never overlaps nodes of a column and stays inside the height', () => {
    for (const column of [0, 1, 2]) {
      const inColumn = layout.nodes.filter((node) => node.column === column);
      for (let index = 1; index < inColumn.length; index++) {
        expect(inColumn[index]!.y0).toBeGreaterThanOrEqual(inColumn[index - 1]!.y1 + options.nodePadding - EPSILON);
      }
      for (const node of inColumn) {
        expect(node.y0).toBeGreaterThanOrEqual(0);
        expect(node.y1).toBeLessThanOrEqual(layout.height + EPSILON);
      }
    }
    // The fullest column (sources: four nodes) spans the whole height.
    expect(nodeById(layout, 's:a').y0).toBeCloseTo(0, 9);
    expect(nodeById(layout, 's:other').y1).toBeCloseTo(300, 9);
  });

  it('stacks link ends inside their nodes without overlap, in the order of the other ends', () => {
    for (const node of layout.nodes) {
      for (const side of ['source', 'target'] as const) {
        const ends = layout.links
          .filter((link) => link[side] === node.id)
          .map((link) => ({ y: side === 'source' ? link.y0 : link.y1, width: link.width }))
          .sort((a, b) => a.y - b.y);
        let previousBottom = node.y0;
        for (const end of ends) {
          expect(end.y - end.width / 2).toBeGreaterThanOrEqual(previousBottom - EPSILON);
          previousBottom = end.y + end.width / 2;
        }
        expect(previousBottom).toBeLessThanOrEqual(node.y1 + EPSILON);
      }
    }
    // p:allow's outgoing links: to d:x (on top) first, then to d:y.
    const toX = layout.links.find((link) => link.id === 'p:allow>d:x')!;
    const toY = layout.links.find((link) => link.id === 'p:allow>d:y')!;
    expect(toX.y0).toBeLessThan(toY.y0);
  });

  it('draws links as cubic curves from the right edge of the source to the left edge of the target', () => {
    const link = layout.links.find((candidate) => candidate.id === 's:a>p:allow')!;
    expect(link.x0).toBe(nodeById(layout, 's:a').x1);
    expect(link.x1).toBe(nodeById(layout, 'p:allow').x0);
    expect(link.path).toBe(linkPath(link.x0, link.y0, link.x1, link.y1));
    expect(linkPath(10, 5, 110, 55.555)).toBe('M10,5C60,5 60,55.56 110,55.56');
  });

  it('is deterministic: the same output whatever the input order', () => {
    for (const seed of [1, 2, 3]) {
      expect(layoutSankey(shuffled(nodes, seed), shuffled(links, seed + 10), options)).toEqual(layout);
    }
  });

  it('drops links of zero, negative or non-finite value, and links to unknown nodes', () => {
    const result = layoutSankey(nodes, [
      ...links,
      { id: 'zero', source: 's:a', target: 'p:deny', value: 0 },
      { id: 'nan', source: 's:a', target: 'p:deny', value: Number.NaN },
      { id: 'negative', source: 's:a', target: 'p:deny', value: -1 },
      { id: 'dangling', source: 's:a', target: 'nowhere', value: 1 },
    ]);
    expect(result.links.map((link) => link.id)).toEqual([...links.map((link) => link.id)].sort());
  });

  it('grows taller rather than overlapping when a column has more nodes than fit', () => {
    const many = Array.from({ length: 100 }, (_, index) => ({ id: `s${String(index).padStart(3, '0')}`, column: 0 }));
    const result = layoutSankey(
      [...many, { id: 'p', column: 1 }],
      many.map((node) => ({ id: `${node.id}>p`, source: node.id, target: 'p', value: 1 })),
      { ...options, height: 100 },
    );
    expect(result.height).toBeGreaterThan(100);
    const column = result.nodes.filter((node) => node.column === 0);
    for (let index = 1; index < column.length; index++) {
      expect(column[index]!.y0).toBeGreaterThanOrEqual(column[index - 1]!.y1 + options.nodePadding - EPSILON);
    }
    expect(column[column.length - 1]!.y1).toBeLessThanOrEqual(result.height + EPSILON);
  });

  it('handles an empty input', () => {
    expect(layoutSankey([], [], options)).toEqual({ nodes: [], links: [], width: 600, height: 300, scale: 0 });
  });
});
