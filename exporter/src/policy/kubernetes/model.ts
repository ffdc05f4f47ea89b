/**
 * Slim projections of the cluster objects the Kubernetes policy engine reads: namespaces and pods as the
 * cluster view knows them, and NetworkPolicy, AdminNetworkPolicy and BaselineAdminNetworkPolicy parsed from
 * their JSON (as `kubectl get -o json` prints them) into a form evaluation needs no further work on: selectors
 * as requirement lists, CIDRs as integers, ports as ranges, defaults applied.
 *
 * Each parse function throws a PolicyParseError naming the object and field, e.g.
 * `NetworkPolicy shop/allow-web: spec.ingress[0].ports[1].port must be a number or a port name`.
 */
import { type Cidr, cidrStrictlyWithin, parseCidr } from './cidr';
import {
  FieldContext,
  type JsonObject,
  describeType,
  isAbsent,
  optionalArray,
  optionalObject,
  optionalStringMap,
  rejectUnknownFields,
  requireArray,
  requireInteger,
  requireObject,
  requireString,
} from './fields';
import { type LabelSelector, type Labels, MATCH_ALL, parseLabelSelector } from './label-selector';

export type { LabelSelector, Labels } from './label-selector';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];

export interface NamespaceInfo {
  readonly name: string;
  readonly labels: Labels;
}

export interface ContainerPort {
  /** Empty when the port is not named. */
  readonly name: string;
  readonly port: number;
  readonly protocol: Protocol;
}

export interface PodInfo {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels;
  /** All of the pod's IPs (one per family on dual-stack clusters). */
  readonly ips: readonly string[];
  readonly containerPorts: readonly ContainerPort[];
  /** `spec.serviceAccountName`, for Calico's service-account matches; undefined or empty when unknown. */
  readonly serviceAccount?: string;
}

/**
 * One entry of a rule's port list. Numbered ports and ranges are a `range` (a single port is `start === end`;
 * a protocol without a port is 1-65535). A named port is resolved per connection against the destination pod's
 * container ports; `protocol` undefined (ANP `namedPort`) takes the container port's own protocol.
 */
export type PortMatcher =
  | { readonly kind: 'range'; readonly protocol: Protocol; readonly start: number; readonly end: number }
  | { readonly kind: 'named'; readonly protocol: Protocol | undefined; readonly name: string };

/** undefined matches every port and protocol (a rule without `ports`, or with `ports: []`). */
export type PortList = readonly PortMatcher[] | undefined;

/** Pods in namespaces matching `namespaces` (and named `namespace`, when set) whose labels match `pods`. */
export interface PodPeer {
  readonly kind: 'pods';
  /** Set for a NetworkPolicy peer without namespaceSelector: the policy's own namespace only. */
  readonly namespace: string | undefined;
  readonly namespaces: LabelSelector;
  readonly pods: LabelSelector;
}

export interface IpBlock {
  readonly cidr: Cidr;
  readonly except: readonly Cidr[];
}

/** Endpoints (pods included, by their IPs) whose IP is in one of the blocks and in none of its exceptions. */
export interface IpPeer {
  readonly kind: 'ip';
  readonly blocks: readonly IpBlock[];
}

/** An ANP peer kind the engine has no data for (`nodes`, `domainNames`): parsed, never matches. */
export interface UnmatchedPeer {
  readonly kind: 'unmatched';
  readonly field: 'nodes' | 'domainNames';
}

export type Peer = PodPeer | IpPeer | UnmatchedPeer;

export interface NetworkPolicyRule {
  /** undefined matches every peer (a rule without `from`/`to`, or with an empty list). */
  readonly peers: readonly Peer[] | undefined;
  readonly ports: PortList;
}

export interface NetworkPolicy {
  readonly kind: 'NetworkPolicy';
  readonly namespace: string;
  readonly name: string;
  /** `<namespace>/<name>`, the `policy` label. */
  readonly label: string;
  readonly podSelector: LabelSelector;
  /** spec.policyTypes, or inferred: Ingress always, Egress when spec.egress has a rule. */
  readonly isolatesIngress: boolean;
  readonly isolatesEgress: boolean;
  readonly ingress: readonly NetworkPolicyRule[];
  readonly egress: readonly NetworkPolicyRule[];
}

export type AdminAction = 'Allow' | 'Deny' | 'Pass';

