/**
 * Reachability truth tables in the style of the upstream network policy e2e tests
 * (test/e2e/network/netpol): namespaces x, y, z labelled ns=<name>, pods a, b, c in each labelled pod=<name>,
 * every pod serving 80 (serve-80) and 81 (serve-81) on TCP and UDP. Rows are the client, columns the server;
 * `.` is allowed and `X` denied. A pod reaching itself is always allowed (upstream's AllowLoopback).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Connection, type ConnectionEndpoint, KubernetesPolicyEngine, type PolicySnapshot } from './evaluate';
import {
  type AdminNetworkPolicy,
  type BaselineAdminNetworkPolicy,
  type ContainerPort,
  type NamespaceInfo,
  type NetworkPolicy,
  type PodInfo,
  parseAdminNetworkPolicy,
  parseBaselineAdminNetworkPolicy,
  parseNetworkPolicy,
} from './model';

const NAMESPACES = ['x', 'y', 'z'] as const;
const POD_NAMES = ['a', 'b', 'c'] as const;

const CONTAINER_PORTS: readonly ContainerPort[] = [80, 81].flatMap((port) =>
  (['TCP', 'UDP'] as const).map((protocol) => ({ name: `serve-${port}`, port, protocol })),
);

const namespaces: NamespaceInfo[] = NAMESPACES.map((name) => ({ name, labels: { ns: name } }));

/** x/a is 10.0.1.1 and fd00::1:1, y/b is 10.0.2.2 and fd00::2:2, and so on. */
const pods: PodInfo[] = NAMESPACES.flatMap((namespace, n) =>
  POD_NAMES.map((name, p) => ({
    namespace,
    name,
    labels: { pod: name },
    ips: [`10.0.${n + 1}.${p + 1}`, `fd00::${n + 1}:${p + 1}`],
    containerPorts: CONTAINER_PORTS,
  })),
);

function pod(key: string): PodInfo {
  const found = pods.find((candidate) => `${candidate.namespace}/${candidate.name}` === key);
  if (found === undefined) throw new Error(`no pod ${key}`);
  return found;
}

function podEndpoint(key: string, ip?: string): ConnectionEndpoint {
  return ip === undefined ? { kind: 'pod', pod: pod(key) } : { kind: 'pod', pod: pod(key), ip };
}

function networkPolicy(namespace: string, name: string, spec: object): NetworkPolicy {
  return parseNetworkPolicy({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace },
    spec,
  });
}

function adminPolicy(name: string, spec: object): AdminNetworkPolicy {
  return parseAdminNetworkPolicy({
    apiVersion: 'policy.networking.k8s.io/v1alpha1',
    kind: 'AdminNetworkPolicy',
    metadata: { name },
    spec,
  });
}

function baselinePolicy(spec: object): BaselineAdminNetworkPolicy {
  return parseBaselineAdminNetworkPolicy({
    apiVersion: 'policy.networking.k8s.io/v1alpha1',
    kind: 'BaselineAdminNetworkPolicy',
    metadata: { name: 'default' },
    spec,
  });
}

function engine(policies: Omit<PolicySnapshot, 'namespaces'>): KubernetesPolicyEngine {
  return new KubernetesPolicyEngine({ namespaces, ...policies });
}

function connection(from: string, to: string, port: number, protocol = 'tcp'): Connection {
  return { source: podEndpoint(from), destination: podEndpoint(to), port, protocol };
}

function normalize(table: string): string {
  return table
    .split('\n')
    .map((line) => line.trim().replace(/\s+/g, ' '))
    .filter((line) => line !== '')
    .join('\n');
}

function reachability(policyEngine: KubernetesPolicyEngine, port: number, protocol = 'tcp'): string {
  const keys = pods.map((candidate) => `${candidate.namespace}/${candidate.name}`);
  const lines = [keys.join(' ')];
  for (const from of keys) {
    const cells = keys.map((to) =>
      policyEngine.evaluate(connection(from, to, port, protocol)).verdict === 'allow' ? '.' : 'X',
    );
    lines.push(`${from} ${cells.join(' ')}`);
  }
  return lines.join('\n');
}

