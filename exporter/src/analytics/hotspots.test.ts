/**
 * The hotspot ranking over one window's totals: order by value (ties by volume), the volume guards that keep a
 * single failed request off the top, the namespace filter, the limit, dashboard links, and parameter checking.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HOTSPOT_CATEGORIES, MAX_HOTSPOT_LIMIT, parseHotspotQuery, rankHotspots, type HotspotQuery } from './hotspots';
import type { EdgeDirection, EdgeTotals, WindowTotals, WorkloadTotals } from './anomaly/window-totals';

function workload(namespace: string, name: string, totals: Partial<WorkloadTotals>): WorkloadTotals {
  return {
    namespace,
    workload: name,
    dnsAnswers: 0,
    dnsErrors: 0,
    httpRequests: 0,
    httpErrors: 0,
    httpDurationSum: 0,
    httpTimed: 0,
    retransmissions: 0,
    ...totals,
  };
}

/** An edge as window-totals.ts tells it: from `owner`'s side, `egress` to `peer` or `ingress` from outside the cluster. */
function edge(
  owner: string,
  peer: string,
  flows: [number, number],
  denied: [number, number],
  direction: EdgeDirection = 'egress',
): EdgeTotals {
  const [namespace = '', name = ''] = owner.split('/');
  const [peerNamespace = '', peerWorkload = ''] = peer.split('/');
  return {
    namespace,
    workload: name,
    direction,
    peerNamespace,
    peerWorkload,
    sourceIsWorkload: direction === 'egress',
    flows,
    denied,
    bytes: [0, 0],
  };
}

function window(workloads: WorkloadTotals[], edges: EdgeTotals[] = []): WindowTotals {
  return {
    start: 600,
    end: 660,
    workloads: new Map(workloads.map((w) => [`${w.namespace}/${w.workload}`, w])),
    edges: new Map(edges.map((e) => [`${e.namespace}/${e.workload}>${e.peerNamespace}/${e.peerWorkload}`, e])),
  };
}

const ALL: HotspotQuery = { limit: 10, namespace: undefined, categories: HOTSPOT_CATEGORIES };
const names = (report: ReturnType<typeof rankHotspots>, category: keyof typeof report.categories): string[] =>
  (report.categories[category]?.entries ?? []).map((entry) =>
    entry.peerWorkload === undefined
      ? `${entry.namespace}/${entry.workload}`
      : `${entry.namespace}/${entry.workload}>${entry.peerNamespace}/${entry.peerWorkload}`,
  );

test('HTTP errors rank by ratio; a single failed request (ratio 1) is under the volume guard and left out', () => {
  const report = rankHotspots(
    window([
      workload('shop', 'lonely', { httpRequests: 1, httpErrors: 1 }),
      workload('shop', 'cart', { httpRequests: 200, httpErrors: 20 }),
      workload('shop', 'checkout', { httpRequests: 100, httpErrors: 30 }),
      workload('shop', 'catalog', { httpRequests: 19, httpErrors: 19 }),
      workload('shop', 'search', { httpRequests: 20, httpErrors: 0 }),
    ]),
    ALL,
  );
  assert.deepEqual(names(report, 'errors'), ['shop/checkout', 'shop/cart', 'shop/search']);
  assert.deepEqual(report.categories.errors?.entries[0], {
    namespace: 'shop',
    workload: 'checkout',
    value: 0.3,
    numbers: { errorRatio: 0.3, errors: 30, requests: 100 },
    dashboard: '/d/flowlens-http?var-namespace=shop&var-workload=checkout',
  });
  assert.equal(report.categories.errors?.minVolume, 20);
  assert.deepEqual(report.window, { start: 600, end: 660 });
});

test('equal ratios: the workload with more volume (more evidence) ranks first', () => {
  const report = rankHotspots(
    window([
      workload('shop', 'small', { dnsAnswers: 20, dnsErrors: 10 }),
      workload('shop', 'large', { dnsAnswers: 400, dnsErrors: 200 }),
    ]),
    ALL,
  );
  assert.deepEqual(names(report, 'dns'), ['shop/large', 'shop/small']);
  assert.deepEqual(report.categories.dns?.entries[0]?.numbers, { failureRatio: 0.5, failures: 200, answers: 400 });
  assert.equal(report.categories.dns?.entries[0]?.dashboard, '/d/flowlens-dns?var-namespace=shop&var-workload=large');
});

test('latency ranks by mean duration of timed requests, guarded by their number', () => {
  const report = rankHotspots(
    window([
      workload('payments', 'payments-api', { httpTimed: 50, httpDurationSum: 25 }),
      workload('shop', 'cart', { httpTimed: 100, httpDurationSum: 5 }),
      workload('shop', 'slow-once', { httpTimed: 1, httpDurationSum: 30 }),
    ]),
    ALL,
  );
  assert.deepEqual(names(report, 'latency'), ['payments/payments-api', 'shop/cart']);
  assert.deepEqual(report.categories.latency?.entries[0]?.numbers, { meanSeconds: 0.5, timedRequests: 50 });
});

