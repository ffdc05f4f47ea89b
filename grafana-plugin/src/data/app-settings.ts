// The app's settings as the pages use them: what the provisioning or the Configuration page saved in `jsonData`,
// with a default for every field left out, and the request that saves them.
import type { FlowlensAppSettings } from '../constants';

export interface ResolvedAppSettings {
  /** Undefined: the pages use the default Prometheus data source. */
  datasourceUid: string | undefined;
  /** Undefined: the pages open on all namespaces. */
  defaultNamespace: string | undefined;
  onlyDenied: boolean;
  showIdle: boolean;
}

export const DEFAULT_APP_SETTINGS: ResolvedAppSettings = {
  datasourceUid: undefined,
  defaultNamespace: undefined,
  onlyDenied: false,
  showIdle: false,
};

/** Blank strings count as unset: a cleared text field saves "". */
function nonBlank(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Reads `jsonData` defensively: it is whatever a provisioning file or an older version of the app saved. */
export function resolveAppSettings(jsonData: FlowlensAppSettings | undefined): ResolvedAppSettings {
  return {
    datasourceUid: nonBlank(jsonData?.datasourceUid),
    defaultNamespace: nonBlank(jsonData?.defaultNamespace),
    onlyDenied: typeof jsonData?.onlyDenied === 'boolean' ? jsonData.onlyDenied : DEFAULT_APP_SETTINGS.onlyDenied,
    showIdle: typeof jsonData?.showIdle === 'boolean' ? jsonData.showIdle : DEFAULT_APP_SETTINGS.showIdle,
  };
}

/** The body of `POST /api/plugins/<id>/settings`, as create-plugin's AppConfig sends it. */
export interface PluginSettingsUpdate {
  enabled: boolean;
  pinned: boolean;
  jsonData: FlowlensAppSettings;
}

/**
 * The settings to save: the existing `jsonData` (keys this version does not know survive) with the edited fields;
 * unset fields are left out rather than saved blank.
 */
export function settingsUpdate(
  current: { enabled?: boolean; pinned?: boolean; jsonData?: FlowlensAppSettings },
  edited: ResolvedAppSettings,
): PluginSettingsUpdate {
  const jsonData: FlowlensAppSettings = { ...current.jsonData };
  delete jsonData.datasourceUid;
  delete jsonData.defaultNamespace;
  const datasourceUid = nonBlank(edited.datasourceUid);
  const defaultNamespace = nonBlank(edited.defaultNamespace);
  if (datasourceUid !== undefined) jsonData.datasourceUid = datasourceUid;
  if (defaultNamespace !== undefined) jsonData.defaultNamespace = defaultNamespace;
  jsonData.onlyDenied = edited.onlyDenied;
  jsonData.showIdle = edited.showIdle;
  return { enabled: current.enabled ?? true, pinned: current.pinned ?? true, jsonData };
}

/** What the pages need to know of a data source to pick one. */
export interface DataSourceChoice {
  uid: string;
  type: string;
  isDefault?: boolean;
}

/**
 * The data source the pages use when the settings name none: Grafana's default data source if it is a Prometheus,
 * else the first Prometheus; undefined when there is none.
 */
export function defaultPrometheusUid(dataSources: DataSourceChoice[]): string | undefined {
  const prometheus = dataSources.filter((dataSource) => dataSource.type === 'prometheus');
  return (prometheus.find((dataSource) => dataSource.isDefault) ?? prometheus[0])?.uid;
}
