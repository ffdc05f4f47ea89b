// The policy flow panel: flows from source workloads through the policy that decided them (and the action) to
// destination workloads, as a Sankey or a table. Data shaping is in data/policy-flow.ts and data/sankey.ts; this
// component keeps the viewer's choices (mode, clicked policy) and draws.
import { css } from '@emotion/css';
import type { GrafanaTheme2, PanelProps } from '@grafana/data';
import { RadioButtonGroup, Text, useStyles2, useTheme2 } from '@grafana/ui';
import { useMemo, useState } from 'react';

import {
  type PolicyFlow,
  type PolicyFlowModel,
  framesToPolicyFlows,
  policyFlowView,
  policyLabel,
} from '../../data/policy-flow';
import { STAGED_DASH, actionColor, formatRate } from './components/actionStyle';
import { PolicyFlowSankey } from './components/PolicyFlowSankey';
import { PolicyFlowTable } from './components/PolicyFlowTable';
import type { PolicyFlowMode, PolicyFlowOptions } from './types';

const MODE_OPTIONS: Array<{ label: string; value: PolicyFlowMode }> = [
  { label: 'Sankey', value: 'sankey' },
  { label: 'Table', value: 'table' },
];

// The toolbar is one row of small controls; the rest of the panel's height is the drawing's.
const TOOLBAR_HEIGHT = 32;
// Room for a vertical scrollbar, so a drawing taller than the panel does not need a horizontal one as well.
const SCROLLBAR_ALLOWANCE = 12;

export function PolicyFlowPanel({ data, options, width, height }: PanelProps<PolicyFlowOptions>) {
  const styles = useStyles2(getStyles);
  const flows = useMemo(() => framesToPolicyFlows(data.series), [data.series]);

  // The viewer's mode and clicked policy override the panel options until those options change: the state
  // remembers which option value it was chosen against, so no effect is needed to reset it.
  const [modeChoice, setModeChoice] = useState({ value: options.mode, against: options.mode });
  const mode = modeChoice.against === options.mode ? modeChoice.value : options.mode;
  const [policyChoice, setPolicyChoice] = useState({ value: options.policyFilter, against: options.policyFilter });
  const policyFilter = policyChoice.against === options.policyFilter ? policyChoice.value : options.policyFilter;
  const choosePolicy = (value: string) => setPolicyChoice({ value, against: options.policyFilter });
  // Clicking the policy the view is filtered to shows every policy again.
  const togglePolicy = (key: string) => choosePolicy(key === policyFilter ? '' : key);

  const model = useMemo(
    () =>
      policyFlowView(
        flows,
        {
          policy: policyFilter,
          namespaces: options.namespaces ?? [],
          search: options.search ?? '',
          showStaged: options.showStaged,
        },
        { topN: options.topN, topPolicies: options.topPolicies },
      ),
    [flows, policyFilter, options.namespaces, options.search, options.showStaged, options.topN, options.topPolicies],
  );

  const contentHeight = Math.max(0, height - TOOLBAR_HEIGHT);
  return (
    <div
      data-testid="flowlens-policy-flow"
      data-link-count={model.links.length}
      data-policy-count={model.policyCount}
      data-mode={mode}
      className={styles.root}
      style={{ width, height }}
    >
      <div className={styles.toolbar}>
        <RadioButtonGroup
          size="sm"
          options={MODE_OPTIONS}
          value={mode}
          onChange={(value) => setModeChoice({ value, against: options.mode })}
          aria-label="Policy flow view"
        />
        {policyFilter !== '' && (
          <PolicyFilterChip filter={policyFilter} flows={flows} onClear={() => choosePolicy('')} />
        )}
        <Summary model={model} />
        {mode === 'sankey' && <Legend />}
      </div>
      <div className={styles.content} style={{ height: contentHeight }}>
        {model.flows.length === 0 ? (
          <Text color="secondary">
            {flows.length === 0
              ? 'No policy flows: the queries returned no flowlens_flows_total or staged policy series.'
              : 'No policy flows match the filters.'}
          </Text>
        ) : mode === 'table' ? (
          <PolicyFlowTable model={model} selectedPolicy={policyFilter} onPolicyClick={togglePolicy} />
        ) : (
          <PolicyFlowSankey
            model={model}
            width={Math.max(0, width - SCROLLBAR_ALLOWANCE)}
            height={contentHeight}
            selectedPolicy={policyFilter}
            onPolicyClick={togglePolicy}
          />
        )}
      </div>
    </div>
  );
}