/** The pods an admin policy applies to. A `namespaces` subject is all pods of those namespaces. */
export interface AdminSubject {
  readonly namespaces: LabelSelector;
  readonly pods: LabelSelector;
}

export interface AdminRule<A extends AdminAction = AdminAction> {
  /** spec.*[].name; empty when unset. */
  readonly name: string;
  readonly action: A;
  readonly peers: readonly Peer[];
  readonly ports: PortList;
}

export interface AdminNetworkPolicy {
  readonly kind: 'AdminNetworkPolicy';
  readonly name: string;
  /** The name: admin policies are cluster-wide. */
  readonly label: string;
  /** 0-1000; lower is evaluated first. */
  readonly priority: number;
  readonly subject: AdminSubject;
  readonly ingress: readonly AdminRule[];
  readonly egress: readonly AdminRule[];
}

export interface BaselineAdminNetworkPolicy {
  readonly kind: 'BaselineAdminNetworkPolicy';
  readonly name: string;
  readonly label: string;
  readonly subject: AdminSubject;
  readonly ingress: readonly AdminRule<'Allow' | 'Deny'>[];
  readonly egress: readonly AdminRule<'Allow' | 'Deny'>[];
}

// ---------------------------------------------------------------------------------------------------------------
// Shared pieces

const NETWORKING_V1 = 'networking.k8s.io/v1';
const POLICY_V1ALPHA1 = 'policy.networking.k8s.io/v1alpha1';
const MAX_PORT = 65535;
const MAX_ADMIN_RULES = 100;

interface Metadata {
  readonly namespace: string;
  readonly name: string;
  readonly context: FieldContext;
  readonly spec: JsonObject;
}

/** Checks kind and apiVersion when present and reads metadata; the context names the object from then on. */
function parseEnvelope(value: unknown, kind: string, apiVersion: string, namespaced: boolean): Metadata {
  const context = new FieldContext(`${kind} <unnamed>`);
  const object = requireObject(value, '(object)', context);
  if (!isAbsent(object['kind']) && object['kind'] !== kind) {
    context.fail('kind', `must be "${kind}", got ${describeType(object['kind'])}`);
  }
  if (!isAbsent(object['apiVersion']) && object['apiVersion'] !== apiVersion) {
    context.fail('apiVersion', `must be "${apiVersion}", got ${describeType(object['apiVersion'])}`);
  }
  const metadata = requireObject(object['metadata'], 'metadata', context);
  const name = requireString(metadata['name'], 'metadata.name', context);
  context.subject = `${kind} ${name}`;
  let namespace = '';
  if (namespaced) {
    namespace = isAbsent(metadata['namespace'])
      ? 'default'
      : requireString(metadata['namespace'], 'metadata.namespace', context);
    context.subject = `${kind} ${namespace}/${name}`;
  }
  const spec = requireObject(object['spec'], 'spec', context);
  return { namespace, name, context, spec };
}

function parseProtocol(value: unknown, path: string, context: FieldContext): Protocol {
  if (isAbsent(value)) return 'TCP';
  const protocol = PROTOCOLS.find((candidate) => candidate === value);
  if (protocol === undefined) context.fail(path, `must be one of ${PROTOCOLS.join(', ')}, got ${describeType(value)}`);
  return protocol;
}

function parsePortNumber(value: unknown, path: string, context: FieldContext): number {
  return requireInteger(value, path, context, 1, MAX_PORT);
}

/** IANA_SVC_NAME: 1-15 lower-case alphanumerics or '-', at least one letter, no '-' at either end or doubled. */
export function isPortName(text: string): boolean {
  return /^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/.test(text) && /[a-z]/.test(text) && !text.includes('--');
}

function parsePortName(value: unknown, path: string, context: FieldContext): string {
  const name = requireString(value, path, context);
  if (!isPortName(name)) context.fail(path, `must be a valid port name (IANA_SVC_NAME), got "${name}"`);
  return name;
}

function parseCidrField(value: unknown, path: string, context: FieldContext): Cidr {
  const text = requireString(value, path, context);
  const cidr = parseCidr(text);
  if (cidr === undefined) context.fail(path, `must be an IPv4 or IPv6 CIDR such as 10.0.0.0/8, got "${text}"`);
  return cidr;
}

function parseList<T>(
  value: unknown,
  path: string,
  context: FieldContext,
  parseEntry: (entry: unknown, entryPath: string) => T,
): T[] {
  return (optionalArray(value, path, context) ?? []).map((entry, i) => parseEntry(entry, `${path}[${i}]`));
}

