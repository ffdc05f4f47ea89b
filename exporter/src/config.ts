/**
 * Configuration: defaults, then a YAML file, then FLOWLENS_* environment variables, then flags, each
 * overriding the one before. Every mistake is reported with the key (or flag, or variable) that holds it,
 * the bad value and how to fix it, and all mistakes are reported at once.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { RECORD_FAMILIES, recordFamily, type AggregationLevel } from './metrics/catalogue';
import {
  DEFAULT_BUDGET,
  DEFAULT_TTL_SECONDS,
  defaultFamilyOptions,
  type FamilyOptions,
} from './metrics/flow-aggregator';
import { LOG_LEVELS, type LogLevel } from './log';
import { SOURCE_KINDS, sourceKind } from './sources/registry';
import {
  DEFAULT_PROMETHEUS_RANGE,
  parsePrometheusRange,
  parsePrometheusUrl,
} from './policy/recommend/prometheus-observed';
import { DEFAULT_PROMETHEUS_TIMEOUT_SECONDS, type PrometheusClientOptions } from './policy/recommend/prometheus-client';
import { DEFAULT_PROMETHEUS_CACHE_SECONDS } from './server/prometheus-flows-cache';
import { DEFAULT_RECOMMENDATION_TIMEOUT_SECONDS } from './server/recommendation-runner';

export const DEFAULT_PORT = 9470;
export const DEFAULT_KUBERNETES_WATCHDOG_SECONDS = 600;

export interface SourceSpec {
  kind: string;
  /** The text after `KIND:`: a file path for line sources (made absolute), options for the demo. */
  argument: string;
  /** The `source` label of the self-metrics: the kind, with a number for repeats (`hubble-2`). */
  id: string;
}

export interface FlowlensConfig {
  listenHost: string;
  listenPort: number;
  stateDir: string | undefined;
  sources: SourceSpec[];
  logLevel: LogLevel;
  families: Map<string, FamilyOptions>;
  /** Kubernetes objects for workload context (`--resources`), read once at start. */
  resourcesFile: string | undefined;
  /** Watch the Kubernetes API (kubeconfig from KUBECONFIG, ~/.kube/config or in-cluster) for workload context. */
  kubernetes: boolean;
  /** A Kubernetes watch silent (not even a bookmark) this long is restarted. */
  kubernetesWatchdogSeconds: number;
  /** Namespaces whose flows are dropped before aggregation (either end), e.g. noisy system namespaces. */
  excludeNamespaces: string[];
  /** The audit webhook endpoint (`POST /audit/webhook`), when `audit.webhook` is configured. */
  auditWebhook: AuditWebhookConfig | undefined;
  /** HTTPS instead of HTTP on the listen address, when `server.tls` (or `--tls-cert-file`) is configured. */
  tls: TlsConfig | undefined;
  /** The anomaly detectors (`anomaly:`): undefined when `anomaly.enabled` is false. */
  anomaly: AnomalyConfig | undefined;
  /** The data API (`GET /api/v1/recommendations`), when `api` is configured: off unless callers can be authorized. */
  api: ApiConfig | undefined;
}

/** `anomaly: {enabled, topN, window}`; see docs/configuration.md. */
export interface AnomalyConfig {
  /** Series `flowlens_anomaly_score` shows. */
  topN: number;
  /** Detection window, seconds. */
  windowSeconds: number;
}

export const DEFAULT_ANOMALY_CONFIG: Readonly<AnomalyConfig> = Object.freeze({ topN: 20, windowSeconds: 60 });

/** Who may call `/api/v1/*` (as for the audit webhook: a token, allowed client certificates, or either) and budgets. */
export interface ApiConfig extends AuditWebhookConfig {
  /** Distinct observed flows kept for recommendations; new ones past it are counted and left out. */
  maxObservedFlows: number;
  /** The cluster's observed flows from Prometheus (`api.prometheus`): recommendations' default source when set. */
  prometheus: ApiPrometheusConfig | undefined;
  /** Seconds a recommendation (and its diff) may compute before its worker is stopped and the request gets a 504. */
  recommendationTimeoutSeconds: number;
}

/** `api.prometheus: {url, range, tokenFile, basicAuth: {username, passwordFile}, caFile, timeout, cache}`. */
export interface ApiPrometheusConfig extends PrometheusClientOptions {
  /** A PromQL range (`7d`): flows seen in it are the observed ones. */
  readonly range: string;
  /** How long an answer is reused for the same namespace (server/prometheus-flows-cache.ts); 0: asked every time. */
  readonly cacheSeconds: number;
}

export const DEFAULT_API_MAX_OBSERVED_FLOWS = 50_000;

