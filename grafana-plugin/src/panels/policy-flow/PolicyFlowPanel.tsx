// Registered so that the app's nested panels are in place; the Sankey view and its table mode are still to come
// (grafana-plugin/README.md). It says so rather than drawing something that looks finished.
import type { PanelProps } from '@grafana/data';
import { Text } from '@grafana/ui';

export function PolicyFlowPanel({ width, height }: PanelProps) {
  return (
    <div style={{ width, height }}>
      <Text color="secondary">The policy flow view is not implemented yet.</Text>
    </div>
  );
}
