/**
 * Slim projections of Calico's `projectcalico.org/v3` policy objects (also accepted under their CRD apiVersion
 * `crd.projectcalico.org/v1`), parsed from their JSON as `kubectl get -o json` or `calicoctl get -o json` print
 * them: Tier, NetworkPolicy, GlobalNetworkPolicy, their Staged variants, StagedKubernetesNetworkPolicy,
 * NetworkSet and GlobalNetworkSet. Selectors are parsed once with Calico's selector language, CIDRs into
 * integers, ports into ranges or names, protocols into IANA numbers, defaults applied.
 *
 * Each parse function throws a PolicyParseError naming the object and field, e.g.
 * `GlobalNetworkPolicy allow-dns: spec.egress[0].destination.ports[1] must be a port, "N:M" range or port name`.
 */
import { type Cidr, parseCidr } from '../kubernetes/cidr';
import {
  FieldContext,
  type JsonObject,
  PolicyParseError,
  describeType,
  isAbsent,
  optionalArray,
  optionalObject,
  optionalStringMap,
  rejectUnknownFields,
  requireObject,
  requireString,
} from '../kubernetes/fields';
import { type NetworkPolicy, parseNetworkPolicy } from '../kubernetes/model';
import { type Selector, SelectorSyntaxError, parseSelector } from '../selector';

export type Labels = Readonly<Record<string, string>>;

export const CALICO_V3 = 'projectcalico.org/v3';
export const CALICO_CRD_V1 = 'crd.projectcalico.org/v1';
export const DEFAULT_TIER = 'default';

export type TierDefaultAction = 'Deny' | 'Pass';

export interface Tier {
  readonly kind: 'Tier';
  readonly name: string;
  /** Lower first; undefined sorts after every ordered tier. */
  readonly order: number | undefined;
  /** What happens when policies of the tier select an endpoint and none of their rules matches. */
  readonly defaultAction: TierDefaultAction;
}

export type RuleAction = 'Allow' | 'Deny' | 'Pass' | 'Log';

/** A set of ports: inclusive ranges (a single port is `start === end`) and names resolved per connection. */
export interface PortSet {
  readonly ranges: readonly { readonly start: number; readonly end: number }[];
  readonly names: readonly string[];
}

export interface ServiceAccountMatch {
  /** Empty: any name. */
  readonly names: readonly string[];
  /** undefined: any labels. */
  readonly selector: Selector | undefined;
}

/** One side (source or destination) of a rule. Every field left undefined matches everything. */
export interface EntityRule {
  readonly nets: readonly Cidr[] | undefined;
  readonly notNets: readonly Cidr[] | undefined;
  readonly selector: Selector | undefined;
  readonly notSelector: Selector | undefined;
  readonly namespaceSelector: Selector | undefined;
  readonly serviceAccounts: ServiceAccountMatch | undefined;
  readonly ports: PortSet | undefined;
  readonly notPorts: PortSet | undefined;
  /** `services` is parsed but the engine has no Service endpoints: such an entity never matches. */
  readonly matchesServices: boolean;
}

export interface CalicoRule {
  readonly action: RuleAction;
  /** IANA protocol numbers; undefined matches every protocol. */
  readonly protocol: number | undefined;
  readonly notProtocol: number | undefined;
  readonly ipVersion: 4 | 6 | undefined;
  readonly source: EntityRule;
  readonly destination: EntityRule;
  /**
   * True when the rule needs what a flow does not carry (ICMP type/code, HTTP method/path): the engine treats
   * such a rule as not matching rather than guessing.
   */
  readonly needsUnknownFields: boolean;
}

export type CalicoPolicyKind =
  'NetworkPolicy' | 'GlobalNetworkPolicy' | 'StagedNetworkPolicy' | 'StagedGlobalNetworkPolicy';

export type StagedAction = 'Set' | 'Delete';