interface PolicyFilterChipProps {
  filter: string;
  flows: PolicyFlow[];
  onClear: () => void;
}

/** The policy the view is narrowed to, by its label when a flow names it, else as typed in the options. */
function PolicyFilterChip({ filter, flows, onClear }: PolicyFilterChipProps) {
  const styles = useStyles2(getStyles);
  const policy = flows.find((flow) => flow.policy.key === filter)?.policy;
  return (
    <span data-testid="pf-policy-filter" className={styles.chip}>
      <span>Policy: {policy ? policyLabel(policy) : filter}</span>
      {/* A plain button: Grafana's icons load their SVG asynchronously, which a text cross does not need. */}
      <button type="button" className={styles.clear} aria-label="Clear policy filter" onClick={onClear}>
        ×
      </button>
    </span>
  );
}

function Summary({ model }: { model: PolicyFlowModel }) {
  const staged = model.stagedRate > 0 ? `, ${formatRate(model.stagedRate)} staged` : '';
  const flows = model.flows.length === 1 ? '1 flow' : `${model.flows.length} flows`;
  const policies = model.policyCount === 1 ? '1 policy node' : `${model.policyCount} policy nodes`;
  return (
    <Text color="secondary" variant="bodySmall" truncate>
      {`${flows}, ${policies}: ${formatRate(model.enforcedRate)} enforced${staged}`}
    </Text>
  );
}

function Legend() {
  const theme = useTheme2();
  const styles = useStyles2(getStyles);
  const entries: Array<{ label: string; color: string; dash?: string }> = [
    { label: 'allow', color: actionColor(theme, 'allow') },
    { label: 'deny', color: actionColor(theme, 'deny') },
    { label: 'pass, other', color: actionColor(theme, 'pass') },
    { label: 'staged (would …)', color: theme.colors.text.secondary, dash: STAGED_DASH },
  ];
  return (
    <span className={styles.legend} aria-label="Legend">
      {entries.map((entry) => (
        <span key={entry.label} className={styles.legendEntry}>
          <svg width={18} height={8} aria-hidden>
            <line x1={0} y1={4} x2={18} y2={4} stroke={entry.color} strokeWidth={4} strokeDasharray={entry.dash} />
          </svg>
          <Text variant="bodySmall" color="secondary">
            {entry.label}
          </Text>
        </span>
      ))}
    </span>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  root: css({ display: 'flex', flexDirection: 'column', overflow: 'hidden' }),
  toolbar: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    height: TOOLBAR_HEIGHT,
    flex: 'none',
    overflow: 'hidden',
    whiteSpace: 'nowrap',
  }),
  // The drawing is as wide as the panel: only a column too full to fit makes it taller, and scroll.
  content: css({ overflowX: 'hidden', overflowY: 'auto', flex: 'none' }),
  chip: css({
    display: 'inline-flex',
    alignItems: 'center',
    gap: theme.spacing(0.5),
    padding: theme.spacing(0, 0.5, 0, 1),
    borderRadius: theme.shape.radius.pill,
    background: theme.colors.background.secondary,
    border: `1px solid ${theme.colors.border.medium}`,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  clear: css({
    background: 'none',
    border: 'none',
    padding: theme.spacing(0, 0.5),
    color: theme.colors.text.secondary,
    cursor: 'pointer',
    fontSize: theme.typography.body.fontSize,
    lineHeight: 1,
    '&:hover': { color: theme.colors.text.primary },
  }),
  legend: css({ display: 'inline-flex', gap: theme.spacing(1.5), marginLeft: 'auto' }),
  legendEntry: css({ display: 'inline-flex', alignItems: 'center', gap: theme.spacing(0.5) }),
});
