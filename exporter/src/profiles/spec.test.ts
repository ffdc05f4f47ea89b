import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseObservabilityProfile, profileCovers, ProfileSpecError } from './spec';

const REPO = join(__dirname, '..', '..', '..', '..');

function profile(spec: unknown, metadata: Record<string, unknown> = {}, top: Record<string, unknown> = {}) {
  return {
    apiVersion: 'flowlens.io/v1alpha1',
    kind: 'ObservabilityProfile',
    metadata: { name: 'checkout', namespace: 'shop', ...metadata },
    spec,
    ...top,
  };
}

test('the example profile parses; defaults fill what it leaves out', () => {
  const example: unknown = parse(
    readFileSync(join(REPO, 'provisioning', 'kubernetes', 'examples', 'checkout-profile.yaml'), 'utf8'),
  );
  const parsed = parseObservabilityProfile(example);
  assert.equal(parsed.namespace, 'shop');
  assert.deepEqual(parsed.spec.workloadNames, ['checkout', 'payments']);
  assert.equal(parsed.spec.aggregation, 'pod');
  assert.deepEqual(parsed.spec.collect, { flows: true, dns: true, l7: true, sockets: false });
  const oneAMinute = { requests: 1, perSeconds: 60 };
  assert.deepEqual(parsed.spec.objectives, {
    httpAvailability: { target: 0.999, windowDays: 30, minRequestRate: oneAMinute },
    httpLatency: { thresholdSeconds: 0.5, target: 0.99, windowDays: 30, minRequestRate: oneAMinute },
    dnsErrorBudget: { target: 0.995, windowDays: 30, minRequestRate: oneAMinute },
  });
  assert.deepEqual(parsed.spec.alerting, {
    labels: { receiver: 'payments-oncall', team: 'payments' },
    pageSeverity: 'critical',
    ticketSeverity: 'warning',
  });

  const minimal = parseObservabilityProfile(profile({ workloads: { names: ['web'] } })).spec;
  assert.equal(minimal.aggregation, 'workload');
  assert.deepEqual(minimal.collect, { flows: true, dns: true, l7: true, sockets: true });
  assert.deepEqual(minimal.objectives, {});
  assert.equal(minimal.selector, undefined);
  assert.deepEqual(minimal.alerting, { labels: {}, pageSeverity: 'critical', ticketSeverity: 'warning' });
  const latency = parseObservabilityProfile(
    profile({ workloads: { selector: {} }, objectives: { httpLatency: { threshold: 1, target: 0.9, window: '7d' } } }),
  ).spec.objectives.httpLatency;
  assert.deepEqual(latency, { thresholdSeconds: 1, target: 0.9, windowDays: 7, minRequestRate: oneAMinute });
});

test('minRequestRate reads requests per second, minute or hour; 0 turns the guard off', () => {
  const rateOf = (minRequestRate: string) =>
    parseObservabilityProfile(
      profile({ workloads: { names: ['web'] }, objectives: { dnsErrorBudget: { target: 0.99, minRequestRate } } }),
    ).spec.objectives.dnsErrorBudget?.minRequestRate;
  assert.deepEqual(rateOf('30/h'), { requests: 30, perSeconds: 3600 });
  assert.deepEqual(rateOf('0.5/s'), { requests: 0.5, perSeconds: 1 });
  assert.deepEqual(rateOf('0/m'), { requests: 0, perSeconds: 60 });
  assert.deepEqual(rateOf('1000000/s'), { requests: 1_000_000, perSeconds: 1 });
});

