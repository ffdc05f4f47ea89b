// The Recommendations page's data: the exporter's `/api/v1/recommendations?diff=true` answer, read defensively
// (errors name the field, so a drift between the exporter and the app says where), turned into what the page shows:
// per policy a status badge and YAML lines marked added, removed or kept; the traffic summary; the YAML to copy or
// download; and, when the call fails, what to fix. Pure: the page only fetches and draws.
import { EXPORTER_ROUTE, PLUGIN_ID } from '../constants';

export const RECOMMEND_FORMATS = ['kubernetes', 'calico-staged'] as const;
export type RecommendFormat = (typeof RECOMMEND_FORMATS)[number];
export type PolicyStatus = 'new' | 'changed' | 'unchanged';
export type LineOp = 'same' | 'removed' | 'added';

export interface DiffLine {
  op: LineOp;
  text: string;
}

export interface SelectingPolicy {
  policy: string;
  kind: string;
  tier: string;
  staged: boolean;
  directions: string[];
}

export interface PolicyDiff {
  kind: string;
  namespace: string;
  name: string;
  status: PolicyStatus;
  yaml: string;
  yamlDiff: DiffLine[] | null;
  workloads: string[];
  enforcedSelecting: SelectingPolicy[];
}

export interface DeniedFlow {
  source: string;
  destination: string;
  port: number;
  protocol: string;
  deniedBy: string;
  direction: string;
  recommended: string;
}

export interface AllowedPair {
  source: string;
  destination: string;
  port: number;
  protocol: string;
  allowedBy: string;
}

export interface TrafficDiff {
  observedDeniedToday: { evaluated: number; denied: number; flows: DeniedFlow[] };
  allowedBeyondObserved: {
    ports: string[];
    enumerated: number;
    enumerationComplete: boolean;
    maxEnumerated: number;
    evaluated: number;
    sampled: boolean;
    allowed: number;
    estimatedAllowed: number;
    examples: AllowedPair[];
  };
}

/** The answer of `GET /api/v1/recommendations?diff=true` (JSON), the fields the page reads. */
export interface RecommendationsAnswer {
  format: RecommendFormat;
  namespace: string | null;
  warnings: string[];
  flowsUsed: number;
  observed: {
    /** Which flows the policies stand on: the answering exporter's own, or the cluster's in Prometheus. */
    source: ObservedSource;
    flows: number;
    budget: number;
    dropped: number;
    complete: boolean;
  };
  diff: { policies: PolicyDiff[]; traffic: TrafficDiff };
}

/** The answer is not what this version of the app reads: the exporter and the app have drifted apart. */
export class RecommendationsShapeError extends Error {}