function assertReachability(
  policyEngine: KubernetesPolicyEngine,
  port: number,
  protocol: string,
  expected: string,
): void {
  assert.equal(reachability(policyEngine, port, protocol), normalize(expected));
}

const ALL_ALLOWED = `
     x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   .   .   .   .   .   .   .   .
x/b   .   .   .   .   .   .   .   .   .
x/c   .   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   .   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   .   .   .   .   .   .   .   .   .`;

const NOTHING_REACHES_XA = `
     x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   .   .   .   .   .   .   .   .
x/b   X   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   X   .   .   .   .   .   .   .   .
y/b   X   .   .   .   .   .   .   .   .
y/c   X   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   X   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .`;

test('no policies: everything is allowed and no policy decides', () => {
  const policyEngine = engine({});
  assertReachability(policyEngine, 80, 'tcp', ALL_ALLOWED);
  assert.deepEqual(policyEngine.evaluate(connection('x/a', 'y/b', 80)), {
    verdict: 'allow',
    egress: { verdict: 'allow', policy: 'none', tier: 'none', rule: -1 },
    ingress: { verdict: 'allow', policy: 'none', tier: 'none', rule: -1 },
    decidedBy: { verdict: 'allow', policy: 'none', tier: 'none', rule: -1 },
    loopback: false,
  });
});

test('deny-all ingress in x', () => {
  const policyEngine = engine({
    networkPolicies: [networkPolicy('x', 'deny-all', { podSelector: {}, policyTypes: ['Ingress'] })],
  });
  assertReachability(
    policyEngine,
    80,
    'tcp',
    `
     x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   X   X   .   .   .   .   .   .
x/b   X   .   X   .   .   .   .   .   .
x/c   X   X   .   .   .   .   .   .   .
y/a   X   X   X   .   .   .   .   .   .
y/b   X   X   X   .   .   .   .   .   .
y/c   X   X   X   .   .   .   .   .   .
z/a   X   X   X   .   .   .   .   .   .
z/b   X   X   X   .   .   .   .   .   .
z/c   X   X   X   .   .   .   .   .   .`,
  );
  const verdict = policyEngine.evaluate(connection('y/a', 'x/b', 80));
  assert.deepEqual(verdict.ingress, { verdict: 'deny', policy: 'x/deny-all', tier: 'default', rule: -1 });
  assert.deepEqual(verdict.egress, { verdict: 'allow', policy: 'none', tier: 'none', rule: -1 });
  assert.equal(verdict.decidedBy, verdict.ingress);
  // `ingress: []` isolates exactly like an absent ingress list.
  const emptyList = engine({ networkPolicies: [networkPolicy('x', 'deny-all', { podSelector: {}, ingress: [] })] });
  assert.equal(reachability(emptyList, 80), reachability(policyEngine, 80));
});

test('allow ingress from the same namespace', () => {
  const policyEngine = engine({
    networkPolicies: [
      networkPolicy('x', 'allow-same-ns', { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] }),
    ],
  });
  assertReachability(
    policyEngine,
    80,
    'tcp',
    `
     x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   .   .   .   .   .   .   .   .
x/b   .   .   .   .   .   .   .   .   .
x/c   .   .   .   .   .   .   .   .   .
y/a   X   X   X   .   .   .   .   .   .
y/b   X   X   X   .   .   .   .   .   .
y/c   X   X   X   .   .   .   .   .   .
z/a   X   X   X   .   .   .   .   .   .
z/b   X   X   X   .   .   .   .   .   .
z/c   X   X   X   .   .   .   .   .   .`,
  );
  assert.deepEqual(policyEngine.evaluate(connection('x/a', 'x/b', 80)).ingress, {
    verdict: 'allow',
    policy: 'x/allow-same-ns',
    tier: 'default',
    rule: 0,
  });
});

test('allow ingress from namespace y only', () => {
  const policyEngine = engine({
    networkPolicies: [
      networkPolicy('x', 'allow-from-y', {
        podSelector: {},
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }],
      }),
    ],
  });
  assertReachability(
    policyEngine,
    80,
    'tcp',
    `
     x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   X   X   .   .   .   .   .   .
x/b   X   .   X   .   .   .   .   .   .
x/c   X   X   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   X   X   X   .   .   .   .   .   .
z/b   X   X   X   .   .   .   .   .   .
z/c   X   X   X   .   .   .   .   .   .`,
  );
});