/** At least one of the two is set; with both, a caller passes with either (a token or an allowed certificate). */
export interface AuditWebhookConfig {
  /** The file holding the bearer token the API server's webhook kubeconfig presents (read again when it changes). */
  tokenFile: string | undefined;
  /** Client certificates (verified against `server.tls.clientCAFile`) whose subject CN or an O value is listed. */
  clientCertificate: { allowedCommonNames: string[]; allowedOrganizations: string[] } | undefined;
}

/** PEM files, absolute paths; read at start and again when they change. */
export interface TlsConfig {
  certFile: string;
  keyFile: string;
  /** CAs whose client certificates are verified (requested, not required: /metrics scrapes need none). */
  clientCAFile: string | undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

/** What flags and the environment may set; undefined means "not given". */
export interface ConfigOverrides {
  listen?: string;
  stateDir?: string;
  resources?: string;
  sources?: string[];
  demo?: boolean;
  kubernetes?: boolean;
  logLevel?: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  tlsClientCAFile?: string;
}

/** Each TLS setting's names, for messages that name the key, the flag and the variable alike. */
const TLS_SETTINGS = {
  tlsCertFile: { key: 'server.tls.certFile', flag: '--tls-cert-file', variable: 'FLOWLENS_TLS_CERT_FILE' },
  tlsKeyFile: { key: 'server.tls.keyFile', flag: '--tls-key-file', variable: 'FLOWLENS_TLS_KEY_FILE' },
  tlsClientCAFile: {
    key: 'server.tls.clientCAFile',
    flag: '--tls-client-ca-file',
    variable: 'FLOWLENS_TLS_CLIENT_CA_FILE',
  },
} as const;

function tlsName(setting: keyof typeof TLS_SETTINGS): string {
  const { key, flag } = TLS_SETTINGS[setting];
  return `${key} (${flag})`;
}

const ENVIRONMENT_KEYS: Record<string, keyof ConfigOverrides | 'config'> = {
  FLOWLENS_CONFIG: 'config',
  FLOWLENS_LISTEN: 'listen',
  FLOWLENS_STATE_DIR: 'stateDir',
  FLOWLENS_SOURCES: 'sources',
  FLOWLENS_DEMO: 'demo',
  FLOWLENS_KUBERNETES: 'kubernetes',
  FLOWLENS_LOG_LEVEL: 'logLevel',
  FLOWLENS_TLS_CERT_FILE: 'tlsCertFile',
  FLOWLENS_TLS_KEY_FILE: 'tlsKeyFile',
  FLOWLENS_TLS_CLIENT_CA_FILE: 'tlsClientCAFile',
};

/** Reads FLOWLENS_* variables. An unknown one is an error: it is almost always a typo. */
export function overridesFromEnvironment(environment: NodeJS.ProcessEnv): {
  overrides: ConfigOverrides;
  configFile: string | undefined;
  problems: string[];
} {
  const overrides: ConfigOverrides = {};
  const problems: string[] = [];
  let configFile: string | undefined;
  for (const [name, value] of Object.entries(environment)) {
    if (!name.startsWith('FLOWLENS_') || value === undefined) continue;
    const key = ENVIRONMENT_KEYS[name];
    if (key === undefined) {
      problems.push(
        `environment variable ${name} is not known; use one of ${Object.keys(ENVIRONMENT_KEYS).join(', ')}`,
      );
    } else if (key === 'config') {
      configFile = value;
    } else if (key === 'sources') {
      overrides.sources = value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
    } else if (key === 'demo' || key === 'kubernetes') {
      if (value !== 'true' && value !== 'false')
        problems.push(`environment variable ${name}: "${value}" must be true or false`);
      else overrides[key] = value === 'true';
    } else {
      overrides[key] = value;
    }
  }
  return { overrides, configFile, problems };
}

/** Builds the configuration; throws ConfigError listing every problem found. */
export function loadConfig(options: {
  configFile: string | undefined;
  environment: ConfigOverrides;
  flags: ConfigOverrides;
  problems?: string[];
}): FlowlensConfig {
  const problems = [...(options.problems ?? [])];
  let file: FileConfig = {};
  if (options.configFile !== undefined) file = readConfigFile(options.configFile, problems);
  const where = (key: string): string => (options.configFile ? `${options.configFile}: ${key}` : key);

  const merged: ConfigOverrides = { ...file.overrides, ...options.environment, ...options.flags };
  const { host, port } = parseListen(merged.listen ?? `0.0.0.0:${DEFAULT_PORT}`, problems);
  const logLevel = merged.logLevel ?? 'info';
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    problems.push(`log level "${logLevel}" is not one of ${LOG_LEVELS.join(', ')}`);
  }
  const sourceTexts = [...(merged.sources ?? [])];
  if (merged.demo === true) sourceTexts.push('demo');
  const sources = parseSources(sourceTexts, problems);
  const families = file.metrics ? parseMetrics(file.metrics, where, problems) : defaultOptionsByFamily();
  const excludeNamespaces = file.excludeNamespaces ?? [];
  const tls = parseTls(merged, problems);
  const auditWebhook = file.audit === undefined ? undefined : parseAudit(file.audit, where, problems);
  if (auditWebhook?.clientCertificate !== undefined && tls?.clientCAFile === undefined) {
    problems.push(
      `${where('audit.webhook.clientCertificate')}: client certificates are verified against a CA; set ${tlsName('tlsClientCAFile')} (and the server's certificate and key) or use tokenFile`,
    );
  }
  const anomaly =
    file.anomaly === undefined ? { ...DEFAULT_ANOMALY_CONFIG } : parseAnomaly(file.anomaly, where, problems);
  const api = file.api === undefined ? undefined : parseApi(file.api, where, problems);
  if (api?.clientCertificate !== undefined && tls?.clientCAFile === undefined) {
    problems.push(
      `${where('api.clientCertificate')}: client certificates are verified against a CA; set ${tlsName('tlsClientCAFile')} (and the server's certificate and key) or use tokenFile`,
    );
  }
  const kubernetesWatchdogSeconds =
    file.kubernetesWatchdog === undefined
      ? DEFAULT_KUBERNETES_WATCHDOG_SECONDS
      : parseDuration(file.kubernetesWatchdog, where('kubernetesWatchdog'), problems);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    listenHost: host,
    listenPort: port,
    stateDir: merged.stateDir === undefined ? undefined : resolve(merged.stateDir),
    resourcesFile: merged.resources === undefined ? undefined : resolve(merged.resources),
    sources,
    logLevel: logLevel as LogLevel,
    families,
    kubernetes: merged.kubernetes === true,
    kubernetesWatchdogSeconds,
    excludeNamespaces,
    auditWebhook,
    tls,
    anomaly,
    api,
  };
}