test('denied flows rank edges by rate, counting the larger reporting end once; retransmissions per second', () => {
  const report = rankHotspots(
    window(
      [
        workload('shop', 'checkout', { retransmissions: 120 }),
        workload('payments', 'payments-api', { retransmissions: 60 }),
        workload('shop', 'cart', { retransmissions: 0 }),
      ],
      [
        edge('shop/recommendations', 'data/postgres', [90, 90], [90, 60]),
        edge('shop/frontend', 'payments/ledger-db', [30, 30], [0, 6]),
        edge('shop/frontend', 'shop/cart', [500, 500], [0, 0]),
      ],
    ),
    ALL,
  );
  assert.deepEqual(names(report, 'denied'), ['shop/recommendations>data/postgres', 'shop/frontend>payments/ledger-db']);
  assert.deepEqual(report.categories.denied?.entries[0]?.numbers, {
    deniedPerSecond: 1.5,
    denied: 90,
    flows: 90,
    deniedRatio: 1,
  });
  assert.equal(
    report.categories.denied?.entries[0]?.dashboard,
    '/d/flowlens-flows?var-namespace=shop&var-workload=recommendations',
  );
  assert.deepEqual(names(report, 'retransmissions'), ['shop/checkout', 'payments/payments-api']);
  assert.deepEqual(report.categories.retransmissions?.entries[0]?.numbers, {
    retransmissionsPerSecond: 2,
    retransmissions: 120,
  });
  assert.equal(
    report.categories.retransmissions?.entries[0]?.dashboard,
    '/d/flowlens-tcp?var-namespace=shop&var-workload=checkout',
  );
});

test('namespace keeps its workloads and the edges with either end in it; limit cuts each category', () => {
  const totals = window(
    [
      workload('shop', 'a', { retransmissions: 3 }),
      workload('shop', 'b', { retransmissions: 2 }),
      workload('shop', 'c', { retransmissions: 1 }),
      workload('payments', 'd', { retransmissions: 9 }),
    ],
    [edge('shop/a', 'payments/d', [5, 5], [5, 5]), edge('data/x', 'data/y', [9, 9], [9, 9])],
  );
  const payments = rankHotspots(totals, { ...ALL, namespace: 'payments' });
  assert.deepEqual(names(payments, 'retransmissions'), ['payments/d']);
  assert.deepEqual(names(payments, 'denied'), ['shop/a>payments/d']);
  assert.equal(payments.namespace, 'payments');
  const top2 = rankHotspots(totals, { ...ALL, limit: 2 });
  assert.deepEqual(names(top2, 'retransmissions'), ['payments/d', 'shop/a']);
  assert.deepEqual(names(top2, 'denied'), ['data/x>data/y', 'shop/a>payments/d']);
});

test('denied flows from outside the cluster are ranked under the workload they were denied at, as its ingress', () => {
  const report = rankHotspots(
    window([], [edge('ingress/ingress-nginx-controller', '/known-bad-ips', [0, 12], [0, 12], 'ingress')]),
    { ...ALL, namespace: 'ingress' },
  );
  const entry = report.categories.denied?.entries[0];
  assert.deepEqual(
    [entry?.namespace, entry?.workload, entry?.direction, entry?.peerNamespace, entry?.peerWorkload],
    ['ingress', 'ingress-nginx-controller', 'ingress', '', 'known-bad-ips'],
  );
  assert.equal(entry?.dashboard, '/d/flowlens-flows?var-namespace=ingress&var-workload=ingress-nginx-controller');
});

test('only the categories asked for; no window yet gives empty rankings', () => {
  const report = rankHotspots(undefined, { ...ALL, categories: ['dns'] });
  assert.deepEqual(Object.keys(report.categories), ['dns']);
  assert.deepEqual(report.categories.dns?.entries, []);
  assert.equal(report.window, null);
});

test('parameters: defaults, by lists, and each bad one named', () => {
  assert.deepEqual(parseHotspotQuery(new URLSearchParams('')), {
    limit: 10,
    namespace: undefined,
    categories: HOTSPOT_CATEGORIES,
  });
  assert.deepEqual(parseHotspotQuery(new URLSearchParams('limit=3&namespace=shop&by=dns,errors,dns')), {
    limit: 3,
    namespace: 'shop',
    categories: ['dns', 'errors'],
  });
  assert.deepEqual(parseHotspotQuery(new URLSearchParams(`limit=${MAX_HOTSPOT_LIMIT}`)), {
    limit: MAX_HOTSPOT_LIMIT,
    namespace: undefined,
    categories: HOTSPOT_CATEGORIES,
  });
  const problems: [string, RegExp][] = [
    ['limit=0', /^limit "0" must be a whole number from 1 to 100$/],
    [`limit=${MAX_HOTSPOT_LIMIT + 1}`, /^limit "101"/],
    ['limit=2.5', /^limit "2.5"/],
    ['limit=ten', /^limit "ten"/],
    ['namespace=Shop', /^namespace "Shop" must be a namespace name/],
    ['by=speed', /^by "speed" must be one or more of latency, errors, denied, retransmissions, dns/],
    ['by=dns&by=errors', /^parameter "by" is given more than once$/],
    ['top=3', /^unknown parameter "top"; known parameters are limit, namespace, by$/],
  ];
  for (const [query, message] of problems) {
    const parsed = parseHotspotQuery(new URLSearchParams(query));
    assert.ok('error' in parsed, query);
    assert.match(parsed.error, message, query);
  }
});
