// The policy flow model's flows as a table, busiest first, with their real workloads (the Sankey's "other"
// merging does not apply): source, policy, tier, action, destination, rate and whether the policy is staged.
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Text, useStyles2, useTheme2 } from '@grafana/ui';

import { type PolicyFlowModel, actionLabel, policyLabel, workloadLabel } from '../../../data/policy-flow';
import { actionColor, formatRate } from './actionStyle';

interface PolicyFlowTableProps {
  model: PolicyFlowModel;
  selectedPolicy: string;
  onPolicyClick: (policyKey: string) => void;
  /** A table of thousands of rows helps nobody and slows the panel: the busiest are listed, the rest counted. */
  maxRows?: number;
}

export const DEFAULT_MAX_ROWS = 500;

export function PolicyFlowTable({
  model,
  selectedPolicy,
  onPolicyClick,
  maxRows = DEFAULT_MAX_ROWS,
}: PolicyFlowTableProps) {
  const theme = useTheme2();
  const styles = useStyles2(getStyles);
  const rows = model.flows.slice(0, maxRows);
  return (
    <div>
      {rows.length < model.flows.length && (
        <Text element="p" color="secondary">{`The ${rows.length} busiest of ${model.flows.length} flows listed`}</Text>
      )}
      <table className={styles.table} data-testid="pf-table">
        <thead>
          <tr>
            <th>Source</th>
            <th>Policy</th>
            <th>Tier</th>
            <th>Action</th>
            <th>Destination</th>
            <th data-align="right">Flows/s</th>
            <th>Enforced/staged</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((flow) => {
            const selected = flow.policy.key === selectedPolicy;
            return (
              <tr key={flow.id} data-testid="pf-row" data-action={flow.action} data-staged={String(flow.policy.staged)}>
                <td>{workloadLabel(flow.source)}</td>
                <td>
                  <button
                    type="button"
                    className={styles.policyButton}
                    aria-pressed={selected}
                    title={selected ? 'Show all policies' : 'Only this policy'}
                    onClick={() => onPolicyClick(flow.policy.key)}
                  >
                    {policyLabel(flow.policy)}
                  </button>
                </td>
                <td>{flow.policy.staged ? '' : flow.policy.tier}</td>
                <td style={{ color: actionColor(theme, flow.action) }}>
                  {actionLabel(flow.action, flow.policy.staged)}
                </td>
                <td>{workloadLabel(flow.dest)}</td>
                <td data-align="right">{formatRate(flow.rate)}</td>
                <td>{flow.policy.staged ? 'staged' : 'enforced'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  table: css({
    width: '100%',
    borderCollapse: 'collapse',
    'th, td': { padding: theme.spacing(0.5, 1), textAlign: 'left', whiteSpace: 'nowrap' },
    th: { color: theme.colors.text.secondary, fontWeight: theme.typography.fontWeightMedium },
    'tbody tr': { borderTop: `1px solid ${theme.colors.border.weak}` },
    '[data-align="right"]': { textAlign: 'right', fontVariantNumeric: 'tabular-nums' },
  }),
  policyButton: css({
    background: 'none',
    border: 'none',
    padding: 0,
    color: theme.colors.text.link,
    cursor: 'pointer',
    font: 'inherit',
    '&[aria-pressed="true"]': { fontWeight: theme.typography.fontWeightBold },
    '&:hover': { textDecoration: 'underline' },
  }),
});
