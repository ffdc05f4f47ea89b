import { render, screen, within } from '@testing-library/react';

import { Legend } from './Legend';

const palette = {
  allowed: '#73bf69',
  denied: '#f2495c',
  mixed: '#ff9830',
  healthy: '#73bf69',
  warning: '#fade2a',
  unhealthy: '#f2495c',
  unknown: '#808080',
};

describe('Legend', () => {
  it('shows each verdict with a swatch of its edge color', () => {
    render(<Legend colorBy="verdict" palette={palette} />);
    for (const verdict of ['allowed', 'denied', 'mixed'] as const) {
      const swatch = within(screen.getByTestId(`sg-legend-${verdict}`)).getByTestId('sg-swatch');
      expect(swatch).toHaveStyle({ backgroundColor: palette[verdict] });
    }
  });

  it('shows the health colors in health mode', () => {
    render(<Legend colorBy="health" palette={palette} />);
    expect(within(screen.getByTestId('sg-legend-unhealthy')).getByTestId('sg-swatch')).toHaveStyle({
      backgroundColor: palette.unhealthy,
    });
    expect(screen.queryByTestId('sg-legend-allowed')).not.toBeInTheDocument();
  });
});

describe('Legend of node shapes', () => {
  const colors = {
    node: '#111111',
    nodeBorder: '#cccccc',
    namespaceNode: '#222222',
    networkNode: '#000000',
    serviceNode: '#333333',
    text: '#ffffff',
    box: '#181818',
    boxBorder: '#333333',
    selected: '#3d71d9',
  };

  it('gives each kind of node drawn an entry with its own shape', () => {
    render(
      <Legend colorBy="verdict" palette={palette} colors={colors} nodeKinds={['workload', 'network', 'service']} />,
    );
    const shapes = ['workload', 'network', 'service'].map((kind) =>
      within(screen.getByTestId(`sg-legend-node-${kind}`))
        .getByTestId('sg-shape')
        .getAttribute('data-shape'),
    );
    expect(shapes).toEqual(['circle', 'diamond', 'hexagon']);
    expect(within(screen.getByTestId('sg-legend-node-network')).getByTestId('sg-shape')).toHaveStyle({
      backgroundColor: colors.networkNode,
    });
    expect(screen.queryByTestId('sg-legend-node-namespace')).not.toBeInTheDocument();
  });
});