// ---------------------------------------------------------------------------------------------------------------
// NetworkPolicy

/** Parses a `networking.k8s.io/v1` NetworkPolicy. */
export function parseNetworkPolicy(value: unknown): NetworkPolicy {
  const { namespace, name, context, spec } = parseEnvelope(value, 'NetworkPolicy', NETWORKING_V1, true);
  rejectUnknownFields(spec, ['podSelector', 'policyTypes', 'ingress', 'egress'], 'spec', context);
  // A missing podSelector decodes to the empty selector in the API server: every pod of the namespace.
  const podSelector = isAbsent(spec['podSelector'])
    ? MATCH_ALL
    : parseLabelSelector(spec['podSelector'], 'spec.podSelector', context);
  const ingress = parseList(spec['ingress'], 'spec.ingress', context, (entry, path) =>
    parseNetworkPolicyRule(entry, path, 'from', namespace, context),
  );
  const egress = parseList(spec['egress'], 'spec.egress', context, (entry, path) =>
    parseNetworkPolicyRule(entry, path, 'to', namespace, context),
  );
  const policyTypes = parseList(spec['policyTypes'], 'spec.policyTypes', context, (entry, path) => {
    if (entry !== 'Ingress' && entry !== 'Egress') {
      context.fail(path, `must be "Ingress" or "Egress", got ${describeType(entry)}`);
    }
    return entry;
  });
  // The API server's defaulting: without policyTypes, Ingress always and Egress only if there is an egress
  // rule, so `egress: []` (like an absent egress) does not isolate egress.
  const inferred = policyTypes.length === 0;
  return {
    kind: 'NetworkPolicy',
    namespace,
    name,
    label: `${namespace}/${name}`,
    podSelector,
    isolatesIngress: inferred || policyTypes.includes('Ingress'),
    isolatesEgress: inferred ? egress.length > 0 : policyTypes.includes('Egress'),
    ingress,
    egress,
  };
}

function parseNetworkPolicyRule(
  value: unknown,
  path: string,
  peersField: 'from' | 'to',
  namespace: string,
  context: FieldContext,
): NetworkPolicyRule {
  const rule = requireObject(value, path, context);
  rejectUnknownFields(rule, [peersField, 'ports'], path, context);
  const peers = parseList(rule[peersField], `${path}.${peersField}`, context, (entry, peerPath) =>
    parseNetworkPolicyPeer(entry, peerPath, namespace, context),
  );
  const ports = parseList(rule['ports'], `${path}.ports`, context, (entry, portPath) =>
    parseNetworkPolicyPort(entry, portPath, context),
  );
  return { peers: peers.length === 0 ? undefined : peers, ports: ports.length === 0 ? undefined : ports };
}

function parseNetworkPolicyPeer(value: unknown, path: string, namespace: string, context: FieldContext): Peer {
  const peer = requireObject(value, path, context);
  rejectUnknownFields(peer, ['podSelector', 'namespaceSelector', 'ipBlock'], path, context);
  const hasPods = !isAbsent(peer['podSelector']);
  const hasNamespaces = !isAbsent(peer['namespaceSelector']);
  if (!isAbsent(peer['ipBlock'])) {
    if (hasPods || hasNamespaces) context.fail(path, 'must not combine ipBlock with podSelector or namespaceSelector');
    return { kind: 'ip', blocks: [parseIpBlock(peer['ipBlock'], `${path}.ipBlock`, context)] };
  }
  if (!hasPods && !hasNamespaces) context.fail(path, 'must set podSelector, namespaceSelector or ipBlock');
  return {
    kind: 'pods',
    // Without a namespaceSelector the peer is in the policy's own namespace.
    namespace: hasNamespaces ? undefined : namespace,
    namespaces: hasNamespaces
      ? parseLabelSelector(peer['namespaceSelector'], `${path}.namespaceSelector`, context)
      : MATCH_ALL,
    pods: hasPods ? parseLabelSelector(peer['podSelector'], `${path}.podSelector`, context) : MATCH_ALL,
  };
}

