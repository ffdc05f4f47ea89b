// The app's settings as the pages use them: what the provisioning or the Configuration page saved in `jsonData`,
// with a default for every field left out, and the request that saves them.
import type { FlowlensAppSettings, FlowlensSecureSettings } from '../constants';

export interface ResolvedAppSettings {
  /** Undefined: the pages use the default Prometheus data source. */
  datasourceUid: string | undefined;
  /** Undefined: the pages open on all namespaces. */
  defaultNamespace: string | undefined;
  onlyDenied: boolean;
  showIdle: boolean;
  /** Undefined: the Recommendations page says to set it. No trailing slash. */
  exporterUrl: string | undefined;
}

export const DEFAULT_APP_SETTINGS: ResolvedAppSettings = {
  datasourceUid: undefined,
  defaultNamespace: undefined,
  onlyDenied: false,
  showIdle: false,
  exporterUrl: undefined,
};

/** A base URL the proxy can call: http(s), a host, no query or fragment; its trailing slashes dropped. */
export function normalizeExporterUrl(value: unknown): string | undefined {
  const text = nonBlank(value);
  return text === undefined ? undefined : text.replace(/\/+$/, '');
}

/** Why a URL cannot be the exporter's base URL, or undefined when it can. */
export function exporterUrlProblem(value: string | undefined): string | undefined {
  const text = normalizeExporterUrl(value);
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${text}" is not a URL: give the exporter's base URL, e.g. http://flowlens.flowlens.svc:9470`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `"${text}" must start with http:// or https://`;
  }
  if (url.search !== '' || url.hash !== '') return `"${text}": leave out the query and fragment (the base URL only)`;
  return undefined;
}

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
    exporterUrl: normalizeExporterUrl(jsonData?.exporterUrl),
  };
}

/** The body of `POST /api/plugins/<id>/settings`, as create-plugin's AppConfig sends it. */
export interface PluginSettingsUpdate {
  enabled: boolean;
  pinned: boolean;
  jsonData: FlowlensAppSettings;
  /** Only when a secret changes: Grafana overwrites every key sent (an empty string clears it). */
  secureJsonData?: FlowlensSecureSettings;
}

/** The token field as the Configuration page edits it: a new value typed, or the saved one reset. */
export interface TokenEdit {
  /** What was typed (never the saved token, which the browser does not get). */
  value: string;
  /** The saved token was reset (SecretInput's Reset). */
  reset: boolean;
}

/**
 * The settings to save: the existing `jsonData` (keys this version does not know survive) with the edited fields;
 * unset fields are left out rather than saved blank.
 */
export function settingsUpdate(
  current: { enabled?: boolean; pinned?: boolean; jsonData?: FlowlensAppSettings },
  edited: ResolvedAppSettings,
  token: TokenEdit = { value: '', reset: false },
): PluginSettingsUpdate {
  const jsonData: FlowlensAppSettings = { ...current.jsonData };
  delete jsonData.datasourceUid;
  delete jsonData.defaultNamespace;
  delete jsonData.exporterUrl;
  const exporterUrl = normalizeExporterUrl(edited.exporterUrl);
  if (exporterUrl !== undefined) jsonData.exporterUrl = exporterUrl;
  const datasourceUid = nonBlank(edited.datasourceUid);
  const defaultNamespace = nonBlank(edited.defaultNamespace);
  if (datasourceUid !== undefined) jsonData.datasourceUid = datasourceUid;
  if (defaultNamespace !== undefined) jsonData.defaultNamespace = defaultNamespace;
  jsonData.onlyDenied = edited.onlyDenied;
  jsonData.showIdle = edited.showIdle;
  const update: PluginSettingsUpdate = { enabled: current.enabled ?? true, pinned: current.pinned ?? true, jsonData };
  // A token is sent only when typed or reset: sending the key at all overwrites the saved one.
  const typed = token.value.trim();
  if (typed !== '') update.secureJsonData = { exporterToken: typed };
  else if (token.reset) update.secureJsonData = { exporterToken: '' };
  return update;
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
