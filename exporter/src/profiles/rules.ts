/**
 * ObservabilityProfiles as Prometheus alerting rules: multi-window, multi-burn-rate alerts per objective (the Google
 * SRE workbook, chapter 5, "Alerting on SLOs"). A page fires when 2% of the budget goes in an hour or 5% in six hours,
 * a ticket when 10% goes in a day or in three days; each long window is paired with a short one (1/12 of it) so the
 * alert stops soon after the burn does. For a 30-day objective the burn-rate factors are the workbook's 14.4, 6, 3
 * and 1; other windows scale them (factor = budget share x objective window / alert window).
 *
 * Each condition also needs the workload's traffic over the long window to reach the objective's `minRequestRate`
 * (default one a minute): without it, a workload with three requests an hour pages on a single error.
 *
 * The rules read the exporter's raw families, scoped to the profile's namespace and named workloads, so each
 * generated group stands alone (no recording rules of alerts/ needed) and a profile's threshold is its own. Output is
 * a pure function of the profiles: sorted, no timestamps, byte-identical on every run.
 */
import { stringify } from 'yaml';
import type { ObservabilityProfile, RatioObjective, RequestRate } from './spec';

export interface BurnWindow {
  readonly long: string;
  readonly longHours: number;
  readonly short: string;
  /** The share of the whole window's budget that this burn spends in `long`. */
  readonly budgetShare: number;
  readonly tier: 'page' | 'ticket';
}

export const BURN_WINDOWS: readonly BurnWindow[] = [
  { long: '1h', longHours: 1, short: '5m', budgetShare: 0.02, tier: 'page' },
  { long: '6h', longHours: 6, short: '30m', budgetShare: 0.05, tier: 'page' },
  { long: '1d', longHours: 24, short: '2h', budgetShare: 0.1, tier: 'ticket' },
  { long: '3d', longHours: 72, short: '6h', budgetShare: 0.1, tier: 'ticket' },
];

/** The burn rate at which `window` spends its share of a `windowDays` budget. */
export function burnFactor(window: BurnWindow, windowDays: number): number {
  return Number(((window.budgetShare * windowDays * 24) / window.longHours).toPrecision(6));
}

/** 1 - target without floating-point noise (1 - 0.999 is 0.0010000000000000009). */
export function errorBudget(target: number): number {
  return Number((1 - target).toPrecision(12));
}

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly AlertRule[];
}

type ObjectiveKey = 'httpAvailability' | 'httpLatency' | 'dnsErrorBudget';

interface ObjectiveQuery {
  readonly key: ObjectiveKey;
  readonly alertPrefix: string;
  readonly label: string;
  /** Labels the ratio keeps: one series per workload. */
  readonly by: string;
  /** The bad-event ratio over a range, e.g. `[1h]`. */
  readonly ratio: (range: string) => string;
  /** All events per second over a range: the traffic the minimum request rate guards. */
  readonly requests: (range: string) => string;
  readonly what: string;
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/** The label matchers that restrict a family to the profile's workloads: by name, else its whole namespace. */
export function scopeMatchers(profile: ObservabilityProfile, side: 'dest' | 'client'): string {
  const matchers = [`${side}_namespace="${escapeLabelValue(profile.namespace)}"`];
  const names = [...profile.spec.workloadNames].sort();
  if (names.length > 0) {
    // Workload names are DNS subdomains: `.` is the only regular-expression character they can hold.
    matchers.push(`${side}_workload=~"${names.map((name) => name.replace(/\./g, '\\\\.')).join('|')}"`);
  }
  return matchers.join(',');
}

function objectiveQueries(profile: ObservabilityProfile): ObjectiveQuery[] {
  const http = scopeMatchers(profile, 'dest');
  const dns = scopeMatchers(profile, 'client');
  const httpBy = 'sum by (dest_namespace, dest_workload)';
  const dnsBy = 'sum by (client_namespace, client_workload)';
  const queries: ObjectiveQuery[] = [];
  const { objectives } = profile.spec;
  if (objectives.httpAvailability !== undefined) {
    queries.push({
      key: 'httpAvailability',
      alertPrefix: 'FlowlensProfileHTTPAvailability',
      label: 'http_availability',
      by: 'dest',
      what: 'HTTP requests answered with 5xx',
      ratio: (range) =>
        `${httpBy} (rate(flowlens_http_requests_total{${http},status_class="5xx"}[${range}]))\n` +
        `  / ${httpBy} (rate(flowlens_http_requests_total{${http}}[${range}]))`,
      requests: (range) => `${httpBy} (rate(flowlens_http_requests_total{${http}}[${range}]))`,
    });
  }
  const latency = objectives.httpLatency;
  if (latency !== undefined) {
    const le = String(latency.thresholdSeconds);
    queries.push({
      key: 'httpLatency',
      alertPrefix: 'FlowlensProfileHTTPLatency',
      label: 'http_latency',
      by: 'dest',
      what: `HTTP requests slower than ${le}s`,
      ratio: (range) =>
        `1 - ${httpBy} (rate(flowlens_http_request_duration_seconds_bucket{${http},le="${le}"}[${range}]))\n` +
        `  / ${httpBy} (rate(flowlens_http_request_duration_seconds_count{${http}}[${range}]))`,
      requests: (range) => `${httpBy} (rate(flowlens_http_request_duration_seconds_count{${http}}[${range}]))`,
    });
  }
  if (objectives.dnsErrorBudget !== undefined) {
    queries.push({
      key: 'dnsErrorBudget',
      alertPrefix: 'FlowlensProfileDNSErrors',
      label: 'dns_errors',
      by: 'client',
      what: 'DNS queries answered SERVFAIL or REFUSED',
      ratio: (range) =>
        `${dnsBy} (rate(flowlens_dns_requests_total{${dns},rcode=~"SERVFAIL|REFUSED"}[${range}]))\n` +
        `  / ${dnsBy} (rate(flowlens_dns_requests_total{${dns}}[${range}]))`,
      requests: (range) => `${dnsBy} (rate(flowlens_dns_requests_total{${dns}}[${range}]))`,
    });
  }
  return queries;
}

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .map((line) => pad + line)
    .join('\n');
}