const ANOMALY_KEYS = ['enabled', 'topN', 'window'];

function parseAnomaly(value: unknown, where: (key: string) => string, problems: string[]): AnomalyConfig | undefined {
  if (!isRecord(value)) {
    problems.push(`${where('anomaly')}: must be a mapping with ${ANOMALY_KEYS.join(', ')}`);
    return { ...DEFAULT_ANOMALY_CONFIG };
  }
  for (const key of Object.keys(value)) {
    if (!ANOMALY_KEYS.includes(key))
      problems.push(`${where(`anomaly.${key}`)}: unknown key; known keys are ${ANOMALY_KEYS.join(', ')}`);
  }
  const enabled = value['enabled'] ?? true;
  if (typeof enabled !== 'boolean')
    problems.push(`${where('anomaly.enabled')}: ${show(enabled)} must be true or false`);
  const topN = value['topN'] ?? DEFAULT_ANOMALY_CONFIG.topN;
  if (!(typeof topN === 'number' && Number.isInteger(topN) && topN >= 0 && topN <= 1000)) {
    problems.push(`${where('anomaly.topN')}: ${show(topN)} must be a whole number of series from 0 to 1000`);
  }
  const windowSeconds =
    value['window'] === undefined
      ? DEFAULT_ANOMALY_CONFIG.windowSeconds
      : parseDuration(value['window'], where('anomaly.window'), problems);
  if (enabled === false) return undefined;
  return { topN: typeof topN === 'number' ? topN : DEFAULT_ANOMALY_CONFIG.topN, windowSeconds };
}

/** `server.tls` and its flags: a certificate needs its key, and a client CA needs both. */
function parseTls(merged: ConfigOverrides, problems: string[]): TlsConfig | undefined {
  const { tlsCertFile: certFile, tlsKeyFile: keyFile, tlsClientCAFile: clientCAFile } = merged;
  if (certFile === undefined && keyFile === undefined && clientCAFile === undefined) return undefined;
  for (const setting of ['tlsCertFile', 'tlsKeyFile', 'tlsClientCAFile'] as const) {
    if (merged[setting] === '') problems.push(`${tlsName(setting)}: must be the path of a PEM file, not empty`);
  }
  if (certFile === undefined || keyFile === undefined) {
    const settings = ['tlsCertFile', 'tlsKeyFile', 'tlsClientCAFile'] as const;
    const missing = settings.filter((setting) => setting !== 'tlsClientCAFile' && merged[setting] === undefined);
    const given = settings.filter((setting) => merged[setting] !== undefined);
    problems.push(
      `${missing.map(tlsName).join(' and ')}: missing; ${given.map(tlsName).join(' and ')} ${given.length === 1 ? 'needs' : 'need'} the server's certificate and key (PEM files) both set`,
    );
    return undefined;
  }
  return {
    certFile: resolve(certFile),
    keyFile: resolve(keyFile),
    clientCAFile: clientCAFile === undefined ? undefined : resolve(clientCAFile),
  };
}

