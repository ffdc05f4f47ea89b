import { FieldType, type PanelProps, createDataFrame, createTheme } from '@grafana/data';
import { fireEvent, render, screen, within } from '@testing-library/react';

import { PolicyFlowPanel } from './PolicyFlowPanel';
import { DEFAULT_OPTIONS, type PolicyFlowOptions } from './types';

function flow(refId: string, source: string, dest: string, labels: Record<string, string>, value: number) {
  const [sourceNamespace, sourceWorkload] = source.split('/');
  const [destNamespace, destWorkload] = dest.split('/');
  return createDataFrame({
    refId,
    fields: [
      { name: 'Time', type: FieldType.time, values: [0] },
      {
        name: 'Value',
        type: FieldType.number,
        values: [value],
        labels: {
          source_namespace: sourceNamespace ?? '',
          source_workload: sourceWorkload ?? '',
          dest_namespace: destNamespace ?? '',
          dest_workload: destWorkload ?? '',
          ...labels,
        },
      },
    ],
  });
}

const series = [
  flow(
    'enforced',
    'shop/frontend',
    'shop/cart',
    { policy_tier: 'default', policy: 'shop/allow-web', action: 'allow' },
    10,
  ),
  flow(
    'enforced',
    'shop/cart',
    'data/redis',
    { policy_tier: 'default', policy: 'data/allow-cart', action: 'allow' },
    4,
  ),
  flow('enforced', 'shop/frontend', 'data/db', { policy_tier: 'security', policy: 'deny-data', action: 'deny' }, 2),
  flow('staged', 'shop/cart', 'data/redis', { policy: 'data/lockdown', action: 'deny' }, 4),
];

// The panel reads only these of Grafana's panel props.
function renderPanel(options: Partial<PolicyFlowOptions> = {}, frames = series) {
  const props = {
    data: { series: frames },
    options: { ...DEFAULT_OPTIONS, ...options },
    width: 900,
    height: 400,
  };
  return render(<PolicyFlowPanel {...(props as unknown as PanelProps<PolicyFlowOptions>)} />);
}

const root = () => screen.getByTestId('flowlens-policy-flow');
const links = () => screen.queryAllByTestId('pf-link');
const policyNodes = () => screen.getAllByTestId('pf-node').filter((node) => node.dataset.kind === 'policy');
const policyNode = (id: string) => {
  const node = policyNodes().find((candidate) => candidate.dataset.id === id);
  if (!node) throw new Error(`no policy node ${id}`);
  return node;
};

