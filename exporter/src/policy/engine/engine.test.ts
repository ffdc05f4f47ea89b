/**
 * Reachability truth tables in the style of the upstream network policy e2e tests: namespaces x, y, z labelled
 * ns=<name>, pods a, b, c in each labelled pod=<name>, every pod serving 80 (serve-80) and 81 (serve-81) on TCP
 * and UDP. Rows are the client, columns the server; `.` is allowed and `X` denied. A pod reaching itself is
 * always allowed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type CalicoPolicy,
  type NetworkSet,
  type Tier,
  parseCalicoPolicy,
  parseNetworkSet,
  parseStagedKubernetesNetworkPolicy,
  parseTier,
} from '../calico';
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
} from '../kubernetes';
import { type EngineEndpoint, type EngineSnapshot, UnifiedPolicyEngine, type UnifiedVerdict } from './engine';

const NAMESPACES = ['x', 'y', 'z'] as const;
const POD_NAMES = ['a', 'b', 'c'] as const;

const CONTAINER_PORTS: readonly ContainerPort[] = [80, 81].flatMap((port) =>
  (['TCP', 'UDP'] as const).map((protocol) => ({ name: `serve-${port}`, port, protocol })),
);

const namespaces: NamespaceInfo[] = NAMESPACES.map((name) => ({ name, labels: { ns: name } }));

/** x/a is 10.0.1.1, y/b is 10.0.2.2, and so on. */
const pods: PodInfo[] = NAMESPACES.flatMap((namespace, n) =>
  POD_NAMES.map((name, p) => ({
    namespace,
    name,
    labels: { pod: name },
    ips: [`10.0.${n + 1}.${p + 1}`],
    containerPorts: CONTAINER_PORTS,
  })),
);
const POD_KEYS = pods.map((pod) => `${pod.namespace}/${pod.name}`);

function pod(key: string): EngineEndpoint {
  const found = pods.find((candidate) => `${candidate.namespace}/${candidate.name}` === key);
  if (found === undefined) throw new Error(`no pod ${key}`);
  return { kind: 'pod', pod: found };
}

function external(ip: string): EngineEndpoint {
  return { kind: 'external', ip };
}

function calico(kind: string, name: string, spec: object, namespace?: string): CalicoPolicy {
  return parseCalicoPolicy({
    apiVersion: 'projectcalico.org/v3',
    kind,
    metadata: namespace === undefined ? { name } : { name, namespace },
    spec,
  });
}

const networkPolicy = (namespace: string, name: string, spec: object): CalicoPolicy =>
  calico('NetworkPolicy', name, spec, namespace);
const globalPolicy = (name: string, spec: object): CalicoPolicy => calico('GlobalNetworkPolicy', name, spec);

function tier(name: string, order: number | undefined, defaultAction?: 'Deny' | 'Pass'): Tier {
  return parseTier({
    apiVersion: 'projectcalico.org/v3',
    kind: 'Tier',
    metadata: { name },
    spec: { order, defaultAction },
  });
}

function kubernetesPolicy(namespace: string, name: string, spec: object): NetworkPolicy {
  return parseNetworkPolicy({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace },
    spec,
  });
}

function adminPolicy(name: string, spec: object): AdminNetworkPolicy {
  return parseAdminNetworkPolicy({ kind: 'AdminNetworkPolicy', metadata: { name }, spec });
}

function baselinePolicy(spec: object): BaselineAdminNetworkPolicy {
  return parseBaselineAdminNetworkPolicy({ kind: 'BaselineAdminNetworkPolicy', metadata: { name: 'default' }, spec });
}

function engine(snapshot: Omit<EngineSnapshot, 'namespaces'>): UnifiedPolicyEngine {
  return new UnifiedPolicyEngine({ namespaces, ...snapshot });
}

function evaluate(
  subject: UnifiedPolicyEngine,
  from: string,
  to: string,
  port: number | undefined = 80,
  protocol = 'tcp',
): UnifiedVerdict {
  const source = from.includes('/') ? pod(from) : external(from);
  const destination = to.includes('/') ? pod(to) : external(to);
  return subject.evaluate({ source, destination, port, protocol });
}

