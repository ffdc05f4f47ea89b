/**
 * The ObservabilityProfile resource (`flowlens.io/v1alpha1`, namespaced): an application's observability settings,
 * kept with the application. Parsed and validated in one place for the exporter (live collection), `flowlens rules
 * generate` and `flowlens dashboards generate`. Errors name the object, the field and the fix, e.g.
 * `ObservabilityProfile shop/checkout: spec.objectives.httpAvailability.target must be a number above 0 and below 1
 * such as 0.999, got string "99.9%"`.
 *
 * spec:
 *   workloads:   {names: [workload names], selector: a label selector over the namespace's pods}; at least one
 *   aggregation: workload (default) | pod
 *   collect:     {flows, dns, l7, sockets}: booleans, each true by default
 *   objectives:  {httpAvailability: {target, window, minRequestRate}, httpLatency: {threshold, target, window,
 *                 minRequestRate}, dnsErrorBudget: {target, window, minRequestRate}}; windows are whole days,
 *                 7d..90d (default 30d); minRequestRate "N/s|m|h" (default "1/m", "0/m" turns the guard off)
 *   alerting:    {receiver, labels: {name: value}, severity: {page, ticket}}
 */
import {
  describeType,
  FieldContext,
  isAbsent,
  optionalStringMap,
  PolicyParseError,
  rejectUnknownFields,
  requireObject,
  type JsonObject,
} from '../policy/kubernetes/fields';
import {
  MATCH_ALL,
  parseLabelSelector,
  selectorMatches,
  type LabelSelector,
} from '../policy/kubernetes/label-selector';
import { HTTP_DURATION_BUCKETS } from '../metrics/catalogue';

export const PROFILE_GROUP = 'flowlens.io';
export const PROFILE_VERSION = 'v1alpha1';
export const PROFILE_API_VERSION = `${PROFILE_GROUP}/${PROFILE_VERSION}`;
export const PROFILE_KIND = 'ObservabilityProfile';
export const PROFILE_PLURAL = 'observabilityprofiles';

export const MAX_WORKLOAD_NAMES = 64;
export const MAX_ALERT_LABELS = 16;
export const MAX_LABEL_VALUE_LENGTH = 256;
export const DEFAULT_WINDOW_DAYS = 30;
export const MIN_WINDOW_DAYS = 7;
export const MAX_WINDOW_DAYS = 90;
/** One request a minute: a workload with 3 requests an hour does not page on one error. */
export const DEFAULT_MIN_REQUEST_RATE: RequestRate = { requests: 1, perSeconds: 60 };
/** Above a million requests a second the guard would silence every workload: surely a typo. */
export const MAX_MIN_REQUESTS_PER_SECOND = 1_000_000;
const RATE_PERIODS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600 };

/** A profile that does not have the shape of an ObservabilityProfile, or asks for something impossible. */
export class ProfileSpecError extends Error {
  override readonly name = 'ProfileSpecError';
}

export type Aggregation = 'workload' | 'pod';
export const AGGREGATIONS: readonly Aggregation[] = ['workload', 'pod'];

export type DataType = 'flows' | 'dns' | 'l7' | 'sockets';
export const DATA_TYPES: readonly DataType[] = ['flows', 'dns', 'l7', 'sockets'];

/** Requests (DNS queries) per period: `1/m` is `{requests: 1, perSeconds: 60}`, kept apart so rules can show it. */
export interface RequestRate {
  readonly requests: number;
  readonly perSeconds: number;
}

export interface RatioObjective {
  /** The share of good events, above 0 and below 1 (0.999). */
  readonly target: number;
  readonly windowDays: number;
  /**
   * The least traffic over an alert's long window for the alert to fire: under it, a few bad events of a quiet
   * workload would be a large ratio and page someone for nothing. Zero requests turn the guard off.
   */
  readonly minRequestRate: RequestRate;
}

export interface LatencyObjective extends RatioObjective {
  /** Seconds: a bucket bound of flowlens_http_request_duration_seconds. */
  readonly thresholdSeconds: number;
}