export interface CalicoPolicy {
  readonly kind: CalicoPolicyKind;
  /** Empty for the global kinds. */
  readonly namespace: string;
  /** metadata.name without the `<tier>.` prefix Calico adds to policies' names. */
  readonly name: string;
  /** `<namespace>/<name>` or `<name>`, the `policy` label. */
  readonly label: string;
  readonly tier: string;
  /** Lower first; undefined sorts after every ordered policy. */
  readonly order: number | undefined;
  readonly selector: Selector;
  /** GlobalNetworkPolicy only: the namespaces whose endpoints it applies to; undefined for all. */
  readonly namespaceSelector: Selector | undefined;
  readonly serviceAccountSelector: Selector | undefined;
  readonly appliesToIngress: boolean;
  readonly appliesToEgress: boolean;
  readonly ingress: readonly CalicoRule[];
  readonly egress: readonly CalicoRule[];
  readonly staged: boolean;
  /** Staged kinds only (`Set` otherwise): `Delete` previews removing the enforced policy of the same name. */
  readonly stagedAction: StagedAction;
  /** doNotTrack / preDNAT policies apply to host endpoints only, never to pods. */
  readonly hostEndpointsOnly: boolean;
}

export interface StagedKubernetesNetworkPolicy {
  readonly kind: 'StagedKubernetesNetworkPolicy';
  readonly stagedAction: StagedAction;
  /** The spec as a Kubernetes NetworkPolicy would have it. */
  readonly policy: NetworkPolicy;
}

export interface NetworkSet {
  readonly kind: 'NetworkSet' | 'GlobalNetworkSet';
  /** Empty for a GlobalNetworkSet. */
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels;
  readonly nets: readonly Cidr[];
}

export type CalicoObject = Tier | CalicoPolicy | StagedKubernetesNetworkPolicy | NetworkSet;

/** IANA numbers of the protocol names Calico accepts. */
export const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = Object.freeze({
  TCP: 6,
  UDP: 17,
  ICMP: 1,
  ICMPv6: 58,
  SCTP: 132,
  UDPLite: 136,
});

const MAX_PORT = 65535;
const RULE_ACTIONS: readonly RuleAction[] = ['Allow', 'Deny', 'Pass', 'Log'];
const POLICY_KINDS: readonly string[] = [
  'NetworkPolicy',
  'GlobalNetworkPolicy',
  'StagedNetworkPolicy',
  'StagedGlobalNetworkPolicy',
];

// ---------------------------------------------------------------------------------------------------------------
// Envelope

interface Envelope {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels;
  readonly context: FieldContext;
  readonly object: JsonObject;
  readonly spec: JsonObject;
}

function isNamespacedKind(kind: string): boolean {
  return kind === 'NetworkPolicy' || kind === 'StagedNetworkPolicy' || kind === 'NetworkSet';
}

function parseEnvelope(value: unknown, allowedKinds: readonly string[], fallbackKind: string): Envelope {
  const context: FieldContext = new FieldContext(`${fallbackKind} <unnamed>`);
  const object = requireObject(value, '(object)', context);
  const kindValue = object['kind'];
  let kind = fallbackKind;
  if (!isAbsent(kindValue)) {
    const known = allowedKinds.find((candidate) => candidate === kindValue);
    if (known === undefined) {
      context.fail('kind', `must be one of ${allowedKinds.join(', ')}, got ${describeType(kindValue)}`);
    }
    kind = known;
    context.subject = `${kind} <unnamed>`;
  }
  const apiVersion = object['apiVersion'];
  if (!isAbsent(apiVersion) && apiVersion !== CALICO_V3 && apiVersion !== CALICO_CRD_V1) {
    context.fail('apiVersion', `must be "${CALICO_V3}" or "${CALICO_CRD_V1}", got ${describeType(apiVersion)}`);
  }
  const metadata = requireObject(object['metadata'], 'metadata', context);
  const name = requireString(metadata['name'], 'metadata.name', context);
  context.subject = `${kind} ${name}`;
  let namespace = '';
  if (isNamespacedKind(kind) || kind === 'StagedKubernetesNetworkPolicy') {
    namespace = isAbsent(metadata['namespace'])
      ? 'default'
      : requireString(metadata['namespace'], 'metadata.namespace', context);
    context.subject = `${kind} ${namespace}/${name}`;
  }
  const labels = optionalStringMap(metadata['labels'], 'metadata.labels', context);
  const spec = optionalObject(object['spec'], 'spec', context) ?? {};
  return { kind, namespace, name, labels, context, object, spec };
}

