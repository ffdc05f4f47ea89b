import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PolicyParseError } from './fields';
import {
  parseAdminNetworkPolicy,
  parseBaselineAdminNetworkPolicy,
  parseNamespaceInfo,
  parseNetworkPolicy,
  parsePodInfo,
} from './model';
import { MATCH_ALL } from './label-selector';

function networkPolicy(spec: unknown, name = 'allow-web'): unknown {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: 'shop' }, spec };
}

function adminPolicy(spec: unknown): unknown {
  return {
    apiVersion: 'policy.networking.k8s.io/v1alpha1',
    kind: 'AdminNetworkPolicy',
    metadata: { name: 'guard' },
    spec,
  };
}

function baselinePolicy(spec: unknown): unknown {
  return {
    apiVersion: 'policy.networking.k8s.io/v1alpha1',
    kind: 'BaselineAdminNetworkPolicy',
    metadata: { name: 'default' },
    spec,
  };
}

/** Asserts a PolicyParseError with exactly this message. */
function assertRejects(parse: () => unknown, message: string): void {
  assert.throws(parse, (error: unknown) => {
    assert.ok(error instanceof PolicyParseError, `expected a PolicyParseError, got ${String(error)}`);
    assert.equal(error.message, message);
    return true;
  });
}

test('a NetworkPolicy is projected with defaults applied', () => {
  const policy = parseNetworkPolicy(
    networkPolicy({
      podSelector: { matchLabels: { app: 'web' } },
      ingress: [
        {
          from: [
            { ipBlock: { cidr: '10.0.0.1/8', except: ['10.1.0.0/16'] } },
            { namespaceSelector: {}, podSelector: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] } },
            { podSelector: {} },
          ],
          ports: [
            { port: 8080 },
            { protocol: 'UDP', port: 'dns' },
            { port: 9000, endPort: 9100 },
            { protocol: 'SCTP' },
          ],
        },
        {},
      ],
    }),
  );
  assert.equal(policy.label, 'shop/allow-web');
  assert.equal(policy.isolatesIngress, true);
  assert.equal(policy.isolatesEgress, false);
  assert.equal(policy.egress.length, 0);
  const [first, second] = policy.ingress;
  assert.deepEqual(first?.ports, [
    { kind: 'range', protocol: 'TCP', start: 8080, end: 8080 },
    { kind: 'named', protocol: 'UDP', name: 'dns' },
    { kind: 'range', protocol: 'TCP', start: 9000, end: 9100 },
    { kind: 'range', protocol: 'SCTP', start: 1, end: 65535 },
  ]);
  const [ipPeer, bothPeer, podPeer] = first?.peers ?? [];
  assert.equal(ipPeer?.kind === 'ip' && ipPeer.blocks[0]?.cidr.network, 0x0a000000n);
  assert.deepEqual(bothPeer?.kind === 'pods' && [bothPeer.namespace, bothPeer.namespaces], [undefined, MATCH_ALL]);
  assert.deepEqual(podPeer?.kind === 'pods' && [podPeer.namespace, podPeer.pods], ['shop', MATCH_ALL]);
  assert.deepEqual(second, { peers: undefined, ports: undefined });
});

test('policyTypes: explicit types win; inferred Egress needs an egress rule', () => {
  const explicit = parseNetworkPolicy(networkPolicy({ podSelector: {}, policyTypes: ['Egress'], ingress: [{}] }));
  assert.deepEqual([explicit.isolatesIngress, explicit.isolatesEgress], [false, true]);
  const inferred = parseNetworkPolicy(networkPolicy({ podSelector: {}, egress: [{ to: [] }] }));
  assert.deepEqual([inferred.isolatesIngress, inferred.isolatesEgress], [true, true]);
  assert.deepEqual(inferred.egress, [{ peers: undefined, ports: undefined }]);
  const emptyEgress = parseNetworkPolicy(networkPolicy({ podSelector: {}, egress: [] }));
  assert.deepEqual([emptyEgress.isolatesIngress, emptyEgress.isolatesEgress], [true, false]);
  // A missing podSelector is the empty selector, and a missing namespace is `default`, as the API server has it.
  const bare = parseNetworkPolicy({ metadata: { name: 'p' }, spec: {} });
  assert.deepEqual([bare.label, bare.podSelector], ['default/p', MATCH_ALL]);
});