interface FileConfig {
  overrides?: ConfigOverrides;
  metrics?: Record<string, unknown>;
  excludeNamespaces?: string[];
  kubernetesWatchdog?: unknown;
  audit?: unknown;
  anomaly?: unknown;
  api?: unknown;
}

const SERVER_KEYS = ['tls'];
const SERVER_TLS_KEYS = { certFile: 'tlsCertFile', keyFile: 'tlsKeyFile', clientCAFile: 'tlsClientCAFile' } as const;

/** `server: {tls: {certFile, keyFile, clientCAFile}}` into the overrides the flags also set. */
function parseServer(
  value: unknown,
  at: (key: string) => string,
  overrides: ConfigOverrides,
  problems: string[],
): void {
  if (!isRecord(value)) {
    problems.push(`${at('server')}: must be a mapping with ${SERVER_KEYS.join(', ')}`);
    return;
  }
  for (const key of Object.keys(value)) {
    if (!SERVER_KEYS.includes(key))
      problems.push(`${at(`server.${key}`)}: unknown key; known keys are ${SERVER_KEYS.join(', ')}`);
  }
  const tls = value['tls'];
  if (tls === undefined) return;
  if (!isRecord(tls)) {
    problems.push(`${at('server.tls')}: must be a mapping with ${Object.keys(SERVER_TLS_KEYS).join(', ')}`);
    return;
  }
  for (const [key, setting] of Object.entries(tls)) {
    if (!(key in SERVER_TLS_KEYS)) {
      problems.push(
        `${at(`server.tls.${key}`)}: unknown key; known keys are ${Object.keys(SERVER_TLS_KEYS).join(', ')}`,
      );
    } else if (typeof setting !== 'string') {
      problems.push(`${at(`server.tls.${key}`)}: ${show(setting)} must be the path of a PEM file`);
    } else {
      overrides[SERVER_TLS_KEYS[key as keyof typeof SERVER_TLS_KEYS]] = setting;
    }
  }
}

const FILE_KEYS = [
  'listen',
  'stateDir',
  'resources',
  'kubernetes',
  'kubernetesWatchdog',
  'sources',
  'demo',
  'logLevel',
  'metrics',
  'excludeNamespaces',
  'audit',
  'api',
  'server',
  'anomaly',
];

function readConfigFile(path: string, problems: string[]): FileConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    problems.push(`config file ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    return {};
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    problems.push(
      `config file ${path} is not valid YAML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    );
    return {};
  }
  if (document === null || document === undefined) return {};
  if (!isRecord(document)) {
    problems.push(`config file ${path}: the top level must be a mapping of keys (${FILE_KEYS.join(', ')})`);
    return {};
  }
  const at = (key: string): string => `${path}: ${key}`;
  const overrides: ConfigOverrides = {};
  for (const [key, value] of Object.entries(document)) {
    switch (key) {
      case 'listen':
      case 'stateDir':
      case 'resources':
      case 'logLevel':
        if (typeof value === 'string') overrides[key] = value;
        else if (key === 'listen' && typeof value === 'number') overrides.listen = `:${value}`;
        else problems.push(`${at(key)}: ${show(value)} must be a string`);
        break;
      case 'demo':
      case 'kubernetes':
        if (typeof value === 'boolean') overrides[key] = value;
        else problems.push(`${at(key)}: ${show(value)} must be true or false`);
        break;
      case 'sources':
        overrides.sources = parseFileSources(value, at, problems);
        break;
      case 'server':
        parseServer(value, at, overrides, problems);
        break;
      case 'metrics':
      case 'excludeNamespaces':
      case 'kubernetesWatchdog':
      case 'audit':
      case 'anomaly':
      case 'api':
        break;
      default:
        problems.push(`${at(key)}: unknown key; known keys are ${FILE_KEYS.join(', ')}`);
    }
  }
  const metrics = document['metrics'];
  if (metrics !== undefined && !isRecord(metrics)) problems.push(`${at('metrics')}: must be a mapping`);
  const exclude = document['excludeNamespaces'];
  let excludeNamespaces: string[] | undefined;
  if (exclude !== undefined) {
    if (Array.isArray(exclude) && exclude.every((item): item is string => typeof item === 'string')) {
      excludeNamespaces = exclude;
    } else {
      problems.push(`${at('excludeNamespaces')}: must be a list of namespace names`);
    }
  }
  return {
    overrides,
    metrics: isRecord(metrics) ? metrics : undefined,
    excludeNamespaces,
    kubernetesWatchdog: document['kubernetesWatchdog'],
    audit: document['audit'],
    anomaly: document['anomaly'],
    api: document['api'],
  };
}