/** The plugin-proxy URL of the recommendations of a namespace (undefined: all) in a format, with the diff. */
export function recommendationsUrl(namespace: string | undefined, format: RecommendFormat): string {
  const query = new URLSearchParams();
  if (namespace !== undefined) query.set('namespace', namespace);
  query.set('format', format);
  query.set('diff', 'true');
  return `/api/plugin-proxy/${PLUGIN_ID}/${EXPORTER_ROUTE}/api/v1/recommendations?${query.toString()}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the answer

type Json = Record<string, unknown>;

function record(value: unknown, field: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RecommendationsShapeError(`${field} must be an object`);
  }
  return value as Json;
}

function list(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) throw new RecommendationsShapeError(`${field} must be a list`);
  return value;
}

function text(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new RecommendationsShapeError(`${field} must be a string`);
  return value;
}

function count(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RecommendationsShapeError(`${field} must be a number`);
  }
  return value;
}

function flag(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new RecommendationsShapeError(`${field} must be true or false`);
  return value;
}

function oneOf<T extends string>(value: unknown, values: readonly T[], field: string): T {
  const found = values.find((candidate) => candidate === value);
  if (found === undefined) throw new RecommendationsShapeError(`${field} must be one of ${values.join(', ')}`);
  return found;
}

function strings(value: unknown, field: string): string[] {
  return list(value, field).map((item, index) => text(item, `${field}[${index}]`));
}

function readPolicy(value: unknown, field: string): PolicyDiff {
  const policy = record(value, field);
  const yamlDiff =
    policy['yamlDiff'] === null
      ? null
      : list(policy['yamlDiff'], `${field}.yamlDiff`).map((item, index) => {
          const line = record(item, `${field}.yamlDiff[${index}]`);
          return {
            op: oneOf(line['op'], ['same', 'removed', 'added'] as const, `${field}.yamlDiff[${index}].op`),
            text: text(line['text'], `${field}.yamlDiff[${index}].text`),
          };
        });
  return {
    kind: text(policy['kind'], `${field}.kind`),
    namespace: text(policy['namespace'], `${field}.namespace`),
    name: text(policy['name'], `${field}.name`),
    status: oneOf(policy['status'], ['new', 'changed', 'unchanged'] as const, `${field}.status`),
    yaml: text(policy['yaml'], `${field}.yaml`),
    yamlDiff,
    workloads: strings(policy['workloads'], `${field}.workloads`),
    enforcedSelecting: list(policy['enforcedSelecting'], `${field}.enforcedSelecting`).map((item, index) => {
      const where = `${field}.enforcedSelecting[${index}]`;
      const selecting = record(item, where);
      return {
        policy: text(selecting['policy'], `${where}.policy`),
        kind: text(selecting['kind'], `${where}.kind`),
        tier: text(selecting['tier'], `${where}.tier`),
        staged: flag(selecting['staged'], `${where}.staged`),
        directions: strings(selecting['directions'], `${where}.directions`),
      };
    }),
  };
}

function readTraffic(value: unknown): TrafficDiff {
  const traffic = record(value, 'diff.traffic');
  const today = record(traffic['observedDeniedToday'], 'diff.traffic.observedDeniedToday');
  const beyond = record(traffic['allowedBeyondObserved'], 'diff.traffic.allowedBeyondObserved');
  const at = (name: string): string => `diff.traffic.allowedBeyondObserved.${name}`;
  return {
    observedDeniedToday: {
      evaluated: count(today['evaluated'], 'diff.traffic.observedDeniedToday.evaluated'),
      denied: count(today['denied'], 'diff.traffic.observedDeniedToday.denied'),
      flows: list(today['flows'], 'diff.traffic.observedDeniedToday.flows').map((item, index) => {
        const where = `diff.traffic.observedDeniedToday.flows[${index}]`;
        const flow = record(item, where);
        return {
          source: text(flow['source'], `${where}.source`),
          destination: text(flow['destination'], `${where}.destination`),
          port: count(flow['port'], `${where}.port`),
          protocol: text(flow['protocol'], `${where}.protocol`),
          deniedBy: text(flow['deniedBy'], `${where}.deniedBy`),
          direction: text(flow['direction'], `${where}.direction`),
          recommended: text(flow['recommended'], `${where}.recommended`),
        };
      }),
    },
    allowedBeyondObserved: {
      ports: strings(beyond['ports'], at('ports')),
      enumerated: count(beyond['enumerated'], at('enumerated')),
      enumerationComplete: flag(beyond['enumerationComplete'], at('enumerationComplete')),
      maxEnumerated: count(beyond['maxEnumerated'], at('maxEnumerated')),
      evaluated: count(beyond['evaluated'], at('evaluated')),
      sampled: flag(beyond['sampled'], at('sampled')),
      allowed: count(beyond['allowed'], at('allowed')),
      estimatedAllowed: count(beyond['estimatedAllowed'], at('estimatedAllowed')),
      examples: list(beyond['examples'], at('examples')).map((item, index) => {
        const where = at(`examples[${index}]`);
        const pair = record(item, where);
        return {
          source: text(pair['source'], `${where}.source`),
          destination: text(pair['destination'], `${where}.destination`),
          port: count(pair['port'], `${where}.port`),
          protocol: text(pair['protocol'], `${where}.protocol`),
          allowedBy: text(pair['allowedBy'], `${where}.allowedBy`),
        };
      }),
    },
  };
}

export const OBSERVED_SOURCES = ['local', 'prometheus'] as const;
export type ObservedSource = (typeof OBSERVED_SOURCES)[number];

/** What the policies were recommended from, in a sentence. */
export function observedSummary(answer: RecommendationsAnswer): string {
  const { source, flows, dropped } = answer.observed;
  const from =
    source === 'prometheus'
      ? "the whole cluster's allowed flows in Prometheus (the exporter's api.prometheus range)"
      : "the flows the answering exporter observed since it started (one node's; configure api.prometheus for the whole cluster)";
  const incomplete = dropped > 0 ? `; ${dropped} more past the budget were not kept` : '';
  return `Recommended from ${flows} distinct observed flows: ${from}${incomplete}.`;
}

/** Reads the JSON answer; throws RecommendationsShapeError naming the first field that is not as expected. */
export function parseRecommendations(body: unknown): RecommendationsAnswer {
  const answer = record(body, 'the answer');
  const observed = record(answer['observed'], 'observed');
  if (answer['diff'] === undefined) {
    throw new RecommendationsShapeError('diff is missing: the exporter predates diff=true; upgrade it');
  }
  const diff = record(answer['diff'], 'diff');
  return {
    format: oneOf(answer['format'], RECOMMEND_FORMATS, 'format'),
    namespace: answer['namespace'] === null ? null : text(answer['namespace'], 'namespace'),
    warnings: strings(answer['warnings'], 'warnings'),
    flowsUsed: count(answer['flowsUsed'], 'flowsUsed'),
    observed: {
      // Exporters before api.prometheus answered from their own flows only.
      source:
        observed['source'] === undefined ? 'local' : oneOf(observed['source'], OBSERVED_SOURCES, 'observed.source'),
      flows: count(observed['flows'], 'observed.flows'),
      budget: count(observed['budget'], 'observed.budget'),
      dropped: count(observed['dropped'], 'observed.dropped'),
      complete: flag(observed['complete'], 'observed.complete'),
    },
    diff: {
      policies: list(diff['policies'], 'diff.policies').map((item, index) =>
        readPolicy(item, `diff.policies[${index}]`),
      ),
      traffic: readTraffic(diff['traffic']),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// What the page shows

export interface PolicyView {
  key: string;
  title: string;
  status: PolicyStatus;
  /** Grafana Badge colors: new green, changed orange, unchanged blue. */
  badgeColor: 'green' | 'orange' | 'blue';
  /** The YAML as lines to draw: a changed policy's diff; a new one all added; an unchanged one all kept. */
  lines: DiffLine[];
  added: number;
  removed: number;
  selects: string;
  enforcedToday: string;
}

const BADGE_COLORS = { new: 'green', changed: 'orange', unchanged: 'blue' } as const;

function yamlLines(yaml: string): string[] {
  const lines = yaml.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function policyViews(answer: RecommendationsAnswer): PolicyView[] {
  return answer.diff.policies.map((policy) => {
    const lines: DiffLine[] =
      policy.status === 'changed' && policy.yamlDiff !== null
        ? policy.yamlDiff
        : yamlLines(policy.yaml).map((line) => ({ op: policy.status === 'new' ? 'added' : 'same', text: line }));
    return {
      key: `${policy.kind}/${policy.namespace}/${policy.name}`,
      title: `${policy.kind} ${policy.namespace}/${policy.name}`,
      status: policy.status,
      badgeColor: BADGE_COLORS[policy.status],
      lines,
      added: policy.status === 'changed' ? lines.filter((line) => line.op === 'added').length : 0,
      removed: policy.status === 'changed' ? lines.filter((line) => line.op === 'removed').length : 0,
      selects: policy.workloads.length === 0 ? 'no pods' : policy.workloads.join(', '),
      enforcedToday:
        policy.enforcedSelecting.length === 0
          ? 'none: these workloads are not isolated today'
          : policy.enforcedSelecting
              .map((selecting) => `${selecting.policy} (${selecting.directions.join(' and ')})`)
              .join(', '),
    };
  });
}

export interface TrafficSummary {
  deniedToday: string;
  deniedFlows: string[];
  allowedBeyond: string;
  /** How the count was made: all pairs, a sample, a capped enumeration. */
  allowedMethod: string;
  allowedExamples: string[];
}

export function trafficSummary(answer: RecommendationsAnswer): TrafficSummary {
  const { observedDeniedToday: today, allowedBeyondObserved: beyond } = answer.diff.traffic;
  const method = [
    beyond.enumerationComplete
      ? `${beyond.enumerated} unobserved workload pairs on the observed ports (${beyond.ports.join(', ') || 'none'})`
      : `the first ${beyond.enumerated} unobserved workload pairs (enumeration capped at ${beyond.maxEnumerated})`,
    beyond.sampled
      ? `a sample of ${beyond.evaluated} evaluated with the policy engine, so the total is an estimate`
      : 'all evaluated with the policy engine',
  ].join('; ');
  return {
    deniedToday: `${today.denied} of ${today.evaluated} observed flows are denied by the enforced policies today; the recommendation allows them.`,
    deniedFlows: today.flows.map(
      (flow) =>
        `${flow.source} → ${flow.destination} ${flow.protocol}/${flow.port}: denied at ${flow.direction} by ${flow.deniedBy}`,
    ),
    allowedBeyond: beyond.sampled
      ? `About ${beyond.estimatedAllowed} unobserved connections are allowed today and denied by the recommendation (${beyond.allowed} of ${beyond.evaluated} sampled).`
      : `${beyond.allowed} unobserved connections are allowed today and denied by the recommendation.`,
    allowedMethod: method,
    allowedExamples: beyond.examples.map(
      (pair) =>
        `${pair.source} → ${pair.destination} ${pair.protocol}/${pair.port}: allowed by ${pair.allowedBy === 'none' ? 'no policy (neither end isolated)' : pair.allowedBy}`,
    ),
  };
}

/** Every recommended policy as one YAML stream, as `kubectl apply -f` takes it. */
export function recommendationsYaml(answer: RecommendationsAnswer): string {
  const header = `# Recommended by Flowlens (${answer.format}${answer.namespace === null ? '' : `, namespace ${answer.namespace}`}).\n`;
  return header + answer.diff.policies.map((policy) => `---\n${policy.yaml}`).join('');
}