test('pod AND namespace in one peer: pods b of namespaces y and z may reach x/a', () => {
  const policyEngine = engine({
    networkPolicies: [
      networkPolicy('x', 'allow-b-from-y-z', {
        podSelector: { matchLabels: { pod: 'a' } },
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchExpressions: [{ key: 'ns', operator: 'In', values: ['y', 'z'] }] },
                podSelector: { matchLabels: { pod: 'b' } },
              },
            ],
          },
        ],
      }),
    ],
  });
  assertReachability(
    policyEngine,
    80,
    'tcp',
    `
     x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   .   .   .   .   .   .   .   .
x/b   X   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   X   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   X   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .`,
  );
});

test('pod OR namespace in separate peers; a podSelector alone means the policy namespace', () => {
  const policyEngine = engine({
    networkPolicies: [
      networkPolicy('x', 'allow-y-or-c', {
        podSelector: { matchLabels: { pod: 'a' } },
        ingress: [
          {
            from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }, { podSelector: { matchLabels: { pod: 'c' } } }],
          },
        ],
      }),
    ],
  });
  assertReachability(
    policyEngine,
    80,
    'tcp',
    `
     x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   .   .   .   .   .   .   .   .
x/b   X   .   .   .   .   .   .   .   .
x/c   .   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   X   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .`,
  );
});

test('named port: serve-81 resolves against the destination pod, per protocol', () => {
  const policyEngine = engine({
    networkPolicies: [
      networkPolicy('x', 'allow-serve-81', {
        podSelector: { matchLabels: { pod: 'a' } },
        ingress: [{ ports: [{ port: 'serve-81', protocol: 'TCP' }] }],
      }),
    ],
  });
  assertReachability(policyEngine, 80, 'tcp', NOTHING_REACHES_XA);
  assertReachability(policyEngine, 81, 'tcp', ALL_ALLOWED);
  assertReachability(policyEngine, 81, 'udp', NOTHING_REACHES_XA);
  // The protocol defaults to TCP.
  const defaulted = engine({
    networkPolicies: [
      networkPolicy('x', 'allow-serve-81', {
        podSelector: { matchLabels: { pod: 'a' } },
        ingress: [{ ports: [{ port: 'serve-81' }] }],
      }),
    ],
  });
  assertReachability(defaulted, 81, 'tcp', ALL_ALLOWED);
  assertReachability(defaulted, 81, 'udp', NOTHING_REACHES_XA);
});

test('endPort range: 81-82 from namespace y', () => {
  const policyEngine = engine({
    networkPolicies: [
      networkPolicy('x', 'allow-range', {
        podSelector: { matchLabels: { pod: 'a' } },
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }], ports: [{ port: 81, endPort: 82 }] }],
      }),
    ],
  });
  assertReachability(policyEngine, 80, 'tcp', NOTHING_REACHES_XA);
  const fromYOnly = `
     x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   .   .   .   .   .   .   .   .
x/b   X   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   X   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .`;
  assertReachability(policyEngine, 81, 'tcp', fromYOnly);
  assertReachability(policyEngine, 82, 'tcp', fromYOnly);
  assertReachability(policyEngine, 83, 'tcp', NOTHING_REACHES_XA);
  assertReachability(policyEngine, 81, 'udp', NOTHING_REACHES_XA);
});

test('egress deny-all in x, including to the outside', () => {
  const policyEngine = engine({
    networkPolicies: [networkPolicy('x', 'deny-egress', { podSelector: {}, policyTypes: ['Egress'] })],
  });
  assertReachability(
    policyEngine,
    80,
    'tcp',
    `
     x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   X   X   X   X   X   X   X   X
x/b   X   .   X   X   X   X   X   X   X
x/c   X   X   .   X   X   X   X   X   X
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   .   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   .   .   .   .   .   .   .   .   .`,
  );
  const outbound = policyEngine.evaluate({
    source: podEndpoint('x/a'),
    destination: { kind: 'external', ip: '203.0.113.9' },
    port: 443,
    protocol: 'tcp',
  });
  assert.deepEqual(outbound.egress, { verdict: 'deny', policy: 'x/deny-egress', tier: 'default', rule: -1 });
  assert.equal(outbound.ingress, undefined);
  assert.equal(outbound.verdict, 'deny');
  const inbound = policyEngine.evaluate({
    source: { kind: 'external', ip: '203.0.113.9' },
    destination: podEndpoint('x/a'),
    port: 80,
    protocol: 'tcp',
  });
  assert.equal(inbound.egress, undefined);
  assert.equal(inbound.verdict, 'allow');
});