/** `sources:` entries are `KIND:PATH` strings or `{kind, path}` mappings. */
function parseFileSources(value: unknown, at: (key: string) => string, problems: string[]): string[] {
  if (!Array.isArray(value)) {
    problems.push(`${at('sources')}: must be a list of "KIND:PATH" strings or {kind, path} mappings`);
    return [];
  }
  const texts: string[] = [];
  value.forEach((item: unknown, index) => {
    if (typeof item === 'string') texts.push(item);
    else if (isRecord(item) && typeof item['kind'] === 'string') {
      const argument = item['path'] ?? item['options'] ?? '';
      if (typeof argument !== 'string') problems.push(`${at(`sources[${index}].path`)}: must be a string`);
      else texts.push(argument === '' ? item['kind'] : `${item['kind']}:${argument}`);
    } else problems.push(`${at(`sources[${index}]`)}: ${show(item)} must be "KIND:PATH" or {kind, path}`);
  });
  return texts;
}

export function parseListen(listen: string, problems: string[]): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]*)):(\d{1,5})$/.exec(listen);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) {
    problems.push(
      `listen address "${listen}" must be HOST:PORT, e.g. 0.0.0.0:${DEFAULT_PORT}, 127.0.0.1:${DEFAULT_PORT} or [::]:${DEFAULT_PORT}`,
    );
    return { host: '0.0.0.0', port: DEFAULT_PORT };
  }
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port };
}

export function parseSources(texts: readonly string[], problems: string[]): SourceSpec[] {
  const specs: SourceSpec[] = [];
  const seen = new Map<string, number>();
  for (const text of texts) {
    const colon = text.indexOf(':');
    const kindName = colon < 0 ? text : text.slice(0, colon);
    const argument = colon < 0 ? '' : text.slice(colon + 1);
    const kind = sourceKind(kindName);
    if (kind === undefined) {
      problems.push(
        `source "${text}": unknown kind "${kindName}"; use one of ${SOURCE_KINDS.map((candidate) => candidate.kind).join(', ')}`,
      );
      continue;
    }
    if (kind.input === 'lines' && argument === '') {
      problems.push(`source "${text}": a ${kind.kind} source needs a file, as ${kind.kind}:/path/to/file`);
      continue;
    }
    const count = (seen.get(kind.kind) ?? 0) + 1;
    seen.set(kind.kind, count);
    specs.push({
      kind: kind.kind,
      argument: kind.input === 'lines' ? resolve(argument) : argument,
      id: count === 1 ? kind.kind : `${kind.kind}-${count}`,
    });
  }
  return specs;
}

const AUDIT_KEYS = ['webhook'];
const AUDIT_WEBHOOK_KEYS = ['tokenFile', 'clientCertificate'];
const CLIENT_CERTIFICATE_KEYS = ['allowedCommonNames', 'allowedOrganizations'];

/**
 * `audit: {webhook: {tokenFile: PATH, clientCertificate: {allowedCommonNames, allowedOrganizations}}}`: at least one
 * method; with both, either lets a caller in. Whether client certificates can be verified (a client CA) is checked by
 * the caller, which knows the TLS settings from every layer.
 */
function parseAudit(
  value: unknown,
  where: (key: string) => string,
  problems: string[],
): AuditWebhookConfig | undefined {
  if (!isRecord(value)) {
    problems.push(`${where('audit')}: must be a mapping with ${AUDIT_KEYS.join(', ')}`);
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (!AUDIT_KEYS.includes(key))
      problems.push(`${where(`audit.${key}`)}: unknown key; known keys are ${AUDIT_KEYS.join(', ')}`);
  }
  const webhook = value['webhook'];
  if (webhook === undefined) return undefined;
  if (!isRecord(webhook)) {
    problems.push(`${where('audit.webhook')}: must be a mapping with ${AUDIT_WEBHOOK_KEYS.join(' and/or ')}`);
    return undefined;
  }
  for (const key of Object.keys(webhook)) {
    if (key === 'allowedCommonNames' || key === 'allowedOrganizations') {
      problems.push(`${where(`audit.webhook.${key}`)}: belongs under audit.webhook.clientCertificate.${key}`);
    } else if (!AUDIT_WEBHOOK_KEYS.includes(key)) {
      problems.push(`${where(`audit.webhook.${key}`)}: unknown key; known keys are ${AUDIT_WEBHOOK_KEYS.join(', ')}`);
    }
  }
  return parseAuthMethods(webhook, 'audit.webhook', where, problems);
}

