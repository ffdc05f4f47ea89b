// The graph's colors, from the Grafana theme: edges by verdict or health with the theme's visualization palette
// (the same hex values in the canvas and in the legend's swatches), nodes and boxes with its surface colors.
import type { GrafanaTheme2 } from '@grafana/data';

import type { EdgePalette } from '../../../data/render-plan';
import type { GraphColors } from './draw';

export function edgePalette(theme: GrafanaTheme2): EdgePalette {
  const named = (name: string) => theme.visualization.getColorByName(name);
  return {
    allowed: named('green'),
    denied: named('red'),
    mixed: named('orange'),
    healthy: named('green'),
    warning: named('yellow'),
    unhealthy: named('red'),
    unknown: named('gray'),
  };
}

export function graphColors(theme: GrafanaTheme2): GraphColors {
  return {
    node: theme.colors.background.primary,
    nodeBorder: theme.colors.text.secondary,
    namespaceNode: theme.colors.background.secondary,
    networkNode: theme.colors.background.canvas,
    serviceNode: theme.colors.background.secondary,
    text: theme.colors.text.primary,
    box: theme.colors.background.secondary,
    boxBorder: theme.colors.border.medium,
    selected: theme.colors.primary.main,
  };
}