test('egress to an ipBlock with except matches pods by their IPs and external addresses', () => {
  const policyEngine = engine({
    networkPolicies: [
      networkPolicy('x', 'egress-cidr', {
        podSelector: { matchLabels: { pod: 'a' } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.2.0/24'] } }] }],
      }),
    ],
  });
  assertReachability(
    policyEngine,
    80,
    'tcp',
    `
     x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   .   .   X   X   X   .   .   .
x/b   .   .   .   .   .   .   .   .   .
x/c   .   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   .   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   .   .   .   .   .   .   .   .   .`,
  );
  const toIp = (ip: string) =>
    policyEngine.evaluate({
      source: podEndpoint('x/a'),
      destination: { kind: 'external', ip },
      port: 80,
      protocol: 'tcp',
    }).verdict;
  assert.equal(toIp('10.0.200.1'), 'allow');
  assert.equal(toIp('10.0.2.200'), 'deny');
  assert.equal(toIp('10.1.0.1'), 'deny');
  assert.equal(toIp('fd00::1:1'), 'deny');
  assert.equal(toIp('not an ip'), 'deny');
});

test('egress to an IPv6 ipBlock with except; the IP the connection used decides for pods', () => {
  const policyEngine = engine({
    networkPolicies: [
      networkPolicy('x', 'egress-cidr6', {
        podSelector: { matchLabels: { pod: 'a' } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: 'fd00::/64', except: ['fd00::2:0/112'] } }] }],
      }),
    ],
  });
  // Without a connection IP any of the pod's IPs may match: z/b has fd00::3:2.
  assert.equal(policyEngine.evaluate(connection('x/a', 'z/b', 80)).verdict, 'allow');
  assert.equal(policyEngine.evaluate(connection('x/a', 'y/b', 80)).verdict, 'deny');
  const via = (to: string, ip: string) =>
    policyEngine.evaluate({ source: podEndpoint('x/a'), destination: podEndpoint(to, ip), port: 80, protocol: 'tcp' })
      .verdict;
  assert.equal(via('z/b', 'fd00::3:2'), 'allow');
  assert.equal(via('z/b', '10.0.3.2'), 'deny');
  const toIp = (ip: string) =>
    policyEngine.evaluate({
      source: podEndpoint('x/a'),
      destination: { kind: 'external', ip },
      port: 80,
      protocol: 'tcp',
    }).verdict;
  assert.equal(toIp('fd00::9:1'), 'allow');
  assert.equal(toIp('fd00:0:0:0:0:0:2:ffff'), 'deny');
  assert.equal(toIp('2001:db8::1'), 'deny');
});

test('egress named port refers to the destination pod; an external destination has no named ports', () => {
  const policyEngine = engine({
    networkPolicies: [
      networkPolicy('x', 'egress-serve-81', {
        podSelector: { matchLabels: { pod: 'a' } },
        policyTypes: ['Egress'],
        egress: [{ ports: [{ port: 'serve-81' }] }],
      }),
    ],
  });
  const fromXaDenied = `
     x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   X   X   X   X   X   X   X   X
x/b   .   .   .   .   .   .   .   .   .
x/c   .   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   .   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   .   .   .   .   .   .   .   .   .`;
  assertReachability(policyEngine, 80, 'tcp', fromXaDenied);
  assertReachability(policyEngine, 81, 'tcp', ALL_ALLOWED);
  const external = policyEngine.evaluate({
    source: podEndpoint('x/a'),
    destination: { kind: 'external', ip: '203.0.113.9' },
    port: 81,
    protocol: 'tcp',
  });
  assert.equal(external.verdict, 'deny');
});