function parseIpBlock(value: unknown, path: string, context: FieldContext): IpBlock {
  const block = requireObject(value, path, context);
  rejectUnknownFields(block, ['cidr', 'except'], path, context);
  const cidr = parseCidrField(block['cidr'], `${path}.cidr`, context);
  const except = parseList(block['except'], `${path}.except`, context, (entry, exceptPath) => {
    const excluded = parseCidrField(entry, exceptPath, context);
    if (!cidrStrictlyWithin(excluded, cidr)) {
      context.fail(exceptPath, `must be a strict subset of ${cidr.text}, got "${excluded.text}"`);
    }
    return excluded;
  });
  return { cidr, except };
}

function parseNetworkPolicyPort(value: unknown, path: string, context: FieldContext): PortMatcher {
  const entry = requireObject(value, path, context);
  rejectUnknownFields(entry, ['protocol', 'port', 'endPort'], path, context);
  const protocol = parseProtocol(entry['protocol'], `${path}.protocol`, context);
  const port = entry['port'];
  const endPort = entry['endPort'];
  if (isAbsent(port)) {
    if (!isAbsent(endPort)) context.fail(`${path}.endPort`, 'requires a numeric port');
    return { kind: 'range', protocol, start: 1, end: MAX_PORT };
  }
  if (typeof port === 'string') {
    if (!isAbsent(endPort)) context.fail(`${path}.endPort`, 'requires a numeric port, not a port name');
    return { kind: 'named', protocol, name: parsePortName(port, `${path}.port`, context) };
  }
  if (typeof port !== 'number') context.fail(`${path}.port`, 'must be a number or a port name');
  const start = parsePortNumber(port, `${path}.port`, context);
  const end = isAbsent(endPort) ? start : requireInteger(endPort, `${path}.endPort`, context, start, MAX_PORT);
  return { kind: 'range', protocol, start, end };
}

// ---------------------------------------------------------------------------------------------------------------
// AdminNetworkPolicy and BaselineAdminNetworkPolicy

/** Parses a `policy.networking.k8s.io/v1alpha1` AdminNetworkPolicy. */
export function parseAdminNetworkPolicy(value: unknown): AdminNetworkPolicy {
  const { name, context, spec } = parseEnvelope(value, 'AdminNetworkPolicy', POLICY_V1ALPHA1, false);
  rejectUnknownFields(spec, ['priority', 'subject', 'ingress', 'egress'], 'spec', context);
  const actions: readonly AdminAction[] = ['Allow', 'Deny', 'Pass'];
  return {
    kind: 'AdminNetworkPolicy',
    name,
    label: name,
    priority: requireInteger(spec['priority'], 'spec.priority', context, 0, 1000),
    subject: parseAdminSubject(spec['subject'], 'spec.subject', context),
    ingress: parseAdminRules(spec['ingress'], 'spec.ingress', 'from', actions, INGRESS_PEERS, context),
    egress: parseAdminRules(spec['egress'], 'spec.egress', 'to', actions, ADMIN_EGRESS_PEERS, context),
  };
}

/** Parses a `policy.networking.k8s.io/v1alpha1` BaselineAdminNetworkPolicy (upstream allows one, named `default`). */
export function parseBaselineAdminNetworkPolicy(value: unknown): BaselineAdminNetworkPolicy {
  const { name, context, spec } = parseEnvelope(value, 'BaselineAdminNetworkPolicy', POLICY_V1ALPHA1, false);
  rejectUnknownFields(spec, ['subject', 'ingress', 'egress'], 'spec', context);
  const actions = ['Allow', 'Deny'] as const;
  return {
    kind: 'BaselineAdminNetworkPolicy',
    name,
    label: name,
    subject: parseAdminSubject(spec['subject'], 'spec.subject', context),
    ingress: parseAdminRules(spec['ingress'], 'spec.ingress', 'from', actions, INGRESS_PEERS, context),
    egress: parseAdminRules(spec['egress'], 'spec.egress', 'to', actions, BASELINE_EGRESS_PEERS, context),
  };
}

type AdminPeerField = 'namespaces' | 'pods' | 'networks' | 'nodes' | 'domainNames';
const INGRESS_PEERS: readonly AdminPeerField[] = ['namespaces', 'pods'];
const BASELINE_EGRESS_PEERS: readonly AdminPeerField[] = ['namespaces', 'pods', 'networks', 'nodes'];
const ADMIN_EGRESS_PEERS: readonly AdminPeerField[] = [...BASELINE_EGRESS_PEERS, 'domainNames'];