/** `tokenFile` and/or `clientCertificate` under `key`; undefined (with problems) when neither is usable. */
function parseAuthMethods(
  section: Record<string, unknown>,
  key: string,
  where: (key: string) => string,
  problems: string[],
): AuditWebhookConfig | undefined {
  const tokenFileValue = section['tokenFile'];
  let tokenFile: string | undefined;
  if (tokenFileValue !== undefined) {
    if (typeof tokenFileValue === 'string' && tokenFileValue !== '') tokenFile = resolve(tokenFileValue);
    else
      problems.push(
        `${where(`${key}.tokenFile`)}: ${show(tokenFileValue)} must be the path of a file holding the bearer token`,
      );
  }
  const clientCertificate =
    section['clientCertificate'] === undefined
      ? undefined
      : parseClientCertificate(section['clientCertificate'], `${key}.clientCertificate`, where, problems);
  if (tokenFileValue === undefined && section['clientCertificate'] === undefined) {
    problems.push(`${where(key)}: needs tokenFile (a bearer token) or clientCertificate (allowed CNs/Os), or both`);
    return undefined;
  }
  if (tokenFile === undefined && clientCertificate === undefined) return undefined;
  return { tokenFile, clientCertificate };
}

const API_KEYS = ['tokenFile', 'clientCertificate', 'maxObservedFlows', 'prometheus', 'recommendationTimeout'];
/** Past this a caller (Grafana's proxy: 30s by default) has long given up; a larger limit only holds the worker. */
const MAX_RECOMMENDATION_TIMEOUT_SECONDS = 600;

/**
 * `api: {tokenFile: PATH, clientCertificate: {allowedCommonNames, allowedOrganizations}, maxObservedFlows: N}`: who
 * may read `/api/v1/*` (what the exporter observed is more than its metrics say), as for the audit webhook.
 */
function parseApi(value: unknown, where: (key: string) => string, problems: string[]): ApiConfig | undefined {
  if (!isRecord(value)) {
    problems.push(`${where('api')}: must be a mapping with tokenFile and/or clientCertificate (and maxObservedFlows)`);
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (!API_KEYS.includes(key))
      problems.push(`${where(`api.${key}`)}: unknown key; known keys are ${API_KEYS.join(', ')}`);
  }
  let maxObservedFlows = DEFAULT_API_MAX_OBSERVED_FLOWS;
  const budget = value['maxObservedFlows'];
  if (budget !== undefined) {
    if (typeof budget === 'number' && Number.isSafeInteger(budget) && budget >= 1) maxObservedFlows = budget;
    else
      problems.push(
        `${where('api.maxObservedFlows')}: ${show(budget)} must be a whole number of at least 1, e.g. 50000`,
      );
  }
  const prometheus =
    value['prometheus'] === undefined ? undefined : parseApiPrometheus(value['prometheus'], where, problems);
  const recommendationTimeoutSeconds = parseRecommendationTimeout(value['recommendationTimeout'], where, problems);
  const auth = parseAuthMethods(value, 'api', where, problems);
  return auth === undefined ? undefined : { ...auth, maxObservedFlows, prometheus, recommendationTimeoutSeconds };
}

/** `api.recommendationTimeout`: a duration from 1s to 10m (default 30s). */
function parseRecommendationTimeout(value: unknown, where: (key: string) => string, problems: string[]): number {
  if (value === undefined) return DEFAULT_RECOMMENDATION_TIMEOUT_SECONDS;
  const key = where('api.recommendationTimeout');
  const before = problems.length;
  const seconds = parseDuration(value, key, problems);
  if (problems.length > before) return DEFAULT_RECOMMENDATION_TIMEOUT_SECONDS;
  if (seconds > MAX_RECOMMENDATION_TIMEOUT_SECONDS) {
    problems.push(
      `${key}: ${show(value)} must be at most 10m; a diff of a whole cluster of 500 workloads takes about 1s`,
    );
    return DEFAULT_RECOMMENDATION_TIMEOUT_SECONDS;
  }
  return seconds;
}

const API_PROMETHEUS_KEYS = ['url', 'range', 'tokenFile', 'basicAuth', 'caFile', 'timeout', 'cache'];
const BASIC_AUTH_KEYS = ['username', 'passwordFile'];