test('multiple policies selecting a pod allow the union of their rules', () => {
  const policyEngine = engine({
    networkPolicies: [
      networkPolicy('x', 'allow-from-zb', {
        podSelector: { matchLabels: { pod: 'a' } },
        ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { pod: 'b' } } }] }],
      }),
      networkPolicy('x', 'allow-from-y', {
        podSelector: { matchLabels: { pod: 'a' } },
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }],
      }),
    ],
  });
  assertReachability(
    policyEngine,
    80,
    'tcp',
    `
     x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   .   .   .   .   .   .   .   .
x/b   .   .   .   .   .   .   .   .   .
x/c   X   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   X   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   X   .   .   .   .   .   .   .   .`,
  );
  // The first policy in <namespace>/<name> order that allows is reported; a deny names the first isolating one.
  assert.equal(policyEngine.evaluate(connection('y/b', 'x/a', 80)).ingress?.policy, 'x/allow-from-y');
  assert.equal(policyEngine.evaluate(connection('z/b', 'x/a', 80)).ingress?.policy, 'x/allow-from-zb');
  assert.deepEqual(policyEngine.evaluate(connection('z/a', 'x/a', 80)).ingress, {
    verdict: 'deny',
    policy: 'x/allow-from-y',
    tier: 'default',
    rule: -1,
  });
});

test('policyTypes inferred: Ingress always, Egress only when there is an egress rule', () => {
  const policyEngine = engine({
    networkPolicies: [
      networkPolicy('x', 'egress-only-a', { podSelector: { matchLabels: { pod: 'a' } }, egress: [{}] }),
      networkPolicy('x', 'egress-empty-b', { podSelector: { matchLabels: { pod: 'b' } }, egress: [] }),
    ],
  });
  assertReachability(
    policyEngine,
    80,
    'tcp',
    `
     x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   X   .   .   .   .   .   .   .
x/b   X   .   .   .   .   .   .   .   .
x/c   X   X   .   .   .   .   .   .   .
y/a   X   X   .   .   .   .   .   .   .
y/b   X   X   .   .   .   .   .   .   .
y/c   X   X   .   .   .   .   .   .   .
z/a   X   X   .   .   .   .   .   .   .
z/b   X   X   .   .   .   .   .   .   .
z/c   X   X   .   .   .   .   .   .   .`,
  );
  // x/a's egress is isolated and allowed by the empty rule; x/b's egress is not isolated at all.
  assert.deepEqual(policyEngine.evaluate(connection('x/a', 'y/a', 80)).egress, {
    verdict: 'allow',
    policy: 'x/egress-only-a',
    tier: 'default',
    rule: 0,
  });
  assert.equal(policyEngine.evaluate(connection('x/b', 'y/a', 80)).egress?.policy, 'none');
});

test('ingress and egress policies combine: both directions must allow', () => {
  const policyEngine = engine({
    networkPolicies: [
      networkPolicy('x', 'egress-to-y', {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }],
      }),
      networkPolicy('y', 'ingress-from-a', {
        podSelector: {},
        ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { pod: 'a' } } }] }],
      }),
    ],
  });
  assertReachability(
    policyEngine,
    80,
    'tcp',
    `
     x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   X   X   .   .   .   X   X   X
x/b   X   .   X   X   X   X   X   X   X
x/c   X   X   .   X   X   X   X   X   X
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   X   .   X   .   .   .
y/c   .   .   .   X   X   .   .   .   .
z/a   .   .   .   .   .   .   .   .   .
z/b   .   .   .   X   X   X   .   .   .
z/c   .   .   .   X   X   X   .   .   .`,
  );
  const atIngress = policyEngine.evaluate(connection('x/b', 'y/a', 80));
  assert.deepEqual(atIngress.egress, { verdict: 'allow', policy: 'x/egress-to-y', tier: 'default', rule: 0 });
  assert.deepEqual(atIngress.ingress, { verdict: 'deny', policy: 'y/ingress-from-a', tier: 'default', rule: -1 });
  assert.equal(atIngress.decidedBy, atIngress.ingress);
  const atEgress = policyEngine.evaluate(connection('x/a', 'z/a', 80));
  assert.equal(atEgress.egress?.verdict, 'deny');
  assert.equal(atEgress.ingress?.verdict, 'allow');
  assert.equal(atEgress.decidedBy, atEgress.egress);
});