/** Exactly one of the keys must be set; returns it. */
function exactlyOne<K extends string>(object: JsonObject, keys: readonly K[], path: string, context: FieldContext): K {
  rejectUnknownFields(object, keys, path, context);
  const present = keys.filter((key) => !isAbsent(object[key]));
  if (present.length !== 1) context.fail(path, `must set exactly one of ${keys.join(', ')}`);
  return present[0] as K;
}

function parseAdminSubject(value: unknown, path: string, context: FieldContext): AdminSubject {
  const subject = requireObject(value, path, context);
  const field = exactlyOne(subject, ['namespaces', 'pods'], path, context);
  if (field === 'namespaces') {
    return { namespaces: parseLabelSelector(subject['namespaces'], `${path}.namespaces`, context), pods: MATCH_ALL };
  }
  const pods = parseNamespacedPods(subject['pods'], `${path}.pods`, context);
  return { namespaces: pods.namespaces, pods: pods.pods };
}

function parseNamespacedPods(value: unknown, path: string, context: FieldContext): PodPeer {
  const pods = requireObject(value, path, context);
  rejectUnknownFields(pods, ['namespaceSelector', 'podSelector'], path, context);
  return {
    kind: 'pods',
    namespace: undefined,
    namespaces: parseLabelSelector(pods['namespaceSelector'], `${path}.namespaceSelector`, context),
    pods: parseLabelSelector(pods['podSelector'], `${path}.podSelector`, context),
  };
}

function parseAdminRules<A extends AdminAction>(
  value: unknown,
  path: string,
  peersField: 'from' | 'to',
  actions: readonly A[],
  peerFields: readonly AdminPeerField[],
  context: FieldContext,
): AdminRule<A>[] {
  const rules = parseList(value, path, context, (entry, rulePath) =>
    parseAdminRule(entry, rulePath, peersField, actions, peerFields, context),
  );
  if (rules.length > MAX_ADMIN_RULES) context.fail(path, `must have at most ${MAX_ADMIN_RULES} rules`);
  return rules;
}

function parseAdminRule<A extends AdminAction>(
  value: unknown,
  path: string,
  peersField: 'from' | 'to',
  actions: readonly A[],
  peerFields: readonly AdminPeerField[],
  context: FieldContext,
): AdminRule<A> {
  const rule = requireObject(value, path, context);
  rejectUnknownFields(rule, ['name', 'action', peersField, 'ports'], path, context);
  const name = isAbsent(rule['name']) ? '' : requireString(rule['name'], `${path}.name`, context);
  const action = actions.find((candidate) => candidate === rule['action']);
  if (action === undefined) {
    context.fail(`${path}.action`, `must be one of ${actions.join(', ')}, got ${describeType(rule['action'])}`);
  }
  const peerValues = requireArray(rule[peersField], `${path}.${peersField}`, context);
  if (peerValues.length === 0) context.fail(`${path}.${peersField}`, 'must have at least one peer');
  const peers = peerValues.map((entry, i) => parseAdminPeer(entry, `${path}.${peersField}[${i}]`, peerFields, context));
  const ports = parseList(rule['ports'], `${path}.ports`, context, (entry, portPath) =>
    parseAdminPort(entry, portPath, context),
  );
  return { name, action, peers, ports: ports.length === 0 ? undefined : ports };
}

function parseAdminPeer(
  value: unknown,
  path: string,
  peerFields: readonly AdminPeerField[],
  context: FieldContext,
): Peer {
  const peer = requireObject(value, path, context);
  const field = exactlyOne(peer, peerFields, path, context);
  switch (field) {
    case 'namespaces':
      return {
        kind: 'pods',
        namespace: undefined,
        namespaces: parseLabelSelector(peer['namespaces'], `${path}.namespaces`, context),
        pods: MATCH_ALL,
      };
    case 'pods':
      return parseNamespacedPods(peer['pods'], `${path}.pods`, context);
    case 'networks': {
      const networks = requireArray(peer['networks'], `${path}.networks`, context);
      if (networks.length === 0) context.fail(`${path}.networks`, 'must have at least one CIDR');
      const blocks = networks.map((entry, i) => ({
        cidr: parseCidrField(entry, `${path}.networks[${i}]`, context),
        except: [],
      }));
      return { kind: 'ip', blocks };
    }
    case 'nodes':
      parseLabelSelector(peer['nodes'], `${path}.nodes`, context);
      return { kind: 'unmatched', field };
    case 'domainNames':
      requireArray(peer['domainNames'], `${path}.domainNames`, context);
      return { kind: 'unmatched', field };
  }
}