export function downloadFileName(namespace: string | undefined, format: RecommendFormat): string {
  return `flowlens-recommended-${namespace ?? 'all-namespaces'}-${format}.yaml`;
}

/** The namespaces an answer names (its policies' and their workloads'), sorted: the picker's options. */
export function namespacesOf(answer: RecommendationsAnswer): string[] {
  const names = new Set<string>();
  for (const policy of answer.diff.policies) {
    names.add(policy.namespace);
    for (const workload of policy.workloads) names.add(workload.split('/')[0] ?? workload);
  }
  return [...names].sort();
}

// ---------------------------------------------------------------------------------------------------------------
// When it cannot be shown

export interface Problem {
  title: string;
  /** What to do about it. */
  fix: string;
  /** The fix is on the Configuration page. */
  configure: boolean;
}

/** Before calling: a missing URL or token. */
export function settingsProblem(exporterUrl: string | undefined, tokenConfigured: boolean): Problem | undefined {
  if (exporterUrl === undefined) {
    return {
      title: 'The exporter API URL is not set',
      fix: "Set the exporter's base URL (e.g. http://flowlens.flowlens.svc:9470) on the Configuration page; Grafana's server calls it, so it must be reachable from there.",
      configure: true,
    };
  }
  if (!tokenConfigured) {
    return {
      title: 'The exporter API token is not set',
      fix: "Set the API token on the Configuration page to the contents of the exporter's api.tokenFile.",
      configure: true,
    };
  }
  return undefined;
}

