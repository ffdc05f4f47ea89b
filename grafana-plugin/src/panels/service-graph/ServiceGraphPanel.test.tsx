import { FieldType, type PanelProps, createDataFrame } from '@grafana/data';
import { locationService } from '@grafana/runtime';
import { act, fireEvent, render, screen, within } from '@testing-library/react';

import { ServiceGraphPanel } from './ServiceGraphPanel';
import { DEFAULT_OPTIONS, type ServiceGraphOptions } from './types';

function series(labels: Record<string, string>, value: number, refId = 'A') {
  return createDataFrame({
    refId,
    fields: [
      { name: 'Time', type: FieldType.time, values: [0] },
      { name: 'Value', type: FieldType.number, values: [value], labels },
    ],
  });
}

function edge(rule: string, source: string, dest: string, value: number, extra: Record<string, string> = {}) {
  const [sourceNamespace, sourceWorkload] = source.split('/');
  const [destNamespace, destWorkload] = dest.split('/');
  return series(
    {
      ...(rule === '' ? {} : { __name__: rule }),
      source_namespace: sourceNamespace ?? '',
      source_workload: sourceWorkload ?? '',
      dest_namespace: destNamespace ?? '',
      dest_workload: destWorkload ?? '',
      ...extra,
    },
    value,
    rule === '' ? 'ports' : 'flows',
  );
}

const flows = 'edge:flowlens_flows:rate5m';
const frames = [
  edge(flows, 'shop/frontend', 'shop/cart', 5),
  edge(flows, 'shop/cart', 'shop/frontend', 1),
  edge(flows, 'shop/cart', 'data/redis', 3),
  edge(flows, 'shop/cart', 'data/db', 2),
  edge('edge:flowlens_flows_denied:rate5m', 'shop/cart', 'data/db', 2),
  edge('', 'shop/cart', 'data/db', 2, { protocol: 'TCP', dest_port: '5432' }),
  edge('', 'shop/cart', 'data/redis', 3, { protocol: 'TCP', dest_port: '6379' }),
  // Every flow of shop/cart → data/redis addressed to the redis service.
  series(
    {
      source_namespace: 'shop',
      source_workload: 'cart',
      dest_namespace: 'data',
      dest_workload: 'redis',
      dest_service: 'redis',
    },
    3,
    'services',
  ),
];

function renderPanel(options: Partial<ServiceGraphOptions> = {}, onOptionsChange = jest.fn()) {
  const props = {
    data: {
      series: frames,
      request: { targets: [{ refId: 'flows', datasource: { type: 'prometheus', uid: 'prom' } }] },
    },
    options: { ...DEFAULT_OPTIONS, ...options },
    width: 800,
    height: 400,
    onOptionsChange,
    replaceVariables: (text: string) => text,
  };
  return render(<ServiceGraphPanel {...(props as unknown as PanelProps<ServiceGraphOptions>)} />);
}

const root = () => screen.getByTestId('flowlens-service-graph');
const counts = () => [root().getAttribute('data-node-count'), root().getAttribute('data-edge-count')];

beforeEach(() => {
  locationService.replace('/d/test');
});