test('ANP deny overrides a NetworkPolicy allow', () => {
  const policyEngine = engine({
    networkPolicies: [networkPolicy('x', 'allow-all', { podSelector: {}, ingress: [{}] })],
    adminNetworkPolicies: [
      adminPolicy('deny-y-to-x', {
        priority: 10,
        subject: { namespaces: { matchLabels: { ns: 'x' } } },
        ingress: [{ name: 'deny-y', action: 'Deny', from: [{ namespaces: { matchLabels: { ns: 'y' } } }] }],
      }),
    ],
  });
  assertReachability(
    policyEngine,
    80,
    'tcp',
    `
     x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   .   .   .   .   .   .   .   .
x/b   .   .   .   .   .   .   .   .   .
x/c   .   .   .   .   .   .   .   .   .
y/a   X   X   X   .   .   .   .   .   .
y/b   X   X   X   .   .   .   .   .   .
y/c   X   X   X   .   .   .   .   .   .
z/a   .   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   .   .   .   .   .   .   .   .   .`,
  );
  assert.deepEqual(policyEngine.evaluate(connection('y/a', 'x/a', 80)).ingress, {
    verdict: 'deny',
    policy: 'deny-y-to-x',
    tier: 'adminnetworkpolicy',
    rule: 0,
  });
  assert.equal(policyEngine.evaluate(connection('z/a', 'x/a', 80)).ingress?.policy, 'x/allow-all');
});

test('ANP pass hands the decision to NetworkPolicy, skipping lower-priority ANPs', () => {
  const policyEngine = engine({
    networkPolicies: [networkPolicy('x', 'deny-all', { podSelector: {} })],
    adminNetworkPolicies: [
      adminPolicy('allow-all-to-x', {
        priority: 20,
        subject: { namespaces: { matchLabels: { ns: 'x' } } },
        ingress: [{ action: 'Allow', from: [{ namespaces: {} }] }],
      }),
      adminPolicy('pass-y-to-x', {
        priority: 5,
        subject: { namespaces: { matchLabels: { ns: 'x' } } },
        ingress: [{ action: 'Pass', from: [{ namespaces: { matchLabels: { ns: 'y' } } }] }],
      }),
    ],
  });
  assertReachability(
    policyEngine,
    80,
    'tcp',
    `
     x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   .   .   .   .   .   .   .   .
x/b   .   .   .   .   .   .   .   .   .
x/c   .   .   .   .   .   .   .   .   .
y/a   X   X   X   .   .   .   .   .   .
y/b   X   X   X   .   .   .   .   .   .
y/c   X   X   X   .   .   .   .   .   .
z/a   .   .   .   .   .   .   .   .   .
z/b   .   .   .   .   .   .   .   .   .
z/c   .   .   .   .   .   .   .   .   .`,
  );
  assert.deepEqual(policyEngine.evaluate(connection('y/a', 'x/a', 80)).ingress, {
    verdict: 'deny',
    policy: 'x/deny-all',
    tier: 'default',
    rule: -1,
  });
  assert.deepEqual(policyEngine.evaluate(connection('z/a', 'x/a', 80)).ingress, {
    verdict: 'allow',
    policy: 'allow-all-to-x',
    tier: 'adminnetworkpolicy',
    rule: 0,
  });
});