test('malformed, wrongly typed and oversized profiles are refused naming the object, the field and the fix', () => {
  const web = { names: ['web'] };
  const cases: [unknown, RegExp][] = [
    [profile(undefined), /ObservabilityProfile shop\/checkout: spec must be an object, got nothing/],
    [profile('all'), /spec must be an object, got string "all"/],
    [profile({}), /spec\.workloads is required: give names .* and\/or a selector/],
    [profile({ workloads: {} }), /spec\.workloads must give names or a selector \(\{\} selects every pod/],
    [profile({ workloads: { names: 'web' } }), /spec\.workloads\.names must be a list of workload names, got string/],
    [profile({ workloads: { names: ['Web'] } }), /spec\.workloads\.names\[0\] must be a workload name/],
    [profile({ workloads: { names: ['web', 'web'] } }), /spec\.workloads\.names\[1\] repeats "web": list it once/],
    [
      profile({ workloads: { names: Array.from({ length: 65 }, (_, i) => `w${i}`) } }),
      /spec\.workloads\.names lists 65 workloads, at most 64: split the application/,
    ],
    [profile({ workloads: { selector: { matchLabels: { app: 7 } } } }), /spec\.workloads\.selector\.matchLabels\.app/],
    [profile({ workloads: web, aggregaton: 'pod' }), /spec\.aggregaton is not a known field/],
    [profile({ workloads: web, aggregation: 'namespace' }), /spec\.aggregation must be one of workload, pod/],
    [profile({ workloads: web, aggregation: 1 }), /spec\.aggregation must be one of workload, pod, got number 1/],
    [
      profile({ workloads: web, aggregation: 'Pod' }),
      /spec\.aggregation must be one of workload, pod, got string "Pod"/,
    ],
    [
      profile({ workloads: web, objectives: { httpAvailability: { target: 0.999, minRequestRate: 1 } } }),
      /spec\.objectives\.httpAvailability\.minRequestRate must be a request rate: a number of requests per s, m or h such as "1\/m" or "30\/h" \("0\/m" turns the guard off\), got number 1/,
    ],
    [
      profile({ workloads: web, objectives: { httpAvailability: { target: 0.999, minRequestRate: '1/min' } } }),
      /spec\.objectives\.httpAvailability\.minRequestRate must be a request rate: .*got string "1\/min"/,
    ],
    [
      profile({ workloads: web, objectives: { dnsErrorBudget: { target: 0.99, minRequestRate: '-1/m' } } }),
      /spec\.objectives\.dnsErrorBudget\.minRequestRate must be a request rate/,
    ],
    [
      profile({ workloads: web, objectives: { dnsErrorBudget: { target: 0.99, minRequestRate: '1e3/m' } } }),
      /spec\.objectives\.dnsErrorBudget\.minRequestRate must be a request rate/,
    ],
    [
      profile({
        workloads: web,
        objectives: { httpLatency: { threshold: '500ms', target: 0.99, minRequestRate: '2000000/s' } },
      }),
      /spec\.objectives\.httpLatency\.minRequestRate must be at most 1000000\/s, got 2000000\/s/,
    ],
    [
      profile({ workloads: web, objectives: { httpLatency: { threshold: '500ms', target: 0.99, minRate: '1/m' } } }),
      /spec\.objectives\.httpLatency\.minRate is not a known field/,
    ],
    [profile({ workloads: web, collect: { dns: 'no' } }), /spec\.collect\.dns must be true or false, got string "no"/],
    [profile({ workloads: web, collect: { http: false } }), /spec\.collect\.http is not a known field/],
    [
      profile({ workloads: web, objectives: { httpAvailability: { target: '99.9%' } } }),
      /spec\.objectives\.httpAvailability\.target must be a number above 0 and below 1 such as 0\.999, got string "99\.9%"/,
    ],
    [
      profile({ workloads: web, objectives: { httpAvailability: { target: 99.9 } } }),
      /httpAvailability\.target must be a number above 0 and below 1/,
    ],
    [profile({ workloads: web, objectives: { httpAvailability: {} } }), /httpAvailability\.target is required/],
    [
      profile({ workloads: web, objectives: { dnsErrorBudget: { target: 0.99, window: '1y' } } }),
      /spec\.objectives\.dnsErrorBudget\.window must be whole days from 7d to 90d such as "30d", got string "1y"/,
    ],
    [
      profile({ workloads: web, objectives: { dnsErrorBudget: { target: 0.99, window: '365d' } } }),
      /dnsErrorBudget\.window must be whole days from 7d to 90d/,
    ],
    [
      profile({ workloads: web, objectives: { httpLatency: { target: 0.99 } } }),
      /httpLatency\.threshold is required: how fast a good request is/,
    ],
    [
      profile({ workloads: web, objectives: { httpLatency: { target: 0.99, threshold: '300ms' } } }),
      /httpLatency\.threshold must be a bucket bound of flowlens_http_request_duration_seconds \(0\.005s, .*0\.5s/,
    ],
    [profile({ workloads: web, objectives: { latency: {} } }), /spec\.objectives\.latency is not a known field/],
    [
      profile({ workloads: web, alerting: { labels: { severity: 'page' } } }),
      /spec\.alerting\.labels\.severity is set by the generated rules: choose another name \(use spec\.alerting\.severity\)/,
    ],
    [
      profile({ workloads: web, alerting: { labels: { 'team-name': 'x' } } }),
      /spec\.alerting\.labels\.team-name is not a Prometheus label name/,
    ],
    [
      profile({ workloads: web, alerting: { labels: { team: 'x'.repeat(257) } } }),
      /spec\.alerting\.labels\.team must be 1 to 256 characters, got 257/,
    ],
    [
      profile({
        workloads: web,
        alerting: { labels: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`l${i}`, 'v'])) },
      }),
      /spec\.alerting\.labels has 17 labels, at most 16/,
    ],
    [profile({ workloads: web, alerting: { receiver: 5 } }), /spec\.alerting\.receiver must be a string/],
    [
      profile({ workloads: web, alerting: { receiver: 'a', labels: { receiver: 'b' } } }),
      /spec\.alerting\.labels\.receiver repeats spec\.alerting\.receiver/,
    ],
    [
      profile({ workloads: web, alerting: { severity: { page: 'P1!' } } }),
      /spec\.alerting\.severity\.page must be a severity label value/,
    ],
    [
      profile({ workloads: web }, { namespace: undefined }),
      /metadata\.namespace must be a DNS label .* set metadata\.namespace/,
    ],
    [profile({ workloads: web }, { name: '../x' }), /metadata\.name a DNS subdomain/],
    [profile({ workloads: web }, {}, { apiVersion: 'flowlens.io/v1' }), /apiVersion must be flowlens\.io\/v1alpha1/],
    [profile({ workloads: web }, {}, { kind: 'PacketCapture' }), /kind must be ObservabilityProfile/],
    ['profile', /ObservabilityProfile: object must be an object/],
    [{ spec: {} }, /metadata must be an object/],
  ];
  for (const [object, message] of cases) {
    assert.throws(() => parseObservabilityProfile(object), ProfileSpecError);
    assert.throws(() => parseObservabilityProfile(object), message);
  }
});