/** The reachability grid among all pods, as upstream prints it. */
function table(subject: UnifiedPolicyEngine, port: number | undefined = 80, protocol = 'tcp', pending = false): string {
  const header = ['-', ...POD_KEYS].join(' ');
  const rows = POD_KEYS.map((from) =>
    [
      from,
      ...POD_KEYS.map((to) => {
        const result = evaluate(subject, from, to, port, protocol);
        return ((pending ? result.pendingVerdict : result.verdict) === 'allow' ? '.' : 'X').padEnd(3);
      }),
    ]
      .join(' ')
      .trimEnd(),
  );
  return [header, ...rows].join('\n');
}

/** Builds the expected grid from a predicate over (client, server). */
function grid(allowed: (from: string, to: string) => boolean): string {
  const header = ['-', ...POD_KEYS].join(' ');
  const rows = POD_KEYS.map((from) =>
    [from, ...POD_KEYS.map((to) => (from === to || allowed(from, to) ? '.' : 'X').padEnd(3))].join(' ').trimEnd(),
  );
  return [header, ...rows].join('\n');
}

const ns = (key: string): string => key.split('/')[0] ?? '';
const name = (key: string): string => key.split('/')[1] ?? '';

function traceOf(result: UnifiedVerdict, direction: 'ingress' | 'egress', pending = false): string[] {
  const outcome = result[direction];
  assert.ok(outcome !== undefined, `no ${direction} outcome`);
  const trace = pending ? outcome.pending.trace : outcome.enforced.trace;
  return trace.map(
    (hit) =>
      `${hit.index}|${hit.tier}|${hit.staged ? 'staged:' : ''}${hit.verdict.policy === 'none' ? hit.name : hit.verdict.policy}|${hit.action}|${hit.ruleIndex}`,
  );
}

test('no policy anywhere: everything allowed by the profile, policy none', () => {
  const subject = engine({});
  assert.equal(
    table(subject),
    grid(() => true),
  );
  const result = evaluate(subject, 'x/a', 'y/b');
  assert.equal(result.decidedBy.policy, 'none');
  assert.equal(result.decidedBy.tier, 'none');
  assert.deepEqual(traceOf(result, 'ingress'), ['0|__PROFILE__|__PROFILE__.kns.y|allow|0']);
});

test('tier ordering: an earlier tier Deny wins over a default-tier allow', () => {
  const subject = engine({
    tiers: [tier('security', 100)],
    calicoPolicies: [
      globalPolicy('security.block-y-to-xa', {
        tier: 'security',
        selector: "pod == 'a' && projectcalico.org/namespace == 'x'",
        ingress: [{ action: 'Deny', source: { namespaceSelector: "ns == 'y'" } }, { action: 'Pass' }],
      }),
    ],
    networkPolicies: [kubernetesPolicy('x', 'allow-all', { podSelector: {}, ingress: [{}] })],
  });
  assert.equal(
    table(subject),
    grid((from, to) => !(to === 'x/a' && ns(from) === 'y')),
  );
  const denied = evaluate(subject, 'y/b', 'x/a');
  assert.deepEqual(
    { policy: denied.decidedBy.policy, tier: denied.decidedBy.tier, rule: denied.decidedBy.rule },
    { policy: 'block-y-to-xa', tier: 'security', rule: 0 },
  );
  assert.deepEqual(traceOf(evaluate(subject, 'z/b', 'x/a'), 'ingress'), [
    '0|security|block-y-to-xa|pass|1',
    '1|default|x/allow-all|allow|0',
  ]);
});

test('Pass hands over to the next tier; a tier that selects and matches nothing denies (rule -1)', () => {
  const subject = engine({
    tiers: [tier('platform', 10)],
    calicoPolicies: [
      globalPolicy('platform.pass-y', {
        tier: 'platform',
        namespaceSelector: "ns == 'x'",
        ingress: [{ action: 'Pass', source: { namespaceSelector: "ns == 'y'" } }],
      }),
      networkPolicy('x', 'allow-from-y-a', {
        ingress: [{ action: 'Allow', source: { namespaceSelector: 'all()', selector: "pod == 'a'" } }],
      }),
    ],
  });
  // From y: passed to default, which allows only y/a. From x and z: the platform tier's end-of-tier deny.
  assert.equal(
    table(subject),
    grid((from, to) => ns(to) !== 'x' || from === 'y/a'),
  );
  assert.deepEqual(traceOf(evaluate(subject, 'z/a', 'x/b'), 'ingress'), ['0|platform|pass-y|deny|-1']);
  assert.deepEqual(traceOf(evaluate(subject, 'y/b', 'x/b'), 'ingress'), [
    '0|platform|pass-y|pass|0',
    '1|default|x/allow-from-y-a|deny|-1',
  ]);
  const allowed = evaluate(subject, 'y/a', 'x/b');
  assert.deepEqual(traceOf(allowed, 'ingress'), ['0|platform|pass-y|pass|0', '1|default|x/allow-from-y-a|allow|0']);
  assert.equal(allowed.ingress?.enforced.policy, 'x/allow-from-y-a');
});