/** `api.prometheus`: where the cluster's flow history is; credentials from files, never inline. */
function parseApiPrometheus(
  value: unknown,
  where: (key: string) => string,
  problems: string[],
): ApiPrometheusConfig | undefined {
  const key = 'api.prometheus';
  if (!isRecord(value)) {
    problems.push(
      `${where(key)}: must be a mapping with url (and range, tokenFile or basicAuth, caFile, timeout, cache)`,
    );
    return undefined;
  }
  const before = problems.length;
  for (const name of Object.keys(value)) {
    if (!API_PROMETHEUS_KEYS.includes(name))
      problems.push(`${where(`${key}.${name}`)}: unknown key; known keys are ${API_PROMETHEUS_KEYS.join(', ')}`);
  }
  const urlValue = value['url'];
  let url: URL | undefined;
  if (typeof urlValue !== 'string') {
    problems.push(`${where(`${key}.url`)}: ${show(urlValue)} must be Prometheus' URL, e.g. http://prometheus:9090`);
  } else {
    const parsed = parsePrometheusUrl(urlValue);
    if (parsed instanceof URL) url = parsed;
    else
      problems.push(
        `${where(`${key}.url`)}: ${parsed.problem}${/basic auth/.test(parsed.problem) ? ' (basicAuth: {username, passwordFile})' : ''}`,
      );
  }
  let range = DEFAULT_PROMETHEUS_RANGE;
  if (value['range'] !== undefined) {
    const parsed = typeof value['range'] === 'string' ? parsePrometheusRange(value['range']) : undefined;
    if (parsed !== undefined && 'text' in parsed) range = parsed.text;
    else
      problems.push(
        `${where(`${key}.range`)}: ${parsed?.problem ?? `${show(value['range'])} must be a range such as 7d, 12h or 2w`}`,
      );
  }
  const file = (name: string, value: unknown, what: string): string | undefined => {
    if (value === undefined) return undefined;
    if (typeof value === 'string' && value !== '') return resolve(value);
    problems.push(`${where(`${key}.${name}`)}: ${show(value)} must be the path of a file holding ${what}`);
    return undefined;
  };
  const tokenFile = file('tokenFile', value['tokenFile'], 'the bearer token');
  const caFile = file('caFile', value['caFile'], 'the PEM CA certificates');
  if (caFile !== undefined && url !== undefined && url.protocol !== 'https:') {
    problems.push(`${where(`${key}.caFile`)}: a CA file is for https URLs; the url is ${url.protocol}//`);
  }
  let basicAuth: ApiPrometheusConfig['basicAuth'];
  const basic = value['basicAuth'];
  if (basic !== undefined) {
    if (!isRecord(basic)) {
      problems.push(`${where(`${key}.basicAuth`)}: must be a mapping with ${BASIC_AUTH_KEYS.join(' and ')}`);
    } else {
      for (const name of Object.keys(basic)) {
        if (!BASIC_AUTH_KEYS.includes(name))
          problems.push(
            `${where(`${key}.basicAuth.${name}`)}: unknown key; known keys are ${BASIC_AUTH_KEYS.join(', ')} (the password goes in a file)`,
          );
      }
      const username = basic['username'];
      if (typeof username !== 'string' || username === '' || username.includes(':')) {
        problems.push(`${where(`${key}.basicAuth.username`)}: ${show(username)} must be a user name without ":"`);
      }
      const passwordFile = file('basicAuth.passwordFile', basic['passwordFile'], 'the password');
      if (basic['passwordFile'] === undefined) {
        problems.push(
          `${where(`${key}.basicAuth.passwordFile`)}: is required: the path of a file holding the password`,
        );
      }
      if (typeof username === 'string' && passwordFile !== undefined) basicAuth = { username, passwordFile };
    }
  }
  if (tokenFile !== undefined && basic !== undefined) {
    problems.push(`${where(key)}: give tokenFile or basicAuth, not both`);
  }
  const timeoutSeconds =
    value['timeout'] === undefined
      ? DEFAULT_PROMETHEUS_TIMEOUT_SECONDS
      : parseDuration(value['timeout'], where(`${key}.timeout`), problems);
  const cache = value['cache'];
  // 0 turns the cache off; anything else is a duration as elsewhere.
  const cacheSeconds =
    cache === undefined
      ? DEFAULT_PROMETHEUS_CACHE_SECONDS
      : cache === 0 || cache === '0s'
        ? 0
        : parseDuration(cache, `${where(`${key}.cache`)} (0 turns it off)`, problems);
  if (problems.length > before || url === undefined) return undefined;
  return { url, range, tokenFile, basicAuth, caFile, timeoutSeconds, cacheSeconds };
}

function parseClientCertificate(
  value: unknown,
  key: string,
  where: (key: string) => string,
  problems: string[],
): AuditWebhookConfig['clientCertificate'] {
  if (!isRecord(value)) {
    problems.push(`${where(key)}: must be a mapping with ${CLIENT_CERTIFICATE_KEYS.join(' and/or ')}`);
    return undefined;
  }
  for (const name of Object.keys(value)) {
    if (!CLIENT_CERTIFICATE_KEYS.includes(name))
      problems.push(`${where(`${key}.${name}`)}: unknown key; known keys are ${CLIENT_CERTIFICATE_KEYS.join(', ')}`);
  }
  const list = (name: string): string[] | undefined => {
    const items = value[name];
    if (items === undefined) return [];
    if (Array.isArray(items) && items.every((item): item is string => typeof item === 'string' && item !== '')) {
      return items;
    }
    problems.push(`${where(`${key}.${name}`)}: ${show(items)} must be a list of non-empty strings`);
    return undefined;
  };
  const allowedCommonNames = list('allowedCommonNames');
  const allowedOrganizations = list('allowedOrganizations');
  if (allowedCommonNames === undefined || allowedOrganizations === undefined) return undefined;
  if (allowedCommonNames.length === 0 && allowedOrganizations.length === 0) {
    // An empty allow-list would admit no one: a silent lock-out, or a sign the keys were misspelt.
    problems.push(
      `${where(key)}: list at least one allowed subject, e.g. allowedCommonNames: [kube-apiserver] or allowedOrganizations: [system:masters]`,
    );
    return undefined;
  }
  return { allowedCommonNames, allowedOrganizations };
}