/** A rate as PromQL: `(1 / 60)` for one a minute, so the rule shows what the profile says. */
export function requestRateExpression(rate: RequestRate): string {
  return rate.perSeconds === 1 ? String(rate.requests) : `(${rate.requests} / ${rate.perSeconds})`;
}

function burnCondition(query: ObjectiveQuery, objective: RatioObjective, window: BurnWindow): string {
  const threshold = `(${burnFactor(window, objective.windowDays)} * ${errorBudget(objective.target)})`;
  const condition =
    `(\n${indent(query.ratio(window.long), 2)}\n) > ${threshold}\n` +
    `and\n(\n${indent(query.ratio(window.short), 2)}\n) > ${threshold}`;
  if (objective.minRequestRate.requests === 0) return condition;
  // The ratio is the left-hand side of every `and`, so it stays the alert's value.
  return `${condition}\nand\n${query.requests(window.long)} >= ${requestRateExpression(objective.minRequestRate)}`;
}

function alertsFor(profile: ObservabilityProfile, query: ObjectiveQuery): AlertRule[] {
  const objective = profile.spec.objectives[query.key];
  if (objective === undefined) return [];
  const { alerting } = profile.spec;
  const subject = `{{ $labels.${query.by}_namespace }}/{{ $labels.${query.by}_workload }}`;
  const target = `${Number((objective.target * 100).toPrecision(10))}%`;
  return (['page', 'ticket'] as const).map((tier) => {
    const windows = BURN_WINDOWS.filter((window) => window.tier === tier);
    const expr = windows.map((window) => burnCondition(query, objective, window)).join('\nor\n');
    const pace = windows
      .map((window) => `${burnFactor(window, objective.windowDays)}x (over ${window.long} and ${window.short})`)
      .join(' or ');
    return {
      alert: `${query.alertPrefix}BudgetBurn${tier === 'page' ? 'Fast' : 'Slow'}`,
      expr: `${expr}\n`,
      for: tier === 'page' ? '2m' : '15m',
      labels: {
        ...alerting.labels,
        severity: tier === 'page' ? alerting.pageSeverity : alerting.ticketSeverity,
        profile: `${profile.namespace}/${profile.name}`,
        objective: query.label,
      },
      annotations: {
        summary: `${subject} burns its ${query.label.replace('_', ' ')} error budget${tier === 'page' ? ' fast' : ''}`,
        description:
          `{{ $value | humanizePercentage }} of ${query.what} at ${subject}: the error budget of its ${target} ` +
          `objective over ${objective.windowDays}d burns faster than ${pace} the sustainable rate ` +
          `(ObservabilityProfile ${profile.namespace}/${profile.name}).`,
        runbook_url: `https://github.com/flowlens/flowlens/blob/main/docs/profiles.md#${query.label.replace('_', '-')}`,
      },
    };
  });
}

export function profileRuleGroup(profile: ObservabilityProfile): RuleGroup {
  return {
    name: `flowlens-profile-${profile.namespace}-${profile.name}`,
    rules: objectiveQueries(profile).flatMap((query) => alertsFor(profile, query)),
  };
}

const HEADER =
  '# Generated by `flowlens rules generate` from ObservabilityProfiles; do not edit: change the profile and regenerate.\n';

/** A Prometheus rule file (`promtool check rules` reads it) with one group per profile. */
export function renderRuleFile(profiles: readonly ObservabilityProfile[]): string {
  return HEADER + stringify({ groups: profiles.map(profileRuleGroup) }, { lineWidth: 0 });
}

/** One Prometheus Operator PrometheusRule per profile, in the profile's namespace, as a multi-document YAML stream. */
export function renderPrometheusRules(profiles: readonly ObservabilityProfile[]): string {
  const documents = profiles.map((profile) =>
    stringify(
      {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'PrometheusRule',
        metadata: {
          name: `flowlens-profile-${profile.name}`,
          namespace: profile.namespace,
          labels: { 'app.kubernetes.io/name': 'flowlens', 'flowlens.io/profile': profile.name },
        },
        spec: { groups: [profileRuleGroup(profile)] },
      },
      { lineWidth: 0 },
    ),
  );
  return HEADER + documents.join('---\n');
}