// ---------------------------------------------------------------------------------------------------------------
// Field helpers

function optionalSelector(value: unknown, path: string, context: FieldContext): Selector | undefined {
  if (isAbsent(value) || value === '') return undefined;
  if (typeof value !== 'string') context.fail(path, `must be a selector string, got ${describeType(value)}`);
  try {
    return parseSelector(value);
  } catch (error) {
    if (error instanceof SelectorSyntaxError) context.fail(path, `is not a valid selector: ${error.message}`);
    throw error;
  }
}

function optionalOrder(value: unknown, path: string, context: FieldContext): number | undefined {
  if (isAbsent(value)) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    context.fail(path, `must be a number, got ${describeType(value)}`);
  }
  return value;
}

function parseProtocolValue(value: unknown, path: string, context: FieldContext): number | undefined {
  if (isAbsent(value)) return undefined;
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > 255) {
      context.fail(path, `must be a protocol number from 0 to 255, got ${describeType(value)}`);
    }
    return value;
  }
  if (typeof value === 'string') {
    const named = PROTOCOL_NUMBERS[value];
    if (named !== undefined) return named;
    if (/^\d{1,3}$/.test(value) && Number(value) <= 255) return Number(value);
  }
  return context.fail(
    path,
    `must be one of ${Object.keys(PROTOCOL_NUMBERS).join(', ')} or a number, got ${describeType(value)}`,
  );
}