test('NetworkPolicy errors name the object and the field', () => {
  const withPort = (port: unknown) =>
    parseNetworkPolicy(networkPolicy({ podSelector: {}, ingress: [{ ports: [{ port: 80 }, port] }] }));
  assertRejects(
    () => withPort({ port: true }),
    'NetworkPolicy shop/allow-web: spec.ingress[0].ports[1].port must be a number or a port name',
  );
  assertRejects(
    () => withPort({ port: 0 }),
    'NetworkPolicy shop/allow-web: spec.ingress[0].ports[1].port must be an integer from 1 to 65535, got number 0',
  );
  assertRejects(
    () => withPort({ port: 'Serve_80' }),
    'NetworkPolicy shop/allow-web: spec.ingress[0].ports[1].port must be a valid port name (IANA_SVC_NAME), got "Serve_80"',
  );
  assertRejects(
    () => withPort({ port: 90, endPort: 80 }),
    'NetworkPolicy shop/allow-web: spec.ingress[0].ports[1].endPort must be an integer from 90 to 65535, got number 80',
  );
  assertRejects(
    () => withPort({ port: 'http', endPort: 90 }),
    'NetworkPolicy shop/allow-web: spec.ingress[0].ports[1].endPort requires a numeric port, not a port name',
  );
  assertRejects(
    () => withPort({ protocol: 'ICMP', port: 1 }),
    'NetworkPolicy shop/allow-web: spec.ingress[0].ports[1].protocol must be one of TCP, UDP, SCTP, got string "ICMP"',
  );
  assertRejects(
    () => parseNetworkPolicy(networkPolicy({ ingress: { from: [] } })),
    'NetworkPolicy shop/allow-web: spec.ingress must be an array, got an object',
  );
  assertRejects(
    () => parseNetworkPolicy(networkPolicy({ podSelectr: {} })),
    'NetworkPolicy shop/allow-web: spec.podSelectr is not a known field',
  );
  assertRejects(
    () => parseNetworkPolicy(networkPolicy({ policyTypes: ['Both'] })),
    'NetworkPolicy shop/allow-web: spec.policyTypes[0] must be "Ingress" or "Egress", got string "Both"',
  );
  assertRejects(
    () => parseNetworkPolicy(networkPolicy({ podSelector: { matchLabels: { app: 3 } } })),
    'NetworkPolicy shop/allow-web: spec.podSelector.matchLabels.app must be a string, got number 3',
  );
  assertRejects(
    () => parseNetworkPolicy({ kind: 'NetworkPolicy', metadata: {}, spec: {} }),
    'NetworkPolicy <unnamed>: metadata.name must be a non-empty string, got nothing',
  );
  assertRejects(
    () => parseNetworkPolicy({ kind: 'Pod', metadata: { name: 'p' }, spec: {} }),
    'NetworkPolicy <unnamed>: kind must be "NetworkPolicy", got string "Pod"',
  );
  assertRejects(
    () => parseNetworkPolicy({ metadata: { name: 'p', namespace: 'shop' } }),
    'NetworkPolicy shop/p: spec must be an object, got nothing',
  );
  assertRejects(() => parseNetworkPolicy([]), 'NetworkPolicy <unnamed>: (object) must be an object, got an array');
});

