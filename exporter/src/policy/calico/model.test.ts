import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseCalicoObject,
  parseCalicoPolicy,
  parseNetworkSet,
  parseStagedKubernetesNetworkPolicy,
  parseTier,
} from './model';

const V3 = 'projectcalico.org/v3';

test('Tier: order and defaultAction, Deny by default', () => {
  assert.deepEqual(parseTier({ apiVersion: V3, kind: 'Tier', metadata: { name: 'security' }, spec: { order: 100 } }), {
    kind: 'Tier',
    name: 'security',
    order: 100,
    defaultAction: 'Deny',
  });
  const passing = parseTier({ kind: 'Tier', metadata: { name: 'open' }, spec: { defaultAction: 'Pass' } });
  assert.equal(passing.order, undefined);
  assert.equal(passing.defaultAction, 'Pass');
  assert.throws(
    () => parseTier({ kind: 'Tier', metadata: { name: 't' }, spec: { defaultAction: 'Allow' } }),
    /^PolicyParseError: Tier t: spec.defaultAction must be Deny or Pass/,
  );
});

test('NetworkPolicy: defaults, tier prefix dropped from the name, CRD apiVersion accepted', () => {
  const policy = parseCalicoPolicy({
    apiVersion: 'crd.projectcalico.org/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'platform.allow-dns', namespace: 'shop' },
    spec: { tier: 'platform', order: 10, selector: "app == 'web'", egress: [{ action: 'Allow' }] },
  });
  assert.equal(policy.name, 'allow-dns');
  assert.equal(policy.label, 'shop/allow-dns');
  assert.equal(policy.tier, 'platform');
  assert.equal(policy.order, 10);
  assert.equal(policy.selector.matches({ app: 'web' }), true);
  assert.equal(policy.appliesToIngress, false);
  assert.equal(policy.appliesToEgress, true);
  assert.equal(policy.staged, false);

  const bare = parseCalicoPolicy({ kind: 'NetworkPolicy', metadata: { name: 'default.deny' }, spec: {} });
  assert.deepEqual(
    [bare.namespace, bare.name, bare.tier, bare.order, bare.appliesToIngress, bare.appliesToEgress],
    ['default', 'deny', 'default', undefined, true, false],
  );
  assert.equal(bare.selector.matchesEverything, true);
});

test('types inference follows Calico: Ingress with ingress rules or none at all, Egress with egress rules', () => {
  const types = (spec: object): [boolean, boolean] => {
    const policy = parseCalicoPolicy({ kind: 'GlobalNetworkPolicy', metadata: { name: 'p' }, spec });
    return [policy.appliesToIngress, policy.appliesToEgress];
  };
  assert.deepEqual(types({}), [true, false]);
  assert.deepEqual(types({ ingress: [{ action: 'Allow' }] }), [true, false]);
  assert.deepEqual(types({ egress: [{ action: 'Allow' }] }), [false, true]);
  assert.deepEqual(types({ ingress: [{ action: 'Allow' }], egress: [{ action: 'Deny' }] }), [true, true]);
  assert.deepEqual(types({ types: ['Egress'] }), [false, true]);
});

test('rules: protocols, ports, ranges, names, nets and entity selectors', () => {
  const policy = parseCalicoPolicy({
    kind: 'GlobalNetworkPolicy',
    metadata: { name: 'rules' },
    spec: {
      namespaceSelector: "team == 'a'",
      ingress: [
        {
          action: 'Allow',
          protocol: 'TCP',
          source: { nets: ['10.0.0.0/8', '192.168.1.1'], notSelector: "app == 'x'" },
          destination: { ports: [80, '8000:8080', 'http'], notPorts: ['9090'] },
        },
        { action: 'Deny', protocol: 1, notProtocol: 'UDPLite' },
        { action: 'Log', protocol: 'ICMP', icmp: { type: 8 } },
        { action: 'Pass', source: { serviceAccounts: { names: ['robot'], selector: "team == 'infra'" } } },
      ],
    },
  });
  const [allow, deny, log, pass] = policy.ingress;
  assert.ok(allow !== undefined && deny !== undefined && log !== undefined && pass !== undefined);
  assert.equal(allow.protocol, 6);
  assert.deepEqual(allow.destination.ports, {
    ranges: [
      { start: 80, end: 80 },
      { start: 8000, end: 8080 },
    ],
    names: ['http'],
  });
  assert.deepEqual(allow.destination.notPorts, { ranges: [{ start: 9090, end: 9090 }], names: [] });
  assert.deepEqual(
    allow.source.nets?.map((cidr) => cidr.prefixLength),
    [8, 32],
  );
  assert.equal(allow.source.notSelector?.matches({ app: 'x' }), true);
  assert.deepEqual([deny.protocol, deny.notProtocol], [1, 136]);
  assert.equal(log.needsUnknownFields, true);
  assert.deepEqual(pass.source.serviceAccounts?.names, ['robot']);
  assert.equal(policy.namespaceSelector?.matches({ team: 'a' }), true);
});