test('a profile covers its named workloads and the pods its selector matches, in its namespace only', () => {
  const parsed = parseObservabilityProfile(
    profile({ workloads: { names: ['web'], selector: { matchLabels: { tier: 'api' } } } }),
  );
  assert.equal(profileCovers(parsed, 'shop', 'web', undefined), true);
  assert.equal(profileCovers(parsed, 'other', 'web', undefined), false);
  assert.equal(profileCovers(parsed, 'shop', 'orders', { tier: 'api' }), true);
  assert.equal(profileCovers(parsed, 'shop', 'orders', { tier: 'db' }), false);
  const everything = parseObservabilityProfile(profile({ workloads: { selector: {} } }));
  assert.equal(profileCovers(everything, 'shop', 'anything', {}), true);
});

test('the CRD manifest declares the resource the parser reads, with printer columns', () => {
  const crd = parse(
    readFileSync(join(REPO, 'provisioning', 'kubernetes', 'base', 'observabilityprofile-crd.yaml'), 'utf8'),
  ) as {
    metadata: { name: string };
    spec: {
      group: string;
      scope: string;
      names: { kind: string; plural: string };
      versions: {
        name: string;
        additionalPrinterColumns: { name: string }[];
        schema: { openAPIV3Schema: { properties: { spec: { properties: Record<string, unknown> } } } };
      }[];
    };
  };
  assert.equal(crd.metadata.name, 'observabilityprofiles.flowlens.io');
  assert.equal(crd.spec.scope, 'Namespaced');
  assert.equal(crd.spec.names.kind, 'ObservabilityProfile');
  const [version] = crd.spec.versions;
  assert.equal(version?.name, 'v1alpha1');
  assert.deepEqual(
    version?.additionalPrinterColumns.map((column) => column.name),
    ['Aggregation', 'Availability', 'Latency', 'Receiver', 'Age'],
  );
  // Each objective declares minRequestRate with a pattern the parser agrees with.
  const objectives = (
    version?.schema.openAPIV3Schema.properties.spec.properties['objectives'] as {
      properties: Record<string, { properties: Record<string, { pattern?: string }> }>;
    }
  ).properties;
  assert.deepEqual(Object.keys(objectives).sort(), ['dnsErrorBudget', 'httpAvailability', 'httpLatency']);
  for (const [name, objective] of Object.entries(objectives)) {
    const pattern = new RegExp(objective.properties['minRequestRate']?.pattern ?? '^$');
    assert.deepEqual(
      ['1/m', '30/h', '0.5/s', '1/min', '-1/m', '1e3/m'].map((rate) => pattern.test(rate)),
      [true, true, true, false, false, false],
      name,
    );
  }
  assert.deepEqual(Object.keys(version?.schema.openAPIV3Schema.properties.spec.properties ?? {}).sort(), [
    'aggregation',
    'alerting',
    'collect',
    'objectives',
    'workloads',
  ]);
});
