// What Grafana passes the app's pages, for tests.
import { type AppPluginMeta, type AppRootProps, PluginType } from '@grafana/data';

import { PLUGIN_BASE_URL, PLUGIN_ID, type FlowlensAppSettings } from '../constants';

export function appMeta(
  jsonData: FlowlensAppSettings,
  state: { enabled?: boolean; pinned?: boolean; secureJsonFields?: Record<string, boolean> } = {},
): AppPluginMeta<FlowlensAppSettings> {
  return {
    id: PLUGIN_ID,
    name: 'Flowlens',
    type: PluginType.app,
    module: '',
    baseUrl: '',
    info: {
      author: { name: 'Flowlens' },
      description: '',
      links: [],
      logos: { small: '', large: '' },
      screenshots: [],
      updated: '',
      version: '',
    },
    jsonData,
    ...state,
  };
}

export function appRootProps(jsonData: FlowlensAppSettings): AppRootProps<FlowlensAppSettings> {
  return {
    basename: PLUGIN_BASE_URL,
    query: {},
    path: PLUGIN_BASE_URL,
    onNavChanged: () => undefined,
    meta: appMeta(jsonData),
  };
}