describe('PolicyFlowPanel in Sankey mode', () => {
  it('draws source, policy and destination nodes with labels, and links colored by action', () => {
    renderPanel();
    expect(root()).toHaveAttribute('data-link-count', '8');
    expect(root()).toHaveAttribute('data-policy-count', '4');
    expect(links()).toHaveLength(8);
    const nodes = screen.getAllByTestId('pf-node');
    expect(nodes.map((node) => `${node.dataset.kind} ${node.dataset.id}`)).toEqual([
      'source shop/frontend',
      'source shop/cart',
      'policy default/shop/allow-web:allow',
      'policy default/data/allow-cart:allow',
      'policy staged:data/lockdown:deny',
      'policy security/deny-data:deny',
      'dest shop/cart',
      'dest data/redis',
      'dest data/db',
    ]);
    for (const node of nodes) expect(node.querySelector('text')?.textContent).not.toBe('');
    expect(within(policyNode('security/deny-data:deny')).getByText('security/deny-data · deny')).toBeInTheDocument();

    const theme = createTheme();
    const green = theme.visualization.getColorByName('green');
    const red = theme.visualization.getColorByName('red');
    for (const link of links()) {
      expect(link).toHaveAttribute('stroke', link.dataset.action === 'allow' ? green : red);
    }
  });

  it('marks staged links as would-deny, dashed', () => {
    renderPanel();
    const staged = links().filter((link) => link.dataset.staged === 'true');
    expect(staged).toHaveLength(2);
    for (const link of staged) {
      expect(link).toHaveAttribute('data-action', 'deny');
      expect(link).toHaveAttribute('stroke-dasharray');
    }
    expect(links().filter((link) => link.dataset.staged === 'false')).toHaveLength(6);
    expect(screen.getByText('staged data/lockdown · would deny')).toBeInTheDocument();
    expect(staged.map((link) => link.querySelector('title')?.textContent)).toEqual([
      'staged data/lockdown · would deny → data/redis: 4 flows/s',
      'shop/cart → staged data/lockdown · would deny: 4 flows/s',
    ]);
  });

  it('hides staged links when the option says so', () => {
    renderPanel({ showStaged: false });
    expect(links().some((link) => link.dataset.staged === 'true')).toBe(false);
    expect(root()).toHaveAttribute('data-policy-count', '3');
  });

  it('filters to a policy on click, and shows all again on a second click or the clear button', () => {
    renderPanel();
    expect(screen.queryByTestId('pf-policy-filter')).not.toBeInTheDocument();

    fireEvent.click(policyNode('default/data/allow-cart:allow'));
    expect(screen.getByTestId('pf-policy-filter')).toHaveTextContent('data/allow-cart');
    expect(links()).toHaveLength(2);
    expect(root()).toHaveAttribute('data-link-count', '2');
    expect(root()).toHaveAttribute('data-policy-count', '1');
    expect(links().map((link) => link.dataset.action)).toEqual(['allow', 'allow']);

    fireEvent.click(policyNode('default/data/allow-cart:allow'));
    expect(screen.queryByTestId('pf-policy-filter')).not.toBeInTheDocument();
    expect(links()).toHaveLength(8);

    fireEvent.click(policyNode('security/deny-data:deny'));
    expect(links().map((link) => link.dataset.action)).toEqual(['deny', 'deny']);
    fireEvent.click(screen.getByRole('button', { name: 'Clear policy filter' }));
    expect(links()).toHaveLength(8);
  });

  it('fades the links away from a hovered node', () => {
    renderPanel();
    fireEvent.mouseEnter(policyNode('security/deny-data:deny'));
    const faded = links().filter((link) => link.getAttribute('stroke-opacity') === '0.1');
    expect(faded).toHaveLength(6);
    expect(faded.some((link) => link.dataset.action === 'deny' && link.dataset.staged === 'false')).toBe(false);
    fireEvent.mouseLeave(policyNode('security/deny-data:deny'));
    expect(links().filter((link) => link.getAttribute('stroke-opacity') === '0.1')).toHaveLength(0);
  });

  it('filters from the keyboard too; policy nodes are buttons', () => {
    renderPanel();
    expect(screen.getByRole('button', { name: 'security/deny-data · deny: only this policy' })).toBe(
      policyNode('security/deny-data:deny'),
    );
    fireEvent.keyDown(policyNode('security/deny-data:deny'), { key: 'Enter' });
    expect(screen.getByTestId('pf-policy-filter')).toHaveTextContent('deny-data');
  });

  it('starts from the policy filter option, and keeps the clear button when nothing matches', () => {
    renderPanel({ policyFilter: 'no/such-policy' });
    expect(links()).toHaveLength(0);
    expect(screen.getByText('No policy flows match the filters.')).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Clear policy filter' }));
    expect(links()).toHaveLength(8);
  });

  it('says so when the queries returned nothing', () => {
    renderPanel({}, []);
    expect(root()).toHaveAttribute('data-link-count', '0');
    expect(screen.getByText(/No policy flows: the queries returned no/)).toBeInTheDocument();
  });

  it('merges workloads past the top N into "other"', () => {
    renderPanel({ topN: 1 });
    const sources = screen.getAllByTestId('pf-node').filter((node) => node.dataset.kind === 'source');
    expect(sources.map((node) => node.dataset.id)).toEqual(['shop/frontend', 'shop/cart']);
    const dests = screen.getAllByTestId('pf-node').filter((node) => node.dataset.kind === 'dest');
    expect(dests.map((node) => node.dataset.id)).toEqual(['shop/cart', '__other__']);
    expect(within(dests[1] as HTMLElement).getByText('other (2 workloads)')).toBeInTheDocument();
  });

  it('merges policies past the limit into "other" nodes that do not filter', () => {
    const allowDb = { policy_tier: 'default', policy: 'data/allow-db', action: 'allow' };
    renderPanel({ topPolicies: 1 }, [...series, flow('enforced', 'shop/cart', 'data/db', allowDb, 1)]);
    expect(policyNodes().map((node) => node.dataset.id)).toEqual([
      'default/shop/allow-web:allow',
      'staged:data/lockdown:deny',
      'security/deny-data:deny',
      '__other__:allow',
    ]);
    expect(policyNodes().map((node) => node.getAttribute('role'))).toEqual(['button', 'button', 'button', null]);
    fireEvent.click(policyNode('__other__:allow'));
    expect(screen.queryByTestId('pf-policy-filter')).not.toBeInTheDocument();
    // shop/cart's links to its two merged policies are one link now.
    expect(links()).toHaveLength(9);
  });
});

describe('PolicyFlowPanel in table mode', () => {
  const rows = () => screen.getAllByTestId('pf-row');
  const cells = (row: HTMLElement) =>
    within(row)
      .getAllByRole('cell')
      .map((cell) => cell.textContent);

  it('switches with the toggle and lists every flow, busiest first, staged ones marked', () => {
    renderPanel();
    fireEvent.click(screen.getByRole('radio', { name: 'Table' }));
    expect(root()).toHaveAttribute('data-mode', 'table');
    expect(screen.getByTestId('pf-table')).toBeInTheDocument();
    expect(screen.queryAllByTestId('pf-link')).toHaveLength(0);
    expect(rows().map(cells)).toEqual([
      ['shop/frontend', 'default/shop/allow-web', 'default', 'allow', 'shop/cart', '10 flows/s', 'enforced'],
      ['shop/cart', 'default/data/allow-cart', 'default', 'allow', 'data/redis', '4 flows/s', 'enforced'],
      ['shop/cart', 'staged data/lockdown', '', 'would deny', 'data/redis', '4 flows/s', 'staged'],
      ['shop/frontend', 'security/deny-data', 'security', 'deny', 'data/db', '2 flows/s', 'enforced'],
    ]);
    fireEvent.click(screen.getByRole('radio', { name: 'Sankey' }));
    expect(screen.queryByTestId('pf-table')).not.toBeInTheDocument();
    expect(links()).toHaveLength(8);
  });

  it("opens in the mode the options say; clicking a row's policy filters to it", () => {
    renderPanel({ mode: 'table' });
    fireEvent.click(screen.getByRole('button', { name: 'staged data/lockdown' }));
    expect(screen.getByTestId('pf-policy-filter')).toHaveTextContent('data/lockdown');
    expect(rows().map((row) => row.dataset.staged)).toEqual(['true']);
    fireEvent.click(screen.getByRole('button', { name: 'staged data/lockdown' }));
    expect(rows()).toHaveLength(4);
  });
});
