import { render, screen, within } from '@testing-library/react';

import { assembleModel, emptyMeasures, makeEdge } from '../../../data/model';
import type { GraphNode } from '../../../data/model';
import { EdgeTable } from './EdgeTable';

function node(namespace: string, name: string): GraphNode {
  const id = `${namespace}/${name}`;
  return { id, kind: 'workload', namespace, name, memberIds: [id] };
}

const model = assembleModel(
  [node('shop', 'frontend'), node('shop', 'cart'), node('', 'world')],
  [
    makeEdge('shop/frontend', 'shop/cart', { ...emptyMeasures(), flowRate: 5, httpRate: 4, httpErrorRate: 1 }),
    makeEdge('shop/cart', '/world', { ...emptyMeasures(), flowRate: 9, deniedRate: 9 }),
  ],
);

describe('EdgeTable', () => {
  it('lists edges busiest first, with their verdict', () => {
    render(<EdgeTable model={model} maxEdges={10} />);
    const rows = screen.getAllByTestId('edge-row');
    expect(rows.map((row) => within(row).getAllByRole('cell')[0]?.textContent)).toEqual(['shop/cart', 'shop/frontend']);
    expect(rows[0]).toHaveTextContent('world');
    expect(rows[0]).toHaveTextContent('denied');
    expect(rows[1]).toHaveTextContent('25%');
    expect(screen.getByText(/3 nodes in 2 namespaces, 2 edges, 1 with denied flows/)).toBeInTheDocument();
  });

  it('lists at most maxEdges and says so', () => {
    render(<EdgeTable model={model} maxEdges={1} />);
    expect(screen.getAllByTestId('edge-row')).toHaveLength(1);
    expect(screen.getByText(/the 1 busiest listed/)).toBeInTheDocument();
  });

  it('says when there is nothing to list', () => {
    render(<EdgeTable model={assembleModel([], [])} maxEdges={10} />);
    expect(screen.getByText(/No edges/)).toBeInTheDocument();
  });
});