test('Tier defaultAction Pass: an unmatched tier passes on, to the profile when nothing else selects', () => {
  const spec = {
    tier: 'tenant',
    namespaceSelector: "ns == 'x'",
    ingress: [{ action: 'Deny', source: { namespaceSelector: "ns == 'z'" } }],
  };
  const passing = engine({ tiers: [tier('tenant', 50, 'Pass')], calicoPolicies: [globalPolicy('tenant.no-z', spec)] });
  assert.equal(
    table(passing),
    grid((from, to) => !(ns(to) === 'x' && ns(from) === 'z')),
  );
  const result = evaluate(passing, 'y/a', 'x/a');
  assert.deepEqual(traceOf(result, 'ingress'), ['0|tenant|no-z|pass|-1', '1|__PROFILE__|__PROFILE__.kns.x|allow|0']);
  assert.equal(result.decidedBy.policy, 'none');

  const denying = engine({ tiers: [tier('tenant', 50)], calicoPolicies: [globalPolicy('tenant.no-z', spec)] });
  assert.equal(
    table(denying),
    grid((_from, to) => ns(to) !== 'x'),
  );
});

test('Log rules are traced but do not decide', () => {
  const subject = engine({
    calicoPolicies: [
      networkPolicy('x', 'log-then-deny-z', {
        ingress: [
          { action: 'Log' },
          { action: 'Deny', source: { namespaceSelector: "ns == 'z'" } },
          { action: 'Allow', source: { namespaceSelector: 'all()' } },
        ],
      }),
    ],
  });
  assert.equal(
    table(subject),
    grid((from, to) => !(ns(to) === 'x' && ns(from) === 'z')),
  );
  assert.deepEqual(traceOf(evaluate(subject, 'z/a', 'x/a'), 'ingress'), [
    '0|default|x/log-then-deny-z|log|0',
    '1|default|x/log-then-deny-z|deny|1',
  ]);
  assert.equal(evaluate(subject, 'y/a', 'x/a').decidedBy.rule, 2);
});

test('GlobalNetworkPolicy with namespaceSelector; a GNP rule selector spans all namespaces', () => {
  const subject = engine({
    calicoPolicies: [
      globalPolicy('only-from-a', {
        namespaceSelector: "ns == 'y'",
        selector: 'all()',
        types: ['Ingress'],
        ingress: [{ action: 'Allow', source: { selector: "pod == 'a'" } }],
      }),
    ],
  });
  assert.equal(
    table(subject),
    grid((from, to) => ns(to) !== 'y' || name(from) === 'a'),
  );
});

test('notSelector: in a namespaced policy it is scoped to the policy namespace', () => {
  const subject = engine({
    calicoPolicies: [
      networkPolicy('x', 'not-b', { ingress: [{ action: 'Allow', source: { notSelector: "pod == 'b'" } }] }),
    ],
  });
  assert.equal(
    table(subject),
    grid((from, to) => ns(to) !== 'x' || (ns(from) === 'x' && name(from) !== 'b')),
  );
  // In a global policy it is not scoped: everything but pods b.
  const global = engine({
    calicoPolicies: [
      globalPolicy('not-b', {
        namespaceSelector: "ns == 'x'",
        ingress: [{ action: 'Allow', source: { notSelector: "pod == 'b'" } }],
      }),
    ],
  });
  assert.equal(
    table(global),
    grid((from, to) => ns(to) !== 'x' || name(from) !== 'b'),
  );
});