test('NetworkPolicy peers: empty, combined with ipBlock, bad CIDRs and exceptions', () => {
  const withPeer = (peer: unknown) => parseNetworkPolicy(networkPolicy({ egress: [{ to: [peer] }] }));
  assertRejects(
    () => withPeer({}),
    'NetworkPolicy shop/allow-web: spec.egress[0].to[0] must set podSelector, namespaceSelector or ipBlock',
  );
  assertRejects(
    () => withPeer({ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }),
    'NetworkPolicy shop/allow-web: spec.egress[0].to[0] must not combine ipBlock with podSelector or namespaceSelector',
  );
  for (const cidr of [
    '10.0.0.0/33',
    '10.0.0/8',
    '10.0.0.0',
    '256.0.0.0/8',
    'fd00::/129',
    'fd00:::1/64',
    '1:2:3:4:5:6:7:8:9/64',
  ]) {
    assertRejects(
      () => withPeer({ ipBlock: { cidr } }),
      `NetworkPolicy shop/allow-web: spec.egress[0].to[0].ipBlock.cidr must be an IPv4 or IPv6 CIDR such as 10.0.0.0/8, got "${cidr}"`,
    );
  }
  assertRejects(
    () => withPeer({ ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.1.0/24', '10.1.0.0/24'] } }),
    'NetworkPolicy shop/allow-web: spec.egress[0].to[0].ipBlock.except[1] must be a strict subset of 10.0.0.0/16, got "10.1.0.0/24"',
  );
  assertRejects(
    () => withPeer({ ipBlock: { cidr: 'fd00::/64', except: ['10.0.0.0/8'] } }),
    'NetworkPolicy shop/allow-web: spec.egress[0].to[0].ipBlock.except[0] must be a strict subset of fd00::/64, got "10.0.0.0/8"',
  );
  assertRejects(
    () => withPeer({ ipBlock: { cidr: 42 } }),
    'NetworkPolicy shop/allow-web: spec.egress[0].to[0].ipBlock.cidr must be a non-empty string, got number 42',
  );
});

test('label selector errors: unknown operator, missing or extra values', () => {
  const withExpression = (expression: unknown) =>
    parseNetworkPolicy(networkPolicy({ podSelector: { matchExpressions: [expression] } }));
  assertRejects(
    () => withExpression({ key: 'app', operator: 'Equals', values: ['a'] }),
    'NetworkPolicy shop/allow-web: spec.podSelector.matchExpressions[0].operator must be one of In, NotIn, Exists, DoesNotExist, got "Equals"',
  );
  assertRejects(
    () => withExpression({ key: 'app', operator: 'In', values: [] }),
    'NetworkPolicy shop/allow-web: spec.podSelector.matchExpressions[0].values must not be empty for operator In',
  );
  assertRejects(
    () => withExpression({ key: 'app', operator: 'Exists', values: ['a'] }),
    'NetworkPolicy shop/allow-web: spec.podSelector.matchExpressions[0].values must be empty for operator Exists',
  );
  assertRejects(
    () => withExpression({ operator: 'Exists' }),
    'NetworkPolicy shop/allow-web: spec.podSelector.matchExpressions[0].key must be a non-empty string, got nothing',
  );
});

test('an AdminNetworkPolicy is projected', () => {
  const policy = parseAdminNetworkPolicy(
    adminPolicy({
      priority: 7,
      subject: { pods: { namespaceSelector: { matchLabels: { ns: 'x' } }, podSelector: {} } },
      ingress: [{ name: 'r', action: 'Pass', from: [{ namespaces: {} }], ports: [{ namedPort: 'http' }] }],
      egress: [
        {
          action: 'Deny',
          to: [{ networks: ['10.0.0.0/8', 'fd00::/8'] }, { domainNames: ['example.com'] }, { nodes: {} }],
          ports: [{ portRange: { protocol: 'UDP', start: 1000, end: 2000 } }, { portNumber: { port: 53 } }],
        },
      ],
    }),
  );
  assert.equal(policy.label, 'guard');
  assert.equal(policy.priority, 7);
  assert.deepEqual(policy.ingress[0]?.ports, [{ kind: 'named', protocol: undefined, name: 'http' }]);
  assert.deepEqual(
    policy.egress[0]?.peers.map((peer) => peer.kind),
    ['ip', 'unmatched', 'unmatched'],
  );
  assert.deepEqual(policy.egress[0]?.ports, [
    { kind: 'range', protocol: 'UDP', start: 1000, end: 2000 },
    { kind: 'range', protocol: 'TCP', start: 53, end: 53 },
  ]);
  assert.equal(policy.egress[0]?.name, '');
});

test('AdminNetworkPolicy and BaselineAdminNetworkPolicy errors name the field', () => {
  const subject = { namespaces: {} };
  assertRejects(
    () => parseAdminNetworkPolicy(adminPolicy({ subject })),
    'AdminNetworkPolicy guard: spec.priority must be an integer from 0 to 1000, got nothing',
  );
  assertRejects(
    () => parseAdminNetworkPolicy(adminPolicy({ priority: 1001, subject })),
    'AdminNetworkPolicy guard: spec.priority must be an integer from 0 to 1000, got number 1001',
  );
  assertRejects(
    () => parseAdminNetworkPolicy(adminPolicy({ priority: 1, subject: { namespaces: {}, pods: {} } })),
    'AdminNetworkPolicy guard: spec.subject must set exactly one of namespaces, pods',
  );
  assertRejects(
    () =>
      parseAdminNetworkPolicy(
        adminPolicy({ priority: 1, subject, ingress: [{ action: 'Reject', from: [{ namespaces: {} }] }] }),
      ),
    'AdminNetworkPolicy guard: spec.ingress[0].action must be one of Allow, Deny, Pass, got string "Reject"',
  );
  assertRejects(
    () => parseAdminNetworkPolicy(adminPolicy({ priority: 1, subject, ingress: [{ action: 'Deny', from: [] }] })),
    'AdminNetworkPolicy guard: spec.ingress[0].from must have at least one peer',
  );
  assertRejects(
    () =>
      parseAdminNetworkPolicy(
        adminPolicy({ priority: 1, subject, ingress: [{ action: 'Deny', from: [{ networks: ['10.0.0.0/8'] }] }] }),
      ),
    'AdminNetworkPolicy guard: spec.ingress[0].from[0].networks is not a known field',
  );
  assertRejects(
    () =>
      parseAdminNetworkPolicy(
        adminPolicy({
          priority: 1,
          subject,
          egress: [{ action: 'Deny', to: [{ networks: ['10.0.0.0/8', '10.0.0.0/99'] }] }],
        }),
      ),
    'AdminNetworkPolicy guard: spec.egress[0].to[0].networks[1] must be an IPv4 or IPv6 CIDR such as 10.0.0.0/8, got "10.0.0.0/99"',
  );
  assertRejects(
    () =>
      parseAdminNetworkPolicy(
        adminPolicy({
          priority: 1,
          subject,
          egress: [{ action: 'Deny', to: [{ namespaces: {} }], ports: [{ portRange: { start: 90, end: 80 } }] }],
        }),
      ),
    'AdminNetworkPolicy guard: spec.egress[0].ports[0].portRange.end must be an integer from 90 to 65535, got number 80',
  );
  assertRejects(
    () =>
      parseAdminNetworkPolicy(
        adminPolicy({
          priority: 1,
          subject: {
            pods: { namespaceSelector: {}, podSelector: { matchExpressions: [{ key: 'a', operator: 'Like' }] } },
          },
        }),
      ),
    'AdminNetworkPolicy guard: spec.subject.pods.podSelector.matchExpressions[0].operator must be one of In, NotIn, Exists, DoesNotExist, got "Like"',
  );
  assertRejects(
    () =>
      parseBaselineAdminNetworkPolicy(
        baselinePolicy({ subject, ingress: [{ action: 'Pass', from: [{ namespaces: {} }] }] }),
      ),
    'BaselineAdminNetworkPolicy default: spec.ingress[0].action must be one of Allow, Deny, got string "Pass"',
  );
  assertRejects(
    () =>
      parseBaselineAdminNetworkPolicy(
        baselinePolicy({ subject, egress: [{ action: 'Deny', to: [{ domainNames: ['a.b'] }] }] }),
      ),
    'BaselineAdminNetworkPolicy default: spec.egress[0].to[0].domainNames is not a known field',
  );
  assertRejects(
    () => parseBaselineAdminNetworkPolicy(baselinePolicy({ priority: 3, subject })),
    'BaselineAdminNetworkPolicy default: spec.priority is not a known field',
  );
});

test('namespaces and pods are projected from their objects', () => {
  assert.deepEqual(parseNamespaceInfo({ metadata: { name: 'x', labels: { ns: 'x' } } }), {
    name: 'x',
    labels: { ns: 'x' },
  });
  const pod = parsePodInfo({
    metadata: { name: 'a', namespace: 'x', labels: { pod: 'a' } },
    spec: {
      containers: [
        {
          name: 'web',
          ports: [
            { name: 'serve-80', containerPort: 80 },
            { containerPort: 81, protocol: 'UDP' },
          ],
        },
      ],
    },
    status: { podIP: '10.0.1.1', podIPs: [{ ip: '10.0.1.1' }, { ip: 'fd00::1:1' }] },
  });
  assert.deepEqual(
    { ...pod, labels: { ...pod.labels } },
    {
      namespace: 'x',
      name: 'a',
      labels: { pod: 'a' },
      ips: ['10.0.1.1', 'fd00::1:1'],
      containerPorts: [
        { name: 'serve-80', port: 80, protocol: 'TCP' },
        { name: '', port: 81, protocol: 'UDP' },
      ],
    },
  );
  assertRejects(
    () => parsePodInfo({ metadata: { name: 'a' }, spec: { containers: [{ ports: [{ containerPort: '80' }] }] } }),
    'Pod default/a: spec.containers[0].ports[0].containerPort must be an integer from 1 to 65535, got string "80"',
  );
  assert.equal(
    parsePodInfo({ metadata: { name: 'a' }, spec: { serviceAccountName: 'robot' } }).serviceAccount,
    'robot',
  );
});
