import { PanelPlugin } from '@grafana/data';

import { PolicyFlowPanel } from './PolicyFlowPanel';
import { DEFAULT_OPTIONS, type PolicyFlowMode, type PolicyFlowOptions } from './types';

const MODES: Array<{ value: PolicyFlowMode; label: string }> = [
  { value: 'sankey', label: 'Sankey' },
  { value: 'table', label: 'Table' },
];

export const plugin = new PanelPlugin<PolicyFlowOptions>(PolicyFlowPanel).setPanelOptions((builder) =>
  builder
    .addRadio({
      path: 'mode',
      name: 'Mode',
      description: 'What the panel shows first; viewers can switch',
      defaultValue: DEFAULT_OPTIONS.mode,
      settings: { options: MODES },
    })
    .addNumberInput({
      path: 'topN',
      name: 'Workloads per column',
      description: 'The busiest sources and destinations keep a node each; the rest merge into "other" (0: all)',
      defaultValue: DEFAULT_OPTIONS.topN,
      settings: { min: 0, integer: true },
    })
    .addNumberInput({
      path: 'topPolicies',
      name: 'Policies',
      description: 'The busiest policies (with their action) keep a node each; the rest merge into "other" (0: all)',
      defaultValue: DEFAULT_OPTIONS.topPolicies,
      settings: { min: 0, integer: true },
    })
    .addBooleanSwitch({
      path: 'showStaged',
      name: 'Show staged policies',
      description: 'What staged policies would do, as dashed would-allow and would-deny links',
      defaultValue: DEFAULT_OPTIONS.showStaged,
    })
    .addTextInput({
      path: 'policyFilter',
      name: 'Policy',
      description: 'Only flows through this policy: <tier>/<policy>, or a policy name in any tier',
      defaultValue: DEFAULT_OPTIONS.policyFilter,
      category: ['Filters'],
    })
    .addStringArray({
      path: 'namespaces',
      name: 'Namespaces',
      description: 'Only flows with an end in one of these namespaces',
      defaultValue: DEFAULT_OPTIONS.namespaces,
      category: ['Filters'],
    })
    .addTextInput({
      path: 'search',
      name: 'Search',
      description: 'Only flows whose source, destination, policy, tier or action contains this text',
      defaultValue: DEFAULT_OPTIONS.search,
      category: ['Filters'],
    }),
);