test('nets, notNets and network sets: an address takes the labels of the sets containing it', () => {
  const sets: NetworkSet[] = [
    parseNetworkSet({
      apiVersion: 'projectcalico.org/v3',
      kind: 'GlobalNetworkSet',
      metadata: { name: 'partners', labels: { role: 'partner' } },
      spec: { nets: ['192.168.0.0/16'] },
    }),
    parseNetworkSet({
      apiVersion: 'projectcalico.org/v3',
      kind: 'NetworkSet',
      metadata: { name: 'backups', namespace: 'x', labels: { role: 'backup' } },
      spec: { nets: ['172.16.0.0/12'] },
    }),
  ];
  const subject = engine({
    networkSets: sets,
    calicoPolicies: [
      globalPolicy('egress-partners', {
        namespaceSelector: "ns == 'x'",
        egress: [
          { action: 'Allow', destination: { selector: "role == 'partner'", notNets: ['192.168.9.0/24'] } },
          { action: 'Allow', destination: { nets: ['8.8.8.8'] } },
        ],
      }),
      // Namespaced: its selector sees x's network sets; global sets need namespaceSelector global().
      networkPolicy('x', 'egress-backups', {
        egress: [
          { action: 'Allow', destination: { selector: "role == 'backup'" } },
          { action: 'Deny', destination: { selector: "role == 'partner'" } },
          { action: 'Allow', destination: { namespaceSelector: 'global()', selector: "role == 'partner'" } },
        ],
      }),
    ],
  });
  const verdict = (to: string): string => {
    const result = evaluate(subject, 'x/a', to);
    return `${result.verdict} ${result.decidedBy.policy}:${result.decidedBy.rule}`;
  };
  assert.equal(verdict('192.168.1.1'), 'allow egress-partners:0');
  // Excluded by notNets in the GNP; the namespaced policy's rule 1 is scoped to x and misses the global set, rule 2 not.
  assert.equal(verdict('192.168.9.9'), 'allow x/egress-backups:2');
  assert.equal(verdict('8.8.8.8'), 'allow egress-partners:1');
  assert.equal(verdict('8.8.4.4'), 'deny x/egress-backups:-1');
  assert.equal(verdict('172.16.0.5'), 'allow x/egress-backups:0');
  // y's pods are not selected: their egress is the profile's.
  assert.equal(evaluate(subject, 'y/a', '9.9.9.9').decidedBy.policy, 'none');

  // Ingress from outside: the namespaced policy's unscoped selector does not see a global set.
  const ingress = engine({
    networkSets: sets,
    calicoPolicies: [
      networkPolicy('x', 'from-partners', {
        ingress: [{ action: 'Allow', source: { selector: "role == 'partner'" } }],
      }),
    ],
  });
  assert.equal(evaluate(ingress, '192.168.1.1', 'x/a').verdict, 'deny');
});

test('ports: ranges, named ports resolved at the destination pod, notPorts', () => {
  const ranges = engine({
    calicoPolicies: [
      networkPolicy('x', 'ranges', {
        ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: ['81:90'] } }],
      }),
    ],
  });
  assert.equal(
    table(ranges, 81),
    grid(() => true),
  );
  assert.equal(
    table(ranges, 80),
    grid((_from, to) => ns(to) !== 'x'),
  );

  const named = engine({
    calicoPolicies: [
      networkPolicy('x', 'named', {
        ingress: [{ action: 'Allow', protocol: 'UDP', destination: { ports: ['serve-80'] } }],
      }),
    ],
  });
  assert.equal(
    table(named, 80, 'udp'),
    grid(() => true),
  );
  assert.equal(
    table(named, 80, 'tcp'),
    grid((_from, to) => ns(to) !== 'x'),
  );
  assert.equal(
    table(named, 81, 'udp'),
    grid((_from, to) => ns(to) !== 'x'),
  );

  const notPorts = engine({
    calicoPolicies: [
      networkPolicy('x', 'not-80', {
        ingress: [{ action: 'Allow', protocol: 'TCP', destination: { notPorts: [80] } }],
      }),
    ],
  });
  assert.equal(
    table(notPorts, 81),
    grid(() => true),
  );
  assert.equal(
    table(notPorts, 80),
    grid((_from, to) => ns(to) !== 'x'),
  );
});