function defaultOptionsByFamily(): Map<string, FamilyOptions> {
  return new Map(RECORD_FAMILIES.map((family) => [family.name, defaultFamilyOptions(family)]));
}

const LEVELS: readonly AggregationLevel[] = ['workload', 'pod'];
const METRICS_KEYS = ['budget', 'ttl', 'families'];
const FAMILY_KEYS = ['aggregation', 'ports', 'budget', 'ttl', 'topK'];

function parseMetrics(
  metrics: Record<string, unknown>,
  where: (key: string) => string,
  problems: string[],
): Map<string, FamilyOptions> {
  for (const key of Object.keys(metrics)) {
    if (!METRICS_KEYS.includes(key))
      problems.push(`${where(`metrics.${key}`)}: unknown key; known keys are ${METRICS_KEYS.join(', ')}`);
  }
  const budget =
    metrics['budget'] === undefined
      ? DEFAULT_BUDGET
      : parseBudget(metrics['budget'], where('metrics.budget'), problems);
  const ttlSeconds =
    metrics['ttl'] === undefined ? DEFAULT_TTL_SECONDS : parseDuration(metrics['ttl'], where('metrics.ttl'), problems);
  const options = new Map<string, FamilyOptions>(
    RECORD_FAMILIES.map((family) => [
      family.name,
      // A family with a budget of its own (the per-pod ones) keeps it unless the global budget is smaller.
      { ...defaultFamilyOptions(family), budget: Math.min(budget, family.defaultBudget ?? budget), ttlSeconds },
    ]),
  );
  const families = metrics['families'];
  if (families === undefined) return options;
  if (!isRecord(families)) {
    problems.push(`${where('metrics.families')}: must be a mapping from family name to options`);
    return options;
  }
  for (const [name, value] of Object.entries(families)) {
    const key = `metrics.families.${name}`;
    const family = recordFamily(name);
    if (family === undefined) {
      problems.push(
        `${where(key)}: unknown family; configurable families are ${RECORD_FAMILIES.map((f) => f.name).join(', ')}`,
      );
      continue;
    }
    if (!isRecord(value)) {
      problems.push(`${where(key)}: must be a mapping with ${FAMILY_KEYS.join(', ')}`);
      continue;
    }
    const current = options.get(name)!;
    for (const [option, optionValue] of Object.entries(value)) {
      const optionKey = where(`${key}.${option}`);
      switch (option) {
        case 'aggregation':
          if (LEVELS.includes(optionValue as AggregationLevel)) current.level = optionValue as AggregationLevel;
          else problems.push(`${optionKey}: ${show(optionValue)} is not one of ${LEVELS.join(', ')}`);
          break;
        case 'ports':
          if (typeof optionValue === 'boolean') current.ports = optionValue;
          else problems.push(`${optionKey}: ${show(optionValue)} must be true or false`);
          break;
        case 'budget':
          current.budget = parseBudget(optionValue, optionKey, problems);
          break;
        case 'ttl':
          current.ttlSeconds = parseDuration(optionValue, optionKey, problems);
          break;
        case 'topK':
          if (family.topK === undefined) problems.push(`${optionKey}: the family has no top-K label`);
          else if (
            typeof optionValue === 'number' &&
            Number.isInteger(optionValue) &&
            optionValue >= 1 &&
            optionValue <= 100_000
          )
            current.topK = optionValue;
          else problems.push(`${optionKey}: ${show(optionValue)} must be a whole number between 1 and 100000`);
          break;
        default:
          problems.push(`${optionKey}: unknown option; known options are ${FAMILY_KEYS.join(', ')}`);
      }
    }
  }
  return options;
}

function parseBudget(value: unknown, key: string, problems: string[]): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 10_000_000) return value;
  problems.push(`${key}: ${show(value)} must be a whole number of series between 1 and 10000000`);
  return DEFAULT_BUDGET;
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** `90`, `90s`, `15m`, `1h`: seconds. */
export function parseDuration(value: unknown, key: string, problems: string[]): number {
  const match = typeof value === 'string' ? /^(\d+(?:\.\d+)?)(s|m|h)$/.exec(value) : null;
  const seconds =
    typeof value === 'number' ? value : match ? Number(match[1]) * (DURATION_UNITS[match[2]!] ?? 1) : Number.NaN;
  if (Number.isFinite(seconds) && seconds >= 1) return seconds;
  problems.push(`${key}: ${show(value)} must be a duration of at least 1s, such as 90s, 15m or 1h`);
  return DEFAULT_TTL_SECONDS;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}