export interface ProfileObjectives {
  readonly httpAvailability?: RatioObjective;
  readonly httpLatency?: LatencyObjective;
  readonly dnsErrorBudget?: RatioObjective;
}

export interface ProfileAlerting {
  /** Labels added to every generated alert (team, receiver, ...), sorted by name. */
  readonly labels: Readonly<Record<string, string>>;
  /** Severity of the fast-burn alerts that should wake someone, and of the slow-burn ones that open a ticket. */
  readonly pageSeverity: string;
  readonly ticketSeverity: string;
}

export interface ObservabilityProfileSpec {
  /** Workload names in the profile's namespace; empty when only the selector says which. */
  readonly workloadNames: readonly string[];
  /** Pods of the namespace the profile covers besides the named workloads; undefined when names alone say. */
  readonly selector: LabelSelector | undefined;
  readonly aggregation: Aggregation;
  readonly collect: Readonly<Record<DataType, boolean>>;
  readonly objectives: ProfileObjectives;
  readonly alerting: ProfileAlerting;
}

export interface ObservabilityProfile {
  readonly namespace: string;
  readonly name: string;
  readonly spec: ObservabilityProfileSpec;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const PROMETHEUS_LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]{0,62}$/;
/** Labels the generated rules set themselves. */
const RESERVED_ALERT_LABELS: ReadonlySet<string> = new Set([
  'alertname',
  'severity',
  'profile',
  'objective',
  'dest_namespace',
  'dest_workload',
  'client_namespace',
  'client_workload',
]);

function fail(context: FieldContext, path: string, problem: string): never {
  return context.fail(path, problem);
}

function parseWorkloads(
  value: unknown,
  context: FieldContext,
): { names: string[]; selector: LabelSelector | undefined } {
  if (isAbsent(value)) {
    fail(context, 'spec.workloads', 'is required: give names (workload names) and/or a selector over the pods');
  }
  const workloads = requireObject(value, 'spec.workloads', context);
  rejectUnknownFields(workloads, ['names', 'selector'], 'spec.workloads', context);
  const names: string[] = [];
  const rawNames = workloads['names'];
  if (!isAbsent(rawNames)) {
    if (!Array.isArray(rawNames)) {
      fail(context, 'spec.workloads.names', `must be a list of workload names, got ${describeType(rawNames)}`);
    }
    if (rawNames.length > MAX_WORKLOAD_NAMES) {
      fail(
        context,
        'spec.workloads.names',
        `lists ${rawNames.length} workloads, at most ${MAX_WORKLOAD_NAMES}: split the application into several profiles or use a selector`,
      );
    }
    rawNames.forEach((entry: unknown, i) => {
      if (typeof entry !== 'string' || !DNS_SUBDOMAIN.test(entry)) {
        fail(
          context,
          `spec.workloads.names[${i}]`,
          `must be a workload name (lower-case letters, digits, - and .), got ${describeType(entry)}`,
        );
      }
      if (names.includes(entry)) fail(context, `spec.workloads.names[${i}]`, `repeats "${entry}": list it once`);
      names.push(entry);
    });
  }
  const selector = isAbsent(workloads['selector'])
    ? undefined
    : parseLabelSelector(workloads['selector'], 'spec.workloads.selector', context);
  if (names.length === 0 && selector === undefined) {
    fail(context, 'spec.workloads', 'must give names or a selector ({} selects every pod of the namespace)');
  }
  return { names, selector };
}

function parseEnum<T extends string>(
  value: unknown,
  allowed: readonly T[],
  fallback: T,
  path: string,
  context: FieldContext,
): T {
  if (isAbsent(value)) return fallback;
  const found = allowed.find((candidate) => candidate === value);
  if (found === undefined) fail(context, path, `must be one of ${allowed.join(', ')}, got ${describeType(value)}`);
  return found;
}

