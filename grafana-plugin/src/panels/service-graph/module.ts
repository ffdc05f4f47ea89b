import { PanelPlugin, type StandardEditorProps } from '@grafana/data';

import { ServiceGraphPanel } from './ServiceGraphPanel';
import { DEFAULT_OPTIONS, type SavedView, type ServiceGraphOptions } from './types';

/** Saved views are made in the panel; the editor only lists them (deleting is the panel's picker's). */
function SavedViewsEditor({ value }: StandardEditorProps<SavedView[]>) {
  const names = (value ?? []).map((view) => view.name);
  return names.length === 0 ? 'None: save one from the panel.' : names.join(', ');
}

export const plugin = new PanelPlugin<ServiceGraphOptions>(ServiceGraphPanel).setPanelOptions((builder) =>
  builder
    .addTextInput({
      path: 'search',
      name: 'Search',
      description: 'Only edges with an end whose workload or namespace contains this text',
      defaultValue: DEFAULT_OPTIONS.search,
      category: ['Filters'],
    })
    .addBooleanSwitch({
      path: 'onlyDenied',
      name: 'Only denied',
      description: 'Only edges with denied flows',
      defaultValue: DEFAULT_OPTIONS.onlyDenied,
      category: ['Filters'],
    })
    .addBooleanSwitch({
      path: 'onlyUnhealthy',
      name: 'Only unhealthy',
      description: 'Only edges over the error ratio or p99 threshold',
      defaultValue: DEFAULT_OPTIONS.onlyUnhealthy,
      category: ['Filters'],
    })
    .addBooleanSwitch({
      path: 'showIdle',
      name: 'Show idle edges',
      description: 'Edges whose rates are all zero',
      defaultValue: DEFAULT_OPTIONS.showIdle,
      category: ['Filters'],
    })
    .addBooleanSwitch({
      path: 'showServices',
      name: 'Show services',
      description:
        'Route workload edges through a node per Kubernetes service the flows were addressed to (dest_service)',
      defaultValue: DEFAULT_OPTIONS.showServices,
    })
    .addNumberInput({
      path: 'errorRatioThreshold',
      name: 'Error ratio threshold',
      description: 'HTTP 5xx answers over requests above which an edge is unhealthy (0.05 is 5 %)',
      defaultValue: DEFAULT_OPTIONS.errorRatioThreshold,
      settings: { min: 0, max: 1, step: 0.01 },
      category: ['Health'],
    })
    .addNumberInput({
      path: 'p99ThresholdSeconds',
      name: 'p99 threshold (seconds)',
      description: 'HTTP p99 latency above which an edge is unhealthy',
      defaultValue: DEFAULT_OPTIONS.p99ThresholdSeconds,
      settings: { min: 0, step: 0.05 },
      category: ['Health'],
    })
    .addStringArray({
      path: 'collapsedNamespaces',
      name: 'Collapsed namespaces',
      description: 'Each shown as one node, its edges merged',
      defaultValue: DEFAULT_OPTIONS.collapsedNamespaces,
    })
    .addRadio({
      path: 'colorBy',
      name: 'Color edges by',
      description: 'Policy verdict (allowed, denied, mixed) or HTTP health against the thresholds',
      defaultValue: DEFAULT_OPTIONS.colorBy,
      settings: {
        options: [
          { value: 'verdict', label: 'Verdict' },
          { value: 'health', label: 'Health' },
        ],
      },
    })
    .addBooleanSwitch({
      path: 'animate',
      name: 'Animate traffic',
      description: 'Dashes moving along the edges in the direction of traffic',
      defaultValue: DEFAULT_OPTIONS.animate,
    })
    .addCustomEditor({
      id: 'savedViews',
      path: 'savedViews',
      name: 'Saved views',
      description: 'Named views saved from the panel (filters, level, collapsed namespaces, zoom)',
      defaultValue: DEFAULT_OPTIONS.savedViews,
      editor: SavedViewsEditor,
    })
    .addNumberInput({
      path: 'maxEdges',
      name: 'Edges listed',
      description: 'In table mode, the busiest edges first',
      defaultValue: DEFAULT_OPTIONS.maxEdges,
      settings: { min: 1, integer: true },
    }),
);