test('BANP denies only where no NetworkPolicy isolates the pod', () => {
  const policyEngine = engine({
    networkPolicies: [networkPolicy('y', 'allow-all', { podSelector: {}, ingress: [{}] })],
    baselineAdminNetworkPolicies: [
      baselinePolicy({
        subject: { namespaces: {} },
        ingress: [{ action: 'Deny', from: [{ namespaces: { matchLabels: { ns: 'z' } } }] }],
      }),
    ],
  });
  assertReachability(
    policyEngine,
    80,
    'tcp',
    `
     x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a   .   .   .   .   .   .   .   .   .
x/b   .   .   .   .   .   .   .   .   .
x/c   .   .   .   .   .   .   .   .   .
y/a   .   .   .   .   .   .   .   .   .
y/b   .   .   .   .   .   .   .   .   .
y/c   .   .   .   .   .   .   .   .   .
z/a   X   X   X   .   .   .   .   X   X
z/b   X   X   X   .   .   .   X   .   X
z/c   X   X   X   .   .   .   X   X   .`,
  );
  assert.deepEqual(policyEngine.evaluate(connection('z/a', 'x/a', 80)).ingress, {
    verdict: 'deny',
    policy: 'default',
    tier: 'baselineadminnetworkpolicy',
    rule: 0,
  });
});

test('ANP egress: pods subject, networks peer, port number, range and named port; BANP egress allow', () => {
  const policyEngine = engine({
    networkPolicies: [networkPolicy('x', 'deny-egress', { podSelector: {}, policyTypes: ['Egress'] })],
    adminNetworkPolicies: [
      adminPolicy('a-egress', {
        priority: 1,
        subject: {
          pods: { namespaceSelector: { matchLabels: { ns: 'x' } }, podSelector: { matchLabels: { pod: 'a' } } },
        },
        egress: [
          {
            name: 'dns',
            action: 'Allow',
            to: [{ networks: ['192.0.2.0/24'] }],
            ports: [{ portNumber: { protocol: 'UDP', port: 53 } }],
          },
          {
            name: 'web',
            action: 'Allow',
            to: [{ networks: ['0.0.0.0/0'] }],
            ports: [{ portRange: { start: 8000, end: 8080 } }],
          },
          {
            name: 'serve',
            action: 'Allow',
            to: [{ pods: { namespaceSelector: {}, podSelector: { matchLabels: { pod: 'c' } } } }],
            ports: [{ namedPort: 'serve-81' }],
          },
          { name: 'nodes', action: 'Allow', to: [{ nodes: {} }] },
          { name: 'rest', action: 'Pass', to: [{ namespaces: {} }, { networks: ['::/0'] }] },
        ],
      }),
    ],
    baselineAdminNetworkPolicies: [
      baselinePolicy({ subject: { namespaces: {} }, egress: [{ action: 'Allow', to: [{ networks: ['0.0.0.0/0'] }] }] }),
    ],
  });
  const toIp = (ip: string, port: number, protocol = 'tcp') =>
    policyEngine.evaluate({ source: podEndpoint('x/a'), destination: { kind: 'external', ip }, port, protocol }).egress;
  assert.deepEqual(toIp('192.0.2.53', 53, 'udp'), {
    verdict: 'allow',
    policy: 'a-egress',
    tier: 'adminnetworkpolicy',
    rule: 0,
  });
  assert.equal(toIp('192.0.2.53', 53, 'tcp')?.verdict, 'deny');
  assert.equal(toIp('198.51.100.1', 8080)?.rule, 1);
  assert.equal(toIp('198.51.100.1', 8081)?.policy, 'x/deny-egress');
  assert.equal(policyEngine.evaluate(connection('x/a', 'y/c', 81, 'udp')).egress?.rule, 2);
  assert.equal(policyEngine.evaluate(connection('x/a', 'y/c', 80, 'udp')).egress?.policy, 'x/deny-egress');
  // x/b is not the ANP's subject and falls to its NetworkPolicy; the BANP never sees isolated pods.
  assert.equal(policyEngine.evaluate(connection('x/b', 'y/c', 81)).egress?.policy, 'x/deny-egress');
  // y pods are not isolated: the BANP allows IPv4 destinations and leaves IPv6 to the default allow.
  const fromY = (ip: string) =>
    policyEngine.evaluate({
      source: podEndpoint('y/a'),
      destination: { kind: 'external', ip },
      port: 1,
      protocol: 'tcp',
    }).egress;
  assert.deepEqual(fromY('198.51.100.1'), {
    verdict: 'allow',
    policy: 'default',
    tier: 'baselineadminnetworkpolicy',
    rule: 0,
  });
  assert.equal(fromY('2001:db8::1')?.policy, 'none');
});