/** A failed call, by HTTP status (0: no answer), with the exporter's own message when it sent one. */
export function explainFailure(status: number, body: unknown): Problem {
  const message = typeof body === 'string' ? body.trim() : messageOf(body);
  const said = message === '' ? '' : ` The exporter said: ${message}`;
  // The exporter computes one recommendation at a time within api.recommendationTimeout: its own 503 and 504 say so.
  if (status === 503 && message.startsWith('busy:')) {
    return {
      title: 'The exporter is busy with other recommendations (503)',
      fix: `Reload in a few seconds.${said}`,
      configure: false,
    };
  }
  if (status === 504 && message.includes('api.recommendationTimeout')) {
    return {
      title: 'The recommendation took too long (504)',
      fix: `Pick one namespace, or raise api.recommendationTimeout in the exporter's configuration.${said}`,
      configure: false,
    };
  }
  switch (status) {
    case 401:
      return {
        title: 'The exporter refused the token (401)',
        fix: `Set the API token on the Configuration page to the exporter's current api.tokenFile.${said}`,
        configure: true,
      };
    case 403:
      return {
        title: 'The exporter does not allow this caller (403)',
        fix: `The exporter's api section allows other callers (client certificates by CN or O): allow token callers, or configure the token it accepts.${said}`,
        configure: true,
      };
    case 503:
      return {
        title: 'The exporter cannot recommend yet (503)',
        fix: `It has no cluster view yet, or does not know the enforced policies: serve with --resources or --kubernetes, wait for /readyz, and grant the ClusterRole its policy rules; then reload.${said}`,
        configure: false,
      };
    case 404:
      return {
        title: 'No recommendations endpoint (404)',
        fix: `The exporter serves /api/v1/recommendations only with an api section in its configuration (api.tokenFile); or the URL on the Configuration page is not the exporter's.${said}`,
        configure: true,
      };
    case 400:
      return { title: 'The exporter rejected the request (400)', fix: message, configure: false };
    case 0:
    case 502:
    case 504:
      return {
        title: `Grafana could not reach the exporter${status === 0 ? '' : ` (${status})`}`,
        fix: `Check the exporter API URL on the Configuration page: Grafana's server must reach it.${said}`,
        configure: true,
      };
    default:
      return { title: `The call failed (${status})`, fix: message, configure: false };
  }
}

function messageOf(body: unknown): string {
  if (typeof body === 'object' && body !== null && 'message' in body) {
    const message = (body as { message: unknown }).message;
    if (typeof message === 'string') return message.trim();
  }
  return '';
}