test('protocol and notProtocol (ICMP)', () => {
  const subject = engine({
    calicoPolicies: [
      networkPolicy('x', 'no-ping', {
        ingress: [
          { action: 'Deny', protocol: 'ICMP' },
          { action: 'Allow', notProtocol: 'UDP' },
        ],
      }),
    ],
  });
  assert.equal(
    table(subject, undefined, 'icmp'),
    grid((_from, to) => ns(to) !== 'x'),
  );
  assert.equal(
    table(subject, 80, 'tcp'),
    grid(() => true),
  );
  assert.equal(
    table(subject, 80, 'udp'),
    grid((_from, to) => ns(to) !== 'x'),
  );
  const ping = evaluate(subject, 'y/a', 'x/a', undefined, '1');
  assert.equal(ping.decidedBy.rule, 0);
  assert.equal(evaluate(subject, 'y/a', 'x/a', 80, 'udp').decidedBy.rule, -1);
});

test('Kubernetes NetworkPolicy sits in the default tier at order 1000', () => {
  const knp = kubernetesPolicy('x', 'allow-all', { podSelector: {}, ingress: [{}] });
  const before = engine({
    networkPolicies: [knp],
    calicoPolicies: [
      networkPolicy('x', 'deny-y', {
        order: 100,
        ingress: [{ action: 'Deny', source: { namespaceSelector: "ns == 'y'" } }],
      }),
    ],
  });
  assert.equal(
    table(before),
    grid((from, to) => !(ns(to) === 'x' && ns(from) === 'y')),
  );
  assert.deepEqual(traceOf(evaluate(before, 'y/a', 'x/a'), 'ingress'), ['0|default|x/deny-y|deny|0']);
  assert.equal(evaluate(before, 'z/a', 'x/a').decidedBy.kind, 'kubernetes');

  const after = engine({
    networkPolicies: [knp],
    calicoPolicies: [
      networkPolicy('x', 'deny-y', {
        order: 2000,
        ingress: [{ action: 'Deny', source: { namespaceSelector: "ns == 'y'" } }],
      }),
    ],
  });
  assert.equal(
    table(after),
    grid(() => true),
  );
  assert.equal(evaluate(after, 'y/a', 'x/a').decidedBy.policy, 'x/allow-all');
  // A Calico policy without order comes after the KNP too.
});

test('AdminNetworkPolicy before every tier of higher order, BaselineAdminNetworkPolicy after default', () => {
  const anp = adminPolicy('deny-z-to-x', {
    priority: 10,
    subject: { namespaces: { matchLabels: { ns: 'x' } } },
    ingress: [{ action: 'Deny', from: [{ namespaces: { matchLabels: { ns: 'z' } } }] }],
  });
  const subject = engine({
    adminNetworkPolicies: [anp],
    tiers: [tier('security', 2000)],
    calicoPolicies: [globalPolicy('security.allow-all', { tier: 'security', ingress: [{ action: 'Allow' }] })],
  });
  assert.equal(
    table(subject),
    grid((from, to) => !(ns(to) === 'x' && ns(from) === 'z')),
  );
  assert.deepEqual(
    [evaluate(subject, 'z/a', 'x/a').decidedBy.tier, evaluate(subject, 'y/a', 'x/a').decidedBy.tier],
    ['adminnetworkpolicy', 'security'],
  );
  // A tier ordered before 1000 comes first.
  const early = engine({
    adminNetworkPolicies: [anp],
    tiers: [tier('security', 500)],
    calicoPolicies: [globalPolicy('security.allow-all', { tier: 'security', ingress: [{ action: 'Allow' }] })],
  });
  assert.equal(
    table(early),
    grid(() => true),
  );

  const banp = baselinePolicy({
    subject: { namespaces: { matchLabels: { ns: 'x' } } },
    ingress: [{ action: 'Deny', from: [{ namespaces: {} }] }],
  });
  const baselineOnly = engine({ baselineAdminNetworkPolicies: [banp] });
  assert.equal(
    table(baselineOnly),
    grid((_from, to) => ns(to) !== 'x'),
  );
  assert.equal(evaluate(baselineOnly, 'y/a', 'x/a').decidedBy.tier, 'baselineadminnetworkpolicy');
  const withKnp = engine({
    baselineAdminNetworkPolicies: [banp],
    networkPolicies: [
      kubernetesPolicy('x', 'from-y', {
        podSelector: {},
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }],
      }),
    ],
  });
  assert.equal(
    table(withKnp),
    grid((from, to) => ns(to) !== 'x' || ns(from) === 'y'),
  );
  assert.equal(evaluate(withKnp, 'z/a', 'x/a').decidedBy.tier, 'default');
});

