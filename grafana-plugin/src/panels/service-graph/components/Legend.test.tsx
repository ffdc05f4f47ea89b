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
