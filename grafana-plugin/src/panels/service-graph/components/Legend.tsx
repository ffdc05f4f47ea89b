import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';

import type { ColorMode, EdgePalette } from '../../../data/render-plan';

interface LegendProps {
  colorBy: ColorMode;
  palette: EdgePalette;
}

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
export function Legend({ colorBy, palette }: LegendProps) {
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
});
