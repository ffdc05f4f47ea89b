// How an action looks, shared by the Sankey and the table: allow green, deny red, anything else (pass, log,
// unknown) blue, from the theme's visualization palette so both light and dark themes read the same.
import { type GrafanaTheme2, formattedValueToString, getValueFormat } from '@grafana/data';

export function actionColor(theme: GrafanaTheme2, action: string): string {
  switch (action) {
    case 'allow':
      return theme.visualization.getColorByName('green');
    case 'deny':
      return theme.visualization.getColorByName('red');
    default:
      return theme.visualization.getColorByName('blue');
  }
}

/** Staged links are dashed: the flows are real, the policy's verdict is not enforced yet. */
export const STAGED_DASH = '6 4';

export function formatRate(rate: number): string {
  return `${formattedValueToString(getValueFormat('short')(rate))} flows/s`;
}