describe('ServiceGraphPanel', () => {
  it('routes edges through service nodes with Show services, kept in the URL, off by default', () => {
    renderPanel();
    expect(counts()).toEqual(['4', '4']);
    expect(screen.queryByTestId('sg-legend-node-service')).not.toBeInTheDocument();
    expect(screen.getByTestId('sg-legend-node-workload')).toBeInTheDocument();
    fireEvent.click(screen.getByLabelText('Show services'));
    // shop/cart → service:data/redis → data/redis instead of shop/cart → data/redis.
    expect(counts()).toEqual(['5', '5']);
    expect(screen.getByTestId('sg-legend-node-service')).toBeInTheDocument();
    expect(locationService.getSearchObject()['sg-services']).toBe('1');
    fireEvent.click(screen.getByLabelText('Show services'));
    expect(counts()).toEqual(['4', '4']);
  });

  it('starts with services shown when its option says so', () => {
    renderPanel({ showServices: true });
    expect(screen.getByLabelText('Show services')).toBeChecked();
    expect(counts()).toEqual(['5', '5']);
  });

  it('draws the graph and says how much of it', () => {
    renderPanel();
    expect(counts()).toEqual(['4', '4']);
    expect(root()).toHaveTextContent('4 nodes · 4 edges');
    const canvas = screen.getByTestId('sg-canvas');
    expect(canvas.tagName).toBe('CANVAS');
    expect(canvas).toHaveAttribute('width', String(800 * (window.devicePixelRatio || 1)));
  });

  it('has a legend whose swatches have the verdict colors', () => {
    renderPanel();
    for (const verdict of ['allowed', 'denied', 'mixed']) {
      const swatch = within(screen.getByTestId(`sg-legend-${verdict}`)).getByTestId('sg-swatch');
      expect(swatch.style.backgroundColor).not.toBe('');
    }
    fireEvent.change(screen.getByLabelText('Color by'), { target: { value: 'health' } });
    expect(screen.queryByTestId('sg-legend-denied')).not.toBeInTheDocument();
    expect(screen.getByTestId('sg-legend-unhealthy')).toBeInTheDocument();
  });

  it('filters from the toolbar and writes the view into the URL', () => {
    renderPanel();
    fireEvent.click(screen.getByLabelText('Only denied'));
    expect(counts()).toEqual(['2', '1']);
    expect(locationService.getSearchObject()['sg-denied']).toBe('1');
    fireEvent.click(screen.getByLabelText('Only denied'));
    expect(locationService.getSearchObject()['sg-denied']).toBeUndefined();
    fireEvent.change(screen.getByLabelText('Port'), { target: { value: '6379' } });
    expect(counts()).toEqual(['2', '1']);
    fireEvent.change(screen.getByLabelText('Port'), { target: { value: '' } });
    const namespaces = screen.getByLabelText('Namespaces') as HTMLSelectElement;
    expect(Array.from(namespaces.options, (option) => option.value)).toEqual(['data', 'shop']);
    expect(screen.getByLabelText('Protocol')).toHaveTextContent('TCP');
    fireEvent.change(screen.getByLabelText('Search workloads'), { target: { value: 'redis' } });
    expect(counts()).toEqual(['2', '1']);
    expect(locationService.getSearchObject()['sg-search']).toBe('redis');
    expect(screen.getByLabelText('Only unhealthy')).not.toBeChecked();
  });

  it('starts from the view in the URL', () => {
    locationService.replace('/d/test?sg-namespace=data&sg-collapsed=shop&sg-selected=node:data/db');
    renderPanel();
    expect(counts()).toEqual(['3', '2']);
    expect(screen.getByTestId('sg-details-title')).toHaveTextContent('data/db');
  });

  it('selects the first matching node on Enter in the search box, and closes the side panel on Escape', () => {
    renderPanel();
    const search = screen.getByLabelText('Search workloads');
    fireEvent.change(search, { target: { value: 'cart' } });
    fireEvent.keyDown(search, { key: 'Enter' });
    expect(screen.getByTestId('sg-details')).toBeInTheDocument();
    expect(screen.getByTestId('sg-details-title')).toHaveTextContent('shop/cart');
    const view = String(locationService.getSearchObject()['sg-view']).split(',').map(Number);
    expect(view[2]).toBeGreaterThanOrEqual(1);
    expect(screen.getByRole('link', { name: 'Dashboard' })).toHaveAttribute(
      'href',
      expect.stringContaining('/d/flowlens-workload?var-namespace=shop&var-workload=cart'),
    );
    expect(screen.getByRole('link', { name: 'Explore' }).getAttribute('href')).toContain('/explore?');
    fireEvent.keyDown(document, { key: 'Escape' });
    expect(screen.queryByTestId('sg-details')).not.toBeInTheDocument();
  });

  it('selects the node under a click at the canvas centre after a search', () => {
    renderPanel();
    const search = screen.getByLabelText('Search workloads');
    fireEvent.change(search, { target: { value: 'redis' } });
    fireEvent.keyDown(search, { key: 'Enter' });
    fireEvent.click(screen.getByLabelText('Close details'));
    expect(screen.queryByTestId('sg-details')).not.toBeInTheDocument();
    const canvas = screen.getByTestId('sg-canvas');
    // jsdom lays nothing out: the canvas's rectangle starts at 0,0 with the panel's fallback size.
    const centre = { clientX: 800 / 2, clientY: (400 - 80) / 2 };
    fireEvent.mouseDown(canvas, { ...centre, button: 0 });
    fireEvent.mouseUp(canvas, centre);
    expect(screen.getByTestId('sg-details-title')).toHaveTextContent('data/redis');
  });

  it('centres a shared link on its selected node, whatever the link’s coordinates', () => {
    locationService.replace('/d/test?sg-selected=node:data/db&sg-view=99999,-99999,2');
    renderPanel();
    fireEvent.click(screen.getByLabelText('Close details'));
    const canvas = screen.getByTestId('sg-canvas');
    const centre = { clientX: 800 / 2, clientY: (400 - 80) / 2 };
    fireEvent.mouseDown(canvas, { ...centre, button: 0 });
    fireEvent.mouseUp(canvas, centre);
    expect(screen.getByTestId('sg-details-title')).toHaveTextContent('data/db');
    expect(String(locationService.getSearchObject()['sg-view']).split(',')[2]).toBe('2');
  });

  it('collapses every namespace at namespace level', () => {
    renderPanel();
    fireEvent.change(screen.getByLabelText('Level'), { target: { value: 'namespace' } });
    // shop's traffic within itself is one self-edge, then shop to data.
    expect(counts()).toEqual(['2', '2']);
    expect(locationService.getSearchObject()['sg-level']).toBe('namespace');
  });

  it('follows the color mode option when it is edited', () => {
    const props = (colorBy: 'verdict' | 'health') =>
      ({
        data: { series: frames },
        options: { ...DEFAULT_OPTIONS, colorBy },
        width: 800,
        height: 400,
        onOptionsChange: jest.fn(),
        replaceVariables: (text: string) => text,
      }) as unknown as PanelProps<ServiceGraphOptions>;
    const { rerender } = render(<ServiceGraphPanel {...props('verdict')} />);
    expect(screen.getByLabelText('Color by')).toHaveValue('verdict');
    rerender(<ServiceGraphPanel {...props('health')} />);
    expect(screen.getByLabelText('Color by')).toHaveValue('health');
    expect(screen.getByTestId('sg-legend-unhealthy')).toBeInTheDocument();
  });

  it('collapses and expands a namespace from the side panel', () => {
    renderPanel();
    const search = screen.getByLabelText('Search workloads');
    fireEvent.change(search, { target: { value: 'redis' } });
    fireEvent.keyDown(search, { key: 'Enter' });
    fireEvent.change(search, { target: { value: '' } });
    fireEvent.click(screen.getByRole('button', { name: 'Collapse data' }));
    expect(counts()).toEqual(['3', '3']);
    expect(locationService.getSearchObject()['sg-collapsed']).toBe('data');
  });

  it('applies the filter and collapse options when the URL has no view', () => {
    renderPanel({ collapsedNamespaces: ['data'] });
    expect(counts()).toEqual(['3', '3']);
  });

  it('saves the view in the options and applies a saved view', () => {
    const onOptionsChange = jest.fn();
    renderPanel({ savedViews: [{ name: 'denied', params: 'sg-denied=1' }] }, onOptionsChange);
    fireEvent.change(screen.getByLabelText('Saved view'), { target: { value: 'denied' } });
    expect(counts()).toEqual(['2', '1']);
    fireEvent.change(screen.getByLabelText('View name'), { target: { value: 'mine' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save view' }));
    expect(onOptionsChange).toHaveBeenCalledWith(
      expect.objectContaining({
        savedViews: [
          { name: 'denied', params: 'sg-denied=1' },
          { name: 'mine', params: 'sg-denied=1' },
        ],
      }),
    );
  });

  it('keeps the edge table as a table mode', () => {
    renderPanel();
    act(() => fireEvent.click(screen.getByRole('button', { name: 'Table' })));
    expect(screen.getAllByTestId('edge-row')).toHaveLength(4);
    expect(screen.queryByTestId('sg-canvas')).not.toBeInTheDocument();
  });
});
