import { FieldType, type PanelProps, createDataFrame } from '@grafana/data';
import { render, screen, within } from '@testing-library/react';

import { ServiceGraphPanel } from './ServiceGraphPanel';
import { DEFAULT_OPTIONS, type ServiceGraphOptions } from './types';

function edge(rule: string, source: string, dest: string, value: number) {
  const [sourceNamespace, sourceWorkload] = source.split('/');
  const [destNamespace, destWorkload] = dest.split('/');
  return createDataFrame({
    fields: [
      { name: 'Time', type: FieldType.time, values: [0] },
      {
        name: 'Value',
        type: FieldType.number,
        values: [value],
        labels: {
          __name__: rule,
          source_namespace: sourceNamespace ?? '',
          source_workload: sourceWorkload ?? '',
          dest_namespace: destNamespace ?? '',
          dest_workload: destWorkload ?? '',
        },
      },
    ],
  });
}

const series = [
  edge('edge:flowlens_flows:rate5m', 'shop/frontend', 'shop/cart', 5),
  edge('edge:flowlens_flows:rate5m', 'shop/cart', 'data/redis', 3),
  edge('edge:flowlens_flows:rate5m', 'shop/cart', 'data/db', 2),
  edge('edge:flowlens_flows_denied:rate5m', 'shop/cart', 'data/db', 2),
];

// The panel reads only these of Grafana's panel props.
function renderPanel(options: Partial<ServiceGraphOptions>) {
  const props = { data: { series }, options: { ...DEFAULT_OPTIONS, ...options }, width: 800, height: 400 };
  return render(<ServiceGraphPanel {...(props as unknown as PanelProps<ServiceGraphOptions>)} />);
}

const destinations = () =>
  screen.getAllByTestId('edge-row').map((row) => within(row).getAllByRole('cell')[1]?.textContent);

describe('ServiceGraphPanel', () => {
  it("lists the query's edges", () => {
    renderPanel({});
    expect(destinations()).toEqual(['shop/cart', 'data/redis', 'data/db']);
  });

  it('applies the filter options', () => {
    renderPanel({ onlyDenied: true });
    expect(destinations()).toEqual(['data/db']);
  });

  it('merges the edges of collapsed namespaces', () => {
    renderPanel({ collapsedNamespaces: ['data'] });
    expect(destinations()).toEqual(['data (2 workloads)', 'shop/cart']);
    expect(screen.getByText('partly denied')).toBeInTheDocument();
  });
});