/** Calico accepts bare addresses in `nets`: a host route. */
function parseNet(value: unknown, path: string, context: FieldContext): Cidr {
  const text = requireString(value, path, context);
  const cidr = parseCidr(text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`);
  if (cidr === undefined) context.fail(path, `must be an IPv4 or IPv6 CIDR such as 10.0.0.0/8, got "${text}"`);
  return cidr;
}

function optionalNets(value: unknown, path: string, context: FieldContext): Cidr[] | undefined {
  const list = optionalArray(value, path, context);
  if (list === undefined) return undefined;
  return list.map((entry, i) => parseNet(entry, `${path}[${i}]`, context));
}

function parsePortNumber(text: string, path: string, context: FieldContext): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 0 && port <= MAX_PORT)) context.fail(path, `must be a port from 0 to ${MAX_PORT}, got "${text}"`);
  return port;
}

function optionalPorts(value: unknown, path: string, context: FieldContext): PortSet | undefined {
  const list = optionalArray(value, path, context);
  if (list === undefined) return undefined;
  const ranges: { start: number; end: number }[] = [];
  const names: string[] = [];
  list.forEach((entry, i) => {
    const entryPath = `${path}[${i}]`;
    if (typeof entry === 'number') {
      ranges.push({ start: parsePortNumber(String(entry), entryPath, context), end: entry });
      return;
    }
    if (typeof entry !== 'string' || entry === '') {
      context.fail(entryPath, `must be a port, "N:M" range or port name, got ${describeType(entry)}`);
    }
    const range = /^(\d+):(\d+)$/.exec(entry);
    if (range !== null) {
      const start = parsePortNumber(range[1] ?? '', entryPath, context);
      const end = parsePortNumber(range[2] ?? '', entryPath, context);
      if (start > end) context.fail(entryPath, `must be a range with start <= end, got "${entry}"`);
      ranges.push({ start, end });
    } else if (/^\d+$/.test(entry)) {
      const port = parsePortNumber(entry, entryPath, context);
      ranges.push({ start: port, end: port });
    } else {
      names.push(entry);
    }
  });
  return { ranges, names };
}

const ENTITY_FIELDS = [
  'nets',
  'notNets',
  'selector',
  'notSelector',
  'namespaceSelector',
  'serviceAccounts',
  'ports',
  'notPorts',
  'services',
  'notNet',
  'net',
] as const;

function parseEntityRule(value: unknown, path: string, context: FieldContext): EntityRule {
  const entity = optionalObject(value, path, context) ?? {};
  rejectUnknownFields(entity, ENTITY_FIELDS, path, context);
  // The v1 data model's single `net`/`notNet` are accepted as one-element lists.
  const nets = optionalNets(entity['nets'], `${path}.nets`, context);
  const singleNet = isAbsent(entity['net']) ? undefined : [parseNet(entity['net'], `${path}.net`, context)];
  const notNets = optionalNets(entity['notNets'], `${path}.notNets`, context);
  const singleNotNet = isAbsent(entity['notNet']) ? undefined : [parseNet(entity['notNet'], `${path}.notNet`, context)];
  let serviceAccounts: ServiceAccountMatch | undefined;
  const accounts = optionalObject(entity['serviceAccounts'], `${path}.serviceAccounts`, context);
  if (accounts !== undefined) {
    rejectUnknownFields(accounts, ['names', 'selector'], `${path}.serviceAccounts`, context);
    const names = (optionalArray(accounts['names'], `${path}.serviceAccounts.names`, context) ?? []).map((name, i) =>
      requireString(name, `${path}.serviceAccounts.names[${i}]`, context),
    );
    serviceAccounts = {
      names,
      selector: optionalSelector(accounts['selector'], `${path}.serviceAccounts.selector`, context),
    };
  }
  return {
    nets: nets ?? singleNet,
    notNets: notNets ?? singleNotNet,
    selector: optionalSelector(entity['selector'], `${path}.selector`, context),
    notSelector: optionalSelector(entity['notSelector'], `${path}.notSelector`, context),
    namespaceSelector: optionalSelector(entity['namespaceSelector'], `${path}.namespaceSelector`, context),
    serviceAccounts,
    ports: optionalPorts(entity['ports'], `${path}.ports`, context),
    notPorts: optionalPorts(entity['notPorts'], `${path}.notPorts`, context),
    matchesServices: !isAbsent(entity['services']),
  };
}

const RULE_FIELDS = [
  'action',
  'ipVersion',
  'protocol',
  'notProtocol',
  'icmp',
  'notICMP',
  'source',
  'destination',
  'http',
  'metadata',
] as const;

function parseRule(value: unknown, path: string, context: FieldContext): CalicoRule {
  const rule = requireObject(value, path, context);
  rejectUnknownFields(rule, RULE_FIELDS, path, context);
  const action = RULE_ACTIONS.find((candidate) => candidate === rule['action']);
  if (action === undefined) {
    context.fail(`${path}.action`, `must be one of ${RULE_ACTIONS.join(', ')}, got ${describeType(rule['action'])}`);
  }
  let ipVersion: 4 | 6 | undefined;
  if (!isAbsent(rule['ipVersion'])) {
    if (rule['ipVersion'] !== 4 && rule['ipVersion'] !== 6) {
      context.fail(`${path}.ipVersion`, `must be 4 or 6, got ${describeType(rule['ipVersion'])}`);
    }
    ipVersion = rule['ipVersion'];
  }
  const source = parseEntityRule(rule['source'], `${path}.source`, context);
  const destination = parseEntityRule(rule['destination'], `${path}.destination`, context);
  const protocol = parseProtocolValue(rule['protocol'], `${path}.protocol`, context);
  for (const [side, entity] of [
    ['source', source],
    ['destination', destination],
  ] as const) {
    if (entity.ports === undefined && entity.notPorts === undefined) continue;
    // Calico's validation: ports need a protocol that has them.
    if (protocol !== 6 && protocol !== 17 && protocol !== 132 && protocol !== 136) {
      context.fail(`${path}.${side}.ports`, 'need protocol TCP, UDP, SCTP or UDPLite');
    }
  }
  return {
    action,
    protocol,
    notProtocol: parseProtocolValue(rule['notProtocol'], `${path}.notProtocol`, context),
    ipVersion,
    source,
    destination,
    needsUnknownFields: !isAbsent(rule['icmp']) || !isAbsent(rule['http']),
  };
}

function parseRules(value: unknown, path: string, context: FieldContext): CalicoRule[] {
  return (optionalArray(value, path, context) ?? []).map((entry, i) => parseRule(entry, `${path}[${i}]`, context));
}

function parseStagedAction(value: unknown, path: string, context: FieldContext): StagedAction {
  if (isAbsent(value)) return 'Set';
  if (value !== 'Set' && value !== 'Delete') context.fail(path, `must be Set or Delete, got ${describeType(value)}`);
  return value;
}

/** Calico names a tiered policy `<tier>.<name>`; the exporter's labels (and flow logs' names) drop the tier. */
function withoutTierPrefix(name: string, tier: string): string {
  return name.startsWith(`${tier}.`) && name.length > tier.length + 1 ? name.slice(tier.length + 1) : name;
}

// ---------------------------------------------------------------------------------------------------------------
// Public parsers

/** Parses a Tier. */
export function parseTier(value: unknown): Tier {
  const { name, context, spec } = parseEnvelope(value, ['Tier'], 'Tier');
  rejectUnknownFields(spec, ['order', 'defaultAction'], 'spec', context);
  const actionValue = spec['defaultAction'];
  let defaultAction: TierDefaultAction = 'Deny';
  if (!isAbsent(actionValue)) {
    defaultAction =
      actionValue === 'Deny' || actionValue === 'Pass'
        ? actionValue
        : context.fail('spec.defaultAction', `must be Deny or Pass, got ${describeType(actionValue)}`);
  }
  return {
    kind: 'Tier',
    name,
    order: optionalOrder(spec['order'], 'spec.order', context),
    defaultAction,
  };
}

const POLICY_FIELDS = [
  'tier',
  'order',
  'selector',
  'namespaceSelector',
  'serviceAccountSelector',
  'types',
  'ingress',
  'egress',
  'doNotTrack',
  'preDNAT',
  'applyOnForward',
  'performanceHints',
  'stagedAction',
] as const;

/** Parses a (Staged)NetworkPolicy or (Staged)GlobalNetworkPolicy; `kind` decides which when present. */
export function parseCalicoPolicy(value: unknown): CalicoPolicy {
  const { kind, namespace, name, context, spec } = parseEnvelope(value, POLICY_KINDS, 'NetworkPolicy');
  rejectUnknownFields(spec, POLICY_FIELDS, 'spec', context);
  const global = kind === 'GlobalNetworkPolicy' || kind === 'StagedGlobalNetworkPolicy';
  const staged = kind.startsWith('Staged');
  if (!global && !isAbsent(spec['namespaceSelector'])) {
    context.fail('spec.namespaceSelector', 'is only valid on GlobalNetworkPolicy');
  }
  if (!staged && !isAbsent(spec['stagedAction'])) context.fail('spec.stagedAction', 'is only valid on staged policies');
  const tier = isAbsent(spec['tier']) ? DEFAULT_TIER : requireString(spec['tier'], 'spec.tier', context);
  const ingress = parseRules(spec['ingress'], 'spec.ingress', context);
  const egress = parseRules(spec['egress'], 'spec.egress', context);

  let appliesToIngress: boolean;
  let appliesToEgress: boolean;
  const types = optionalArray(spec['types'], 'spec.types', context);
  if (types !== undefined && types.length > 0) {
    appliesToIngress = false;
    appliesToEgress = false;
    types.forEach((type, i) => {
      if (type === 'Ingress') appliesToIngress = true;
      else if (type === 'Egress') appliesToEgress = true;
      else context.fail(`spec.types[${i}]`, `must be Ingress or Egress, got ${describeType(type)}`);
    });
  } else {
    // Calico's defaulting: Ingress when there are ingress rules or no rules at all, Egress when egress rules.
    appliesToIngress = ingress.length > 0 || egress.length === 0;
    appliesToEgress = egress.length > 0;
  }
  const bareName = withoutTierPrefix(name, tier);
  return {
    kind: kind as CalicoPolicyKind,
    namespace,
    name: bareName,
    label: namespace === '' ? bareName : `${namespace}/${bareName}`,
    tier,
    order: optionalOrder(spec['order'], 'spec.order', context),
    selector: optionalSelector(spec['selector'], 'spec.selector', context) ?? parseSelector('all()'),
    namespaceSelector: optionalSelector(spec['namespaceSelector'], 'spec.namespaceSelector', context),
    serviceAccountSelector: optionalSelector(spec['serviceAccountSelector'], 'spec.serviceAccountSelector', context),
    appliesToIngress,
    appliesToEgress,
    ingress,
    egress,
    staged,
    stagedAction: staged ? parseStagedAction(spec['stagedAction'], 'spec.stagedAction', context) : 'Set',
    hostEndpointsOnly: spec['doNotTrack'] === true || spec['preDNAT'] === true,
  };
}

/** Parses a StagedKubernetesNetworkPolicy: a NetworkPolicy spec plus `stagedAction`. */
export function parseStagedKubernetesNetworkPolicy(value: unknown): StagedKubernetesNetworkPolicy {
  const { object, spec, context } = parseEnvelope(
    value,
    ['StagedKubernetesNetworkPolicy'],
    'StagedKubernetesNetworkPolicy',
  );
  const stagedAction = parseStagedAction(spec['stagedAction'], 'spec.stagedAction', context);
  const knpSpec: Record<string, unknown> = { ...spec };
  delete knpSpec['stagedAction'];
  try {
    const policy = parseNetworkPolicy({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: object['metadata'],
      spec: knpSpec,
    });
    return { kind: 'StagedKubernetesNetworkPolicy', stagedAction, policy };
  } catch (error) {
    if (error instanceof PolicyParseError) {
      // Name the staged kind, not the NetworkPolicy it was parsed as.
      throw new PolicyParseError(`${context.subject}: ${error.message.slice(error.message.indexOf(': ') + 2)}`);
    }
    throw error;
  }
}

/** Parses a NetworkSet or GlobalNetworkSet. */
export function parseNetworkSet(value: unknown): NetworkSet {
  const { kind, namespace, name, labels, context, spec } = parseEnvelope(
    value,
    ['NetworkSet', 'GlobalNetworkSet'],
    'GlobalNetworkSet',
  );
  rejectUnknownFields(spec, ['nets', 'allowedEgressDomains'], 'spec', context);
  return {
    kind: kind as NetworkSet['kind'],
    namespace,
    name,
    labels,
    nets: optionalNets(spec['nets'], 'spec.nets', context) ?? [],
  };
}

/** Parses any of the kinds above, dispatching on `kind` (required here). */
export function parseCalicoObject(value: unknown): CalicoObject {
  const context: FieldContext = new FieldContext('Calico object <unnamed>');
  const kind = requireObject(value, '(object)', context)['kind'];
  switch (kind) {
    case 'Tier':
      return parseTier(value);
    case 'NetworkPolicy':
    case 'GlobalNetworkPolicy':
    case 'StagedNetworkPolicy':
    case 'StagedGlobalNetworkPolicy':
      return parseCalicoPolicy(value);
    case 'StagedKubernetesNetworkPolicy':
      return parseStagedKubernetesNetworkPolicy(value);
    case 'NetworkSet':
    case 'GlobalNetworkSet':
      return parseNetworkSet(value);
    default:
      return context.fail('kind', `must be a Calico policy kind, got ${describeType(kind)}`);
  }
}