test('staged policies: the pending trace shows a staged deny while the enforced verdict stays allow', () => {
  const subject = engine({
    calicoPolicies: [
      calico('StagedNetworkPolicy', 'deny-all', { ingress: [{ action: 'Deny' }] }, 'x'),
      networkPolicy('y', 'allow-all', { ingress: [{ action: 'Allow' }] }),
    ],
  });
  assert.equal(
    table(subject),
    grid(() => true),
  );
  assert.equal(
    table(subject, 80, 'tcp', true),
    grid((_from, to) => ns(to) !== 'x'),
  );
  const result = evaluate(subject, 'y/a', 'x/a');
  assert.equal(result.verdict, 'allow');
  assert.equal(result.pendingVerdict, 'deny');
  assert.equal(result.stagedChangesVerdict, true);
  assert.deepEqual(traceOf(result, 'ingress'), ['0|__PROFILE__|__PROFILE__.kns.x|allow|0']);
  assert.deepEqual(traceOf(result, 'ingress', true), ['0|default|staged:x/deny-all|deny|0']);
  assert.equal(result.pendingDecidedBy.staged, true);
  // Unaffected directions share the enforced result.
  const egress = result.egress;
  assert.ok(egress !== undefined);
  assert.equal(egress.pending.verdict, egress.enforced.verdict);

  // A staged Delete of a Kubernetes policy previews its removal; a staged Set replaces the enforced one.
  const knp = kubernetesPolicy('x', 'deny-all', { podSelector: {}, policyTypes: ['Ingress'] });
  const deletion = engine({
    networkPolicies: [knp],
    stagedKubernetesPolicies: [
      parseStagedKubernetesNetworkPolicy({
        apiVersion: 'projectcalico.org/v3',
        kind: 'StagedKubernetesNetworkPolicy',
        metadata: { name: 'deny-all', namespace: 'x' },
        spec: { stagedAction: 'Delete', podSelector: {} },
      }),
    ],
  });
  assert.equal(
    table(deletion),
    grid((_from, to) => ns(to) !== 'x'),
  );
  assert.equal(
    table(deletion, 80, 'tcp', true),
    grid(() => true),
  );
  const replacement = engine({
    networkPolicies: [knp],
    stagedKubernetesPolicies: [
      parseStagedKubernetesNetworkPolicy({
        kind: 'StagedKubernetesNetworkPolicy',
        metadata: { name: 'deny-all', namespace: 'x' },
        spec: { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] },
      }),
    ],
  });
  assert.equal(
    table(replacement, 80, 'tcp', true),
    grid((from, to) => ns(to) !== 'x' || ns(from) === 'x'),
  );
  assert.deepEqual(traceOf(evaluate(replacement, 'x/b', 'x/a'), 'ingress', true), [
    '0|default|staged:x/deny-all|allow|0',
  ]);
});

test('verdicts are cached per identity and dropped by update()', () => {
  const subject = engine({
    calicoPolicies: [networkPolicy('x', 'deny-all', { ingress: [{ action: 'Deny' }] })],
  });
  const first = evaluate(subject, 'y/a', 'x/a');
  assert.equal(first.verdict, 'deny');
  assert.equal(evaluate(subject, 'y/a', 'x/a'), first);
  assert.equal(subject.cachedVerdicts, 1);
  // Another pod with the same namespace and labels has the same identity.
  const twin: PodInfo = { ...pods[3]!, name: 'a-twin', ips: ['10.0.2.99'] };
  assert.equal(
    subject.evaluate({ source: { kind: 'pod', pod: twin }, destination: pod('x/a'), port: 80, protocol: 'tcp' }),
    first,
  );
  assert.equal(subject.cachedVerdicts, 1);

  subject.update({ namespaces, calicoPolicies: [] });
  assert.equal(subject.cachedVerdicts, 0);
  const second = evaluate(subject, 'y/a', 'x/a');
  assert.notEqual(second, first);
  assert.equal(second.verdict, 'allow');
});