function parseCollect(value: unknown, context: FieldContext): Record<DataType, boolean> {
  const collect: Record<DataType, boolean> = { flows: true, dns: true, l7: true, sockets: true };
  if (isAbsent(value)) return collect;
  const object = requireObject(value, 'spec.collect', context);
  rejectUnknownFields(object, DATA_TYPES, 'spec.collect', context);
  for (const type of DATA_TYPES) {
    const entry = object[type];
    if (isAbsent(entry)) continue;
    if (typeof entry !== 'boolean') {
      fail(context, `spec.collect.${type}`, `must be true or false, got ${describeType(entry)}`);
    }
    collect[type] = entry;
  }
  return collect;
}

function parseTarget(value: unknown, path: string, context: FieldContext): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value >= 1) {
    fail(context, path, `must be a number above 0 and below 1 such as 0.999, got ${describeType(value)}`);
  }
  // A budget below one in a million cannot be measured from rates over minutes; nor written short in PromQL.
  if (value > 0.999999) fail(context, path, `must be at most 0.999999, got ${value}`);
  return value;
}

function parseWindow(value: unknown, path: string, context: FieldContext): number {
  if (isAbsent(value)) return DEFAULT_WINDOW_DAYS;
  const match = typeof value === 'string' ? /^(\d{1,3})d$/.exec(value) : null;
  const days = match === null ? NaN : Number(match[1]);
  if (Number.isNaN(days) || days < MIN_WINDOW_DAYS || days > MAX_WINDOW_DAYS) {
    fail(
      context,
      path,
      `must be whole days from ${MIN_WINDOW_DAYS}d to ${MAX_WINDOW_DAYS}d such as "30d", got ${describeType(value)}`,
    );
  }
  return days;
}

function parseThreshold(value: unknown, path: string, context: FieldContext): number {
  let seconds = NaN;
  if (typeof value === 'number') seconds = value;
  if (typeof value === 'string') {
    const match = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(value);
    if (match !== null) seconds = Number(match[1]) / (match[2] === 'ms' ? 1000 : 1);
  }
  if (!HTTP_DURATION_BUCKETS.includes(seconds)) {
    fail(
      context,
      path,
      `must be a bucket bound of flowlens_http_request_duration_seconds (${HTTP_DURATION_BUCKETS.map((bound) => `${bound}s`).join(', ')}), got ${describeType(value)}`,
    );
  }
  return seconds;
}

function parseRequestRate(value: unknown, path: string, context: FieldContext): RequestRate {
  if (isAbsent(value)) return DEFAULT_MIN_REQUEST_RATE;
  const match = typeof value === 'string' ? /^(\d{1,9}(?:\.\d{1,6})?)\/(s|m|h)$/.exec(value) : null;
  if (match === null) {
    fail(
      context,
      path,
      `must be a request rate: a number of requests per s, m or h such as "1/m" or "30/h" ("0/m" turns the guard off), got ${describeType(value)}`,
    );
  }
  const rate = { requests: Number(match[1]), perSeconds: RATE_PERIODS[match[2]!]! };
  if (rate.requests / rate.perSeconds > MAX_MIN_REQUESTS_PER_SECOND) {
    fail(context, path, `must be at most ${MAX_MIN_REQUESTS_PER_SECOND}/s, got ${value as string}`);
  }
  return rate;
}

function objectiveObject(value: unknown, path: string, known: readonly string[], context: FieldContext): JsonObject {
  const object = requireObject(value, path, context);
  rejectUnknownFields(object, known, path, context);
  if (isAbsent(object['target'])) fail(context, `${path}.target`, 'is required: the share of good events, e.g. 0.999');
  return object;
}