test('ANPs of one priority run in name order; a subject without rules for a direction is skipped', () => {
  const rule = (action: string) => ({ action, from: [{ namespaces: {} }] });
  const policyEngine = engine({
    adminNetworkPolicies: [
      adminPolicy('b-deny', { priority: 3, subject: { namespaces: {} }, ingress: [rule('Deny')] }),
      adminPolicy('a-allow', { priority: 3, subject: { namespaces: {} }, ingress: [rule('Allow')] }),
      adminPolicy('egress-only', {
        priority: 0,
        subject: { namespaces: {} },
        egress: [{ action: 'Deny', to: [{ namespaces: { matchLabels: { ns: 'q' } } }] }],
      }),
    ],
  });
  assert.equal(policyEngine.evaluate(connection('y/a', 'x/a', 80)).ingress?.policy, 'a-allow');
});

test('ports: protocols without ports match only rules without ports', () => {
  const policyEngine = engine({
    networkPolicies: [
      networkPolicy('x', 'tcp-80', {
        podSelector: { matchLabels: { pod: 'a' } },
        ingress: [{ ports: [{ port: 80 }] }],
      }),
      networkPolicy('x', 'any-from-b', {
        podSelector: { matchLabels: { pod: 'a' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }], ports: [] }],
      }),
    ],
  });
  const icmp = (from: string) =>
    policyEngine.evaluate({
      source: podEndpoint(from),
      destination: podEndpoint('x/a'),
      port: undefined,
      protocol: 'icmp',
    }).verdict;
  assert.equal(icmp('x/b'), 'allow');
  assert.equal(icmp('x/c'), 'deny');
  assertReachability(policyEngine, 80, 'sctp', NOTHING_REACHES_XA.replace('x/b   X', 'x/b   .'));
});

test('pods of a namespace missing from the snapshot still match by kubernetes.io/metadata.name', () => {
  const stray: PodInfo = { namespace: 'w', name: 'a', labels: { pod: 'a' }, ips: ['10.0.9.1'], containerPorts: [] };
  const policyEngine = engine({
    networkPolicies: [
      networkPolicy('x', 'allow-from-w', {
        podSelector: {},
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'w' } } }] }],
      }),
    ],
  });
  const verdict = policyEngine.evaluate({
    source: { kind: 'pod', pod: stray },
    destination: podEndpoint('x/a'),
    port: 80,
    protocol: 'tcp',
  });
  assert.equal(verdict.verdict, 'allow');
  assert.equal(policyEngine.evaluate(connection('y/a', 'x/a', 80)).verdict, 'deny');
});

test('a pod reaching itself is loopback: allowed whatever the policies', () => {
  const policyEngine = engine({
    networkPolicies: [networkPolicy('x', 'deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })],
  });
  const verdict = policyEngine.evaluate(connection('x/a', 'x/a', 80));
  assert.equal(verdict.loopback, true);
  assert.equal(verdict.verdict, 'allow');
  assert.equal(verdict.decidedBy.policy, 'none');
  assert.equal(policyEngine.evaluate(connection('x/a', 'x/b', 80)).loopback, false);
});

test('flow protocols by number and IPv4-mapped IPv6 addresses', () => {
  const policyEngine = engine({
    networkPolicies: [
      networkPolicy('x', 'egress', {
        podSelector: { matchLabels: { pod: 'a' } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/16' } }], ports: [{ port: 80 }, { protocol: 'UDP', port: 53 }] }],
      }),
    ],
  });
  const send = (ip: string, port: number, protocol: string) =>
    policyEngine.evaluate({ source: podEndpoint('x/a'), destination: { kind: 'external', ip }, port, protocol })
      .verdict;
  assert.equal(send('10.0.9.9', 80, '6'), 'allow');
  assert.equal(send('10.0.9.9', 80, 'Tcp'), 'allow');
  assert.equal(send('10.0.9.9', 53, '17'), 'allow');
  assert.equal(send('10.0.9.9', 80, '17'), 'deny');
  assert.equal(send('::ffff:10.0.9.9', 80, 'tcp'), 'allow');
  assert.equal(send('::ffff:10.9.9.9', 80, 'tcp'), 'deny');
});