test('errors name the object and the field', () => {
  const cases: [object, RegExp][] = [
    [
      { kind: 'NetworkPolicy', metadata: { name: 'p', namespace: 'shop' }, spec: { selector: 'app ==' } },
      /NetworkPolicy shop\/p: spec.selector is not a valid selector/,
    ],
    [
      { kind: 'GlobalNetworkPolicy', metadata: { name: 'g' }, spec: { ingress: [{ action: 'Reject' }] } },
      /GlobalNetworkPolicy g: spec.ingress\[0\].action must be one of Allow, Deny, Pass, Log/,
    ],
    [
      {
        kind: 'GlobalNetworkPolicy',
        metadata: { name: 'g' },
        spec: { egress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: ['90:80'] } }] },
      },
      /GlobalNetworkPolicy g: spec.egress\[0\].destination.ports\[0\] must be a range with start <= end/,
    ],
    [
      {
        kind: 'GlobalNetworkPolicy',
        metadata: { name: 'g' },
        spec: { egress: [{ action: 'Allow', destination: { ports: [80] } }] },
      },
      /GlobalNetworkPolicy g: spec.egress\[0\].destination.ports need protocol/,
    ],
    [
      {
        kind: 'GlobalNetworkPolicy',
        metadata: { name: 'g' },
        spec: { ingress: [{ action: 'Allow', protocol: 'GRE' }] },
      },
      /spec.ingress\[0\].protocol must be one of TCP/,
    ],
    [
      {
        kind: 'NetworkPolicy',
        metadata: { name: 'p', namespace: 'shop' },
        spec: { ingress: [{ action: 'Allow', source: { nets: ['10.0.0.0/33'] } }] },
      },
      /NetworkPolicy shop\/p: spec.ingress\[0\].source.nets\[0\] must be an IPv4 or IPv6 CIDR/,
    ],
    [
      { kind: 'NetworkPolicy', metadata: { name: 'p' }, spec: { namespaceSelector: 'all()' } },
      /NetworkPolicy default\/p: spec.namespaceSelector is only valid on GlobalNetworkPolicy/,
    ],
    [
      { kind: 'NetworkPolicy', metadata: { name: 'p' }, spec: { selectr: 'all()' } },
      /spec.selectr is not a known field/,
    ],
    [{ apiVersion: 'v1', kind: 'NetworkPolicy', metadata: { name: 'p' }, spec: {} }, /apiVersion must be/],
  ];
  for (const [object, message] of cases) assert.throws(() => parseCalicoObject(object), message);
});

test('staged kinds', () => {
  const staged = parseCalicoPolicy({
    kind: 'StagedGlobalNetworkPolicy',
    metadata: { name: 'security.lockdown' },
    spec: { tier: 'security', stagedAction: 'Delete' },
  });
  assert.deepEqual(
    [staged.staged, staged.stagedAction, staged.name, staged.label],
    [true, 'Delete', 'lockdown', 'lockdown'],
  );
  assert.throws(
    () => parseCalicoPolicy({ kind: 'NetworkPolicy', metadata: { name: 'p' }, spec: { stagedAction: 'Set' } }),
    /spec.stagedAction is only valid on staged policies/,
  );

  const knp = parseStagedKubernetesNetworkPolicy({
    apiVersion: V3,
    kind: 'StagedKubernetesNetworkPolicy',
    metadata: { name: 'web', namespace: 'shop' },
    spec: { podSelector: { matchLabels: { app: 'web' } }, ingress: [{}] },
  });
  assert.equal(knp.stagedAction, 'Set');
  assert.equal(knp.policy.label, 'shop/web');
  assert.throws(
    () =>
      parseStagedKubernetesNetworkPolicy({
        kind: 'StagedKubernetesNetworkPolicy',
        metadata: { name: 'web', namespace: 'shop' },
        spec: { podSelectr: {} },
      }),
    /^PolicyParseError: StagedKubernetesNetworkPolicy shop\/web: spec.podSelectr is not a known field/,
  );
});

test('network sets', () => {
  const global = parseNetworkSet({
    apiVersion: V3,
    kind: 'GlobalNetworkSet',
    metadata: { name: 'partners', labels: { role: 'partner' } },
    spec: { nets: ['192.168.0.0/16', 'fd00::/64'] },
  });
  assert.deepEqual([global.kind, global.namespace, global.labels], ['GlobalNetworkSet', '', { role: 'partner' }]);
  assert.equal(global.nets.length, 2);
  const local = parseCalicoObject({ kind: 'NetworkSet', metadata: { name: 'backups', namespace: 'x' }, spec: {} });
  assert.ok(local.kind === 'NetworkSet');
  assert.equal(local.namespace, 'x');
  assert.throws(
    () => parseNetworkSet({ kind: 'GlobalNetworkSet', metadata: { name: 'n' }, spec: { nets: ['nope'] } }),
    /GlobalNetworkSet n: spec.nets\[0\] must be an IPv4 or IPv6 CIDR/,
  );
});