function parseAdminPort(value: unknown, path: string, context: FieldContext): PortMatcher {
  const entry = requireObject(value, path, context);
  const field = exactlyOne(entry, ['portNumber', 'namedPort', 'portRange'], path, context);
  if (field === 'namedPort') {
    return {
      kind: 'named',
      protocol: undefined,
      name: parsePortName(entry['namedPort'], `${path}.namedPort`, context),
    };
  }
  if (field === 'portNumber') {
    const portPath = `${path}.portNumber`;
    const portNumber = requireObject(entry['portNumber'], portPath, context);
    rejectUnknownFields(portNumber, ['protocol', 'port'], portPath, context);
    const port = parsePortNumber(portNumber['port'], `${portPath}.port`, context);
    return {
      kind: 'range',
      protocol: parseProtocol(portNumber['protocol'], `${portPath}.protocol`, context),
      start: port,
      end: port,
    };
  }
  const rangePath = `${path}.portRange`;
  const range = requireObject(entry['portRange'], rangePath, context);
  rejectUnknownFields(range, ['protocol', 'start', 'end'], rangePath, context);
  const start = parsePortNumber(range['start'], `${rangePath}.start`, context);
  const end = requireInteger(range['end'], `${rangePath}.end`, context, start, MAX_PORT);
  return { kind: 'range', protocol: parseProtocol(range['protocol'], `${rangePath}.protocol`, context), start, end };
}

// ---------------------------------------------------------------------------------------------------------------
// Namespaces and pods

/** Projects a Namespace object. */
export function parseNamespaceInfo(value: unknown): NamespaceInfo {
  const context = new FieldContext('Namespace <unnamed>');
  const object = requireObject(value, '(object)', context);
  const metadata = requireObject(object['metadata'], 'metadata', context);
  const name = requireString(metadata['name'], 'metadata.name', context);
  context.subject = `Namespace ${name}`;
  return { name, labels: optionalStringMap(metadata['labels'], 'metadata.labels', context) };
}

/** Projects a Pod object: labels, status.podIPs (or status.podIP) and the named ports of all its containers. */
export function parsePodInfo(value: unknown): PodInfo {
  const context = new FieldContext('Pod <unnamed>');
  const object = requireObject(value, '(object)', context);
  const metadata = requireObject(object['metadata'], 'metadata', context);
  const name = requireString(metadata['name'], 'metadata.name', context);
  const namespace = isAbsent(metadata['namespace'])
    ? 'default'
    : requireString(metadata['namespace'], 'metadata.namespace', context);
  context.subject = `Pod ${namespace}/${name}`;
  const labels = optionalStringMap(metadata['labels'], 'metadata.labels', context);
  const status = optionalObject(object['status'], 'status', context);
  const ips: string[] = [];
  if (status !== undefined) {
    parseList(status['podIPs'], 'status.podIPs', context, (entry, path) => {
      ips.push(requireString(requireObject(entry, path, context)['ip'], `${path}.ip`, context));
    });
    if (ips.length === 0 && !isAbsent(status['podIP']))
      ips.push(requireString(status['podIP'], 'status.podIP', context));
  }
  const containerPorts: ContainerPort[] = [];
  const spec = optionalObject(object['spec'], 'spec', context);
  if (spec !== undefined) {
    for (const field of ['initContainers', 'containers'] as const) {
      parseList(spec[field], `spec.${field}`, context, (entry, containerPath) => {
        const container = requireObject(entry, containerPath, context);
        parseList(container['ports'], `${containerPath}.ports`, context, (portEntry, portPath) => {
          const port = requireObject(portEntry, portPath, context);
          containerPorts.push({
            name: isAbsent(port['name']) ? '' : requireString(port['name'], `${portPath}.name`, context),
            port: parsePortNumber(port['containerPort'], `${portPath}.containerPort`, context),
            protocol: parseProtocol(port['protocol'], `${portPath}.protocol`, context),
          });
        });
      });
    }
  }
  // `serviceAccount` is the deprecated spelling the API server still fills in.
  const account = spec?.['serviceAccountName'] ?? spec?.['serviceAccount'];
  const serviceAccount = isAbsent(account) ? undefined : requireString(account, 'spec.serviceAccountName', context);
  return serviceAccount === undefined
    ? { namespace, name, labels, ips, containerPorts }
    : { namespace, name, labels, ips, containerPorts, serviceAccount };
}