function parseObjectives(value: unknown, context: FieldContext): ProfileObjectives {
  if (isAbsent(value)) return {};
  const object = requireObject(value, 'spec.objectives', context);
  rejectUnknownFields(object, ['httpAvailability', 'httpLatency', 'dnsErrorBudget'], 'spec.objectives', context);
  const ratio = (key: 'httpAvailability' | 'dnsErrorBudget'): RatioObjective | undefined => {
    if (isAbsent(object[key])) return undefined;
    const path = `spec.objectives.${key}`;
    const entry = objectiveObject(object[key], path, ['target', 'window', 'minRequestRate'], context);
    return {
      target: parseTarget(entry['target'], `${path}.target`, context),
      windowDays: parseWindow(entry['window'], `${path}.window`, context),
      minRequestRate: parseRequestRate(entry['minRequestRate'], `${path}.minRequestRate`, context),
    };
  };
  let httpLatency: LatencyObjective | undefined;
  if (!isAbsent(object['httpLatency'])) {
    const path = 'spec.objectives.httpLatency';
    const entry = objectiveObject(
      object['httpLatency'],
      path,
      ['threshold', 'target', 'window', 'minRequestRate'],
      context,
    );
    if (isAbsent(entry['threshold'])) {
      fail(context, `${path}.threshold`, 'is required: how fast a good request is, e.g. "500ms" or 0.5');
    }
    httpLatency = {
      thresholdSeconds: parseThreshold(entry['threshold'], `${path}.threshold`, context),
      target: parseTarget(entry['target'], `${path}.target`, context),
      windowDays: parseWindow(entry['window'], `${path}.window`, context),
      minRequestRate: parseRequestRate(entry['minRequestRate'], `${path}.minRequestRate`, context),
    };
  }
  const httpAvailability = ratio('httpAvailability');
  const dnsErrorBudget = ratio('dnsErrorBudget');
  return {
    ...(httpAvailability === undefined ? {} : { httpAvailability }),
    ...(httpLatency === undefined ? {} : { httpLatency }),
    ...(dnsErrorBudget === undefined ? {} : { dnsErrorBudget }),
  };
}

function checkLabelValue(value: string, path: string, context: FieldContext): void {
  if (value === '' || value.length > MAX_LABEL_VALUE_LENGTH) {
    fail(context, path, `must be 1 to ${MAX_LABEL_VALUE_LENGTH} characters, got ${value.length}`);
  }
}

function parseAlerting(value: unknown, context: FieldContext): ProfileAlerting {
  const alerting: { labels: Record<string, string>; pageSeverity: string; ticketSeverity: string } = {
    labels: {},
    pageSeverity: 'critical',
    ticketSeverity: 'warning',
  };
  if (isAbsent(value)) return alerting;
  const object = requireObject(value, 'spec.alerting', context);
  rejectUnknownFields(object, ['receiver', 'labels', 'severity'], 'spec.alerting', context);
  const labels = optionalStringMap(object['labels'], 'spec.alerting.labels', context);
  const names = Object.keys(labels).sort();
  if (names.length > MAX_ALERT_LABELS) {
    fail(context, 'spec.alerting.labels', `has ${names.length} labels, at most ${MAX_ALERT_LABELS}`);
  }
  for (const name of names) {
    const path = `spec.alerting.labels.${name}`;
    if (!PROMETHEUS_LABEL_NAME.test(name)) {
      fail(context, path, 'is not a Prometheus label name: use letters, digits and _, not starting with a digit');
    }
    if (RESERVED_ALERT_LABELS.has(name)) {
      fail(
        context,
        path,
        `is set by the generated rules: choose another name${name === 'severity' ? ' (use spec.alerting.severity)' : ''}`,
      );
    }
    checkLabelValue(labels[name]!, path, context);
    alerting.labels[name] = labels[name]!;
  }
  if (!isAbsent(object['receiver'])) {
    const receiver = object['receiver'];
    if (typeof receiver !== 'string') {
      fail(
        context,
        'spec.alerting.receiver',
        `must be a string (an Alertmanager receiver), got ${describeType(receiver)}`,
      );
    }
    checkLabelValue(receiver, 'spec.alerting.receiver', context);
    if (names.includes('receiver')) {
      fail(context, 'spec.alerting.labels.receiver', 'repeats spec.alerting.receiver: give one of them');
    }
    alerting.labels['receiver'] = receiver;
  }
  alerting.labels = Object.fromEntries(Object.entries(alerting.labels).sort(([a], [b]) => (a < b ? -1 : 1)));
  if (!isAbsent(object['severity'])) {
    const severity = requireObject(object['severity'], 'spec.alerting.severity', context);
    rejectUnknownFields(severity, ['page', 'ticket'], 'spec.alerting.severity', context);
    for (const [key, field] of [
      ['page', 'pageSeverity'],
      ['ticket', 'ticketSeverity'],
    ] as const) {
      const entry = severity[key];
      if (isAbsent(entry)) continue;
      if (typeof entry !== 'string' || !/^[a-z][a-z0-9_-]{0,31}$/.test(entry)) {
        fail(
          context,
          `spec.alerting.severity.${key}`,
          `must be a severity label value such as critical or warning, got ${describeType(entry)}`,
        );
      }
      alerting[field] = entry;
    }
  }
  return alerting;
}