test('the cache keys on addresses when some rule matches addresses', () => {
  const subject = engine({
    calicoPolicies: [
      networkPolicy('x', 'from-one-ip', { ingress: [{ action: 'Allow', source: { nets: ['10.0.2.1/32'] } }] }),
    ],
  });
  const twin: PodInfo = { ...pods[3]!, name: 'a-twin', ips: ['10.0.2.99'] };
  assert.equal(evaluate(subject, 'y/a', 'x/a').verdict, 'allow');
  const result = subject.evaluate({
    source: { kind: 'pod', pod: twin },
    destination: pod('x/a'),
    port: 80,
    protocol: 'tcp',
  });
  assert.equal(result.verdict, 'deny');
  assert.equal(evaluate(subject, '10.0.2.1', 'x/a').verdict, 'allow');
  assert.equal(evaluate(subject, '10.0.2.2', 'x/a').verdict, 'deny');
});

test('the cache stays bounded', () => {
  const subject = new UnifiedPolicyEngine({ namespaces }, { cacheSize: 4 });
  for (let i = 0; i < 20; i++) evaluate(subject, 'x/a', 'y/a', 1000 + i);
  assert.ok(subject.cachedVerdicts <= 4);
});

test('a pod talking to itself is not evaluated', () => {
  const subject = engine({ calicoPolicies: [networkPolicy('x', 'deny-all', { ingress: [{ action: 'Deny' }] })] });
  const result = evaluate(subject, 'x/a', 'x/a');
  assert.equal(result.loopback, true);
  assert.equal(result.verdict, 'allow');
});

test('service accounts: serviceAccountSelector and serviceAccounts.names', () => {
  const subject = new UnifiedPolicyEngine({
    namespaces,
    serviceAccounts: [{ namespace: 'y', name: 'robot', labels: { team: 'infra' } }],
    calicoPolicies: [
      networkPolicy('x', 'from-robots', {
        ingress: [{ action: 'Allow', source: { namespaceSelector: 'all()', serviceAccounts: { names: ['robot'] } } }],
      }),
      globalPolicy('infra-egress', {
        serviceAccountSelector: "team == 'infra'",
        egress: [{ action: 'Deny', destination: { nets: ['0.0.0.0/0'] } }],
      }),
    ],
  });
  const robot = (key: string): EngineEndpoint => {
    const endpoint = pod(key);
    return endpoint.kind === 'pod' ? { ...endpoint, serviceAccount: 'robot' } : endpoint;
  };
  assert.equal(
    subject.evaluate({ source: robot('z/a'), destination: pod('x/a'), port: 80, protocol: 'tcp' }).verdict,
    'allow',
  );
  assert.equal(
    subject.evaluate({ source: pod('z/a'), destination: pod('x/a'), port: 80, protocol: 'tcp' }).verdict,
    'deny',
  );
  const infra = subject.evaluate({
    source: robot('y/a'),
    destination: external('1.1.1.1'),
    port: 443,
    protocol: 'tcp',
  });
  assert.equal(infra.verdict, 'deny');
  assert.equal(infra.decidedBy.policy, 'infra-egress');
});

test('selectingPolicies lists the policies that select a pod per direction, staged ones only when pending', () => {
  const subject = engine({
    networkPolicies: [
      kubernetesPolicy('x', 'a-ingress', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Ingress'] }),
      kubernetesPolicy('x', 'b-only', { podSelector: { matchLabels: { pod: 'b' } } }),
    ],
    calicoPolicies: [
      globalPolicy('all-egress', { selector: 'all()', types: ['Egress'], egress: [{ action: 'Allow' }] }),
      calico('StagedNetworkPolicy', 'staged-a', { selector: "pod == 'a'", types: ['Ingress'] }, 'x'),
    ],
  });
  const listed = (pending: boolean): string[] => {
    const endpoint = pod('x/a');
    if (endpoint.kind !== 'pod') throw new Error('a pod');
    return subject
      .selectingPolicies(endpoint, pending)
      .map((entry) => `${entry.policy} ${entry.kind}${entry.staged ? ' staged' : ''} ${entry.directions.join('+')}`);
  };
  assert.deepEqual(listed(false).sort(), ['all-egress global egress', 'x/a-ingress kubernetes ingress']);
  assert.deepEqual(listed(true).sort(), [
    'all-egress global egress',
    'x/a-ingress kubernetes ingress',
    'x/staged-a calico staged ingress',
  ]);
});
