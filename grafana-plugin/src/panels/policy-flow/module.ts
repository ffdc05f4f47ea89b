import { PanelPlugin } from '@grafana/data';

import { PolicyFlowPanel } from './PolicyFlowPanel';

export const plugin = new PanelPlugin(PolicyFlowPanel);