/** `spec` of an ObservabilityProfile; `subject` names it in errors (`ObservabilityProfile shop/checkout`). */
export function parseProfileSpec(value: unknown, subject: string): ObservabilityProfileSpec {
  const context = new FieldContext(subject);
  try {
    const spec = requireObject(value, 'spec', context);
    rejectUnknownFields(spec, ['workloads', 'aggregation', 'collect', 'objectives', 'alerting'], 'spec', context);
    const { names, selector } = parseWorkloads(spec['workloads'], context);
    return {
      workloadNames: names,
      selector,
      aggregation: parseEnum(spec['aggregation'], AGGREGATIONS, 'workload', 'spec.aggregation', context),
      collect: parseCollect(spec['collect'], context),
      objectives: parseObjectives(spec['objectives'], context),
      alerting: parseAlerting(spec['alerting'], context),
    };
  } catch (error) {
    if (error instanceof PolicyParseError) throw new ProfileSpecError(error.message);
    throw error;
  }
}

/** A whole ObservabilityProfile, as the API server sends it or as a YAML file holds it. */
export function parseObservabilityProfile(object: unknown): ObservabilityProfile {
  const context = new FieldContext(PROFILE_KIND);
  let top: JsonObject;
  let metadata: JsonObject;
  try {
    top = requireObject(object, 'object', context);
    metadata = requireObject(top['metadata'], 'metadata', context);
  } catch (error) {
    throw new ProfileSpecError(error instanceof Error ? error.message : String(error));
  }
  const namespace = typeof metadata['namespace'] === 'string' ? metadata['namespace'] : '';
  const name = typeof metadata['name'] === 'string' ? metadata['name'] : '';
  if (!DNS_LABEL.test(namespace) || !DNS_SUBDOMAIN.test(name) || name.includes('..')) {
    throw new ProfileSpecError(
      `${PROFILE_KIND} ${JSON.stringify(namespace)}/${JSON.stringify(name)}: metadata.namespace must be a DNS label and metadata.name a DNS subdomain (the profile is namespaced: set metadata.namespace)`,
    );
  }
  const subject = `${PROFILE_KIND} ${namespace}/${name}`;
  if (!isAbsent(top['apiVersion']) && top['apiVersion'] !== PROFILE_API_VERSION) {
    throw new ProfileSpecError(
      `${subject}: apiVersion must be ${PROFILE_API_VERSION}, got ${describeType(top['apiVersion'])}`,
    );
  }
  if (!isAbsent(top['kind']) && top['kind'] !== PROFILE_KIND) {
    throw new ProfileSpecError(`${subject}: kind must be ${PROFILE_KIND}, got ${describeType(top['kind'])}`);
  }
  return { namespace, name, spec: parseProfileSpec(top['spec'], subject) };
}

/** Whether the profile covers a workload (by name) or a pod (by its labels) of its namespace. */
export function profileCovers(
  profile: ObservabilityProfile,
  namespace: string,
  workload: string,
  podLabels: Readonly<Record<string, string>> | undefined,
): boolean {
  if (namespace !== profile.namespace) return false;
  if (profile.spec.workloadNames.includes(workload)) return true;
  const selector = profile.spec.selector;
  if (selector === undefined || podLabels === undefined) return false;
  if (selector === MATCH_ALL) return true;
  return selectorMatches(selector, podLabels);
}
