import { fireEvent, render, screen, within } from '@testing-library/react';

import { detailsOf } from '../../../data/details';
import { type GraphNode, assembleModel, emptyMeasures, makeEdge } from '../../../data/model';
import { routeThroughServices } from '../../../data/services';
import { DetailsPanel } from './DetailsPanel';

function node(id: string): GraphNode {
  const [namespace = '', name = ''] = id.split('/');
  return { id, kind: 'workload', namespace, name, memberIds: [id] };
}
const model = assembleModel(
  [
    { ...node('shop/cart'), dns: { requestRate: 3, nxdomainRate: 1, servfailRate: 0, p99Seconds: undefined } },
    node('data/db'),
  ],
  [
    makeEdge('shop/cart', 'data/db', { ...emptyMeasures(), flowRate: 4, deniedRate: 4 }, undefined, {
      policies: [{ tier: 'security', policy: 'deny-db', action: 'deny', flowRate: 4 }],
      ports: [{ protocol: 'TCP', port: '5432', flowRate: 4 }],
    }),
  ],
);

function renderDetails(id: string, kind: 'node' | 'edge' = 'node') {
  const details = detailsOf(model, { kind, id });
  if (!details) throw new Error('no details');
  const handlers = { onClose: jest.fn(), onSelect: jest.fn(), onFilterTo: jest.fn(), onToggleNamespace: jest.fn() };
  render(<DetailsPanel details={details} exploreUrl={(queries) => `/explore?n=${queries.length}`} {...handlers} />);
  return handlers;
}

describe('DetailsPanel', () => {
  it("shows a node's traffic, denied flows, deciding policies, DNS and links", () => {
    const { onSelect, onFilterTo, onToggleNamespace } = renderDetails('shop/cart');
    expect(screen.getByTestId('sg-details-title')).toHaveTextContent('shop/cart');
    expect(screen.getByText('Denied flows')).toBeInTheDocument();
    expect(screen.getByText('security/deny-db · deny')).toBeInTheDocument();
    expect(screen.getByText('Queries/s').nextSibling).toHaveTextContent('3');
    expect(screen.getByRole('link', { name: 'Dashboard' })).toHaveAttribute(
      'href',
      '/d/flowlens-workload?var-namespace=shop&var-workload=cart',
    );
    expect(screen.getByRole('link', { name: 'Explore' })).toHaveAttribute('href', '/explore?n=4');
    fireEvent.click(screen.getByRole('button', { name: 'to data/db' }));
    expect(onSelect).toHaveBeenCalledWith({ kind: 'edge', id: 'shop/cart->data/db' });
    fireEvent.click(screen.getByRole('button', { name: 'Show only its edges' }));
    expect(onFilterTo).toHaveBeenCalledWith('shop/cart');
    fireEvent.click(screen.getByRole('button', { name: 'Collapse shop' }));
    expect(onToggleNamespace).toHaveBeenCalledWith('shop');
  });

  it("shows an edge's ports, and closes on Escape and on its close button", () => {
    const { onClose } = renderDetails('shop/cart->data/db', 'edge');
    expect(screen.getByTestId('sg-details-title')).toHaveTextContent('shop/cart → data/db');
    expect(screen.getByText('TCP 5432')).toBeInTheDocument();
    const grafanaShortcut = jest.fn();
    document.addEventListener('keydown', grafanaShortcut);
    fireEvent.keyDown(document, { key: 'Escape' });
    document.removeEventListener('keydown', grafanaShortcut);
    expect(grafanaShortcut).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole('button', { name: 'Close details' }));
    expect(onClose).toHaveBeenCalledTimes(2);
  });
});

describe('DetailsPanel of a service node', () => {
  it('lists its clients and backends, each selecting the edge', () => {
    const routed = routeThroughServices(
      assembleModel(
        [node('shop/frontend'), node('shop/cart')],
        [
          makeEdge('shop/frontend', 'shop/cart', { ...emptyMeasures(), flowRate: 6 }, undefined, {
            services: [{ service: 'cart', flowRate: 6 }],
          }),
        ],
      ),
    );
    const details = detailsOf(routed, { kind: 'node', id: 'service:shop/cart' });
    if (!details) throw new Error('no details');
    const onSelect = jest.fn();
    render(
      <DetailsPanel
        details={details}
        exploreUrl={undefined}
        onClose={jest.fn()}
        onSelect={onSelect}
        onFilterTo={jest.fn()}
        onToggleNamespace={jest.fn()}
      />,
    );
    expect(screen.getByText('Kubernetes service')).toBeInTheDocument();
    fireEvent.click(within(screen.getByTestId('sg-details-clients')).getByRole('button', { name: 'shop/frontend' }));
    expect(onSelect).toHaveBeenLastCalledWith({ kind: 'edge', id: 'shop/frontend->service:shop/cart' });
    fireEvent.click(within(screen.getByTestId('sg-details-backends')).getByRole('button', { name: 'shop/cart' }));
    expect(onSelect).toHaveBeenLastCalledWith({ kind: 'edge', id: 'service:shop/cart->shop/cart' });
  });
});
