import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';
import type React from 'react';

import type { NodeKind } from '../../../data/model';
import { type ColorMode, type EdgePalette, NODE_SHAPES, type NodeShape } from '../../../data/render-plan';
import type { GraphColors } from './draw';

interface LegendProps {
  colorBy: ColorMode;
  palette: EdgePalette;
  /** The kinds of node drawn, each given an entry with its shape; none without `colors`. */
  nodeKinds?: readonly NodeKind[];
  colors?: GraphColors;
}

const NODE_ENTRIES: Array<[kind: NodeKind, label: string, fill: keyof GraphColors]> = [
  ['workload', 'workload', 'node'],
  ['pod', 'pod', 'node'],
  ['service', 'service', 'serviceNode'],
  ['network', 'network (outside the cluster)', 'networkNode'],
  ['namespace', 'collapsed namespace', 'namespaceNode'],
];

const SHAPE_STYLES: Record<NodeShape, React.CSSProperties> = {
  circle: { borderRadius: '50%' },
  square: {},
  diamond: { transform: 'rotate(45deg) scale(0.8)' },
  hexagon: { clipPath: 'polygon(25% 0, 75% 0, 100% 50%, 75% 100%, 25% 100%, 0 50%)' },
};

type LegendEntry = [key: keyof EdgePalette, label: string];

const ENTRIES: Record<ColorMode, LegendEntry[]> = {
  verdict: [
    ['allowed', 'allowed'],
    ['denied', 'denied'],
    ['mixed', 'partly denied'],
  ],
  health: [
    ['healthy', 'healthy'],
    ['warning', 'over half a threshold'],
    ['unhealthy', 'unhealthy'],
    ['unknown', 'no HTTP'],
  ],
};

/** What the edge colors mean; each swatch has exactly the color the canvas strokes those edges with. */
export function Legend({ colorBy, palette, nodeKinds = [], colors }: LegendProps) {
  const styles = useStyles2(getStyles);
  return (
    <ul className={styles.legend} aria-label="Legend">
      {ENTRIES[colorBy].map(([key, label]) => (
        <li key={key} data-testid={`sg-legend-${key}`} className={styles.entry}>
          <span data-testid="sg-swatch" className={styles.swatch} style={{ backgroundColor: palette[key] }} />
          {label}
        </li>
      ))}
      <li className={styles.entry}>width: flows/s</li>
      {colors &&
        NODE_ENTRIES.filter(([kind]) => nodeKinds.includes(kind)).map(([kind, label, fill]) => (
          <li key={kind} data-testid={`sg-legend-node-${kind}`} className={styles.entry}>
            <span
              data-testid="sg-shape"
              data-shape={NODE_SHAPES[kind]}
              className={styles.shape}
              style={{
                backgroundColor: colors[fill],
                // The hexagon's clip path would cut its border: its outline is the border color itself.
                ...(NODE_SHAPES[kind] === 'hexagon' ? { backgroundColor: colors.nodeBorder } : {}),
                ...SHAPE_STYLES[NODE_SHAPES[kind]],
              }}
            />
            {label}
          </li>
        ))}
    </ul>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  legend: css({
    position: 'absolute',
    left: theme.spacing(1),
    bottom: theme.spacing(1),
    display: 'flex',
    gap: theme.spacing(1.5),
    margin: 0,
    padding: theme.spacing(0.5, 1),
    listStyle: 'none',
    background: theme.colors.background.primary,
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
    fontSize: theme.typography.bodySmall.fontSize,
    pointerEvents: 'none',
  }),
  entry: css({ display: 'flex', alignItems: 'center', gap: theme.spacing(0.5) }),
  swatch: css({ display: 'inline-block', width: 16, height: 4, borderRadius: 1 }),
  shape: css({
    display: 'inline-block',
    width: 10,
    height: 10,
    border: `1px solid ${theme.colors.text.secondary}`,
    boxSizing: 'border-box',
  }),
});
