import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DemoCluster, dailyBatchFactor, diurnalMultiplier, type CalicoFlowLogRecord } from './traffic';
import { DEMO_TOPOLOGY, ipInCidr, podNamePrefix } from './topology';

/** 2025-06-10 00:00 UTC: a fixed day, so results do not depend on when the tests run. */
const DAY = Date.UTC(2025, 5, 10) / 1000;
const HOUR = 3600;
const WINDOW = 5;
/** Top of the 15:00 UTC hour: the daily peak; incidents sit at fixed minutes of every hour. */
const AFTERNOON = DAY + 15 * HOUR;
const NIGHT = DAY + 3 * HOUR;

const cluster = new DemoCluster({ seed: 42 });

function windowsOf(from: number, to: number, step = WINDOW): number[] {
  const starts: number[] = [];
  for (let start = from; start < to; start += step) starts.push(start);
  return starts;
}

/** The records of one hour of 5-second windows, computed once: several tests look at the same hour. */
const hourOfRecords: { start: number; records: CalicoFlowLogRecord[] }[] = windowsOf(AFTERNOON, AFTERNOON + HOUR).map(
  (start) => ({ start, records: cluster.recordsFor(start, WINDOW) }),
);

function minute(start: number): number {
  return Math.floor((start - AFTERNOON) / 60);
}

function decidingEntry(record: CalicoFlowLogRecord): string[] {
  const deciding = [...record.policies.enforced_policies].reverse().find((entry) => /\|(allow|deny)\|/.test(entry));
  assert.ok(deciding !== undefined, `no deciding policy in ${record.policies.enforced_policies.join(', ')}`);
  return deciding.split('|');
}

/** Workload of a pod prefix, by the topology: what the exporter's default aggregation keys series on. */
const workloadOfPrefix = new Map(
  DEMO_TOPOLOGY.workloads
    .filter((workload) => workload.kind !== 'CronJob')
    .map((workload) => [podNamePrefix(workload), workload.name]),
);
function workloadOf(nameAggr: string): string {
  return workloadOfPrefix.get(nameAggr) ?? nameAggr.replace(/-\d{8,}-\*$/, '');
}

const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);

test('the same seed and window give the same lines; another seed gives others', () => {
  const again = new DemoCluster({ seed: 42 });
  assert.deepEqual(again.linesFor(AFTERNOON + 600, WINDOW), cluster.linesFor(AFTERNOON + 600, WINDOW));
  assert.deepEqual(again.linesFor(NIGHT, 60), cluster.linesFor(NIGHT, 60));
  assert.notDeepEqual(
    new DemoCluster({ seed: 43 }).linesFor(AFTERNOON + 600, WINDOW),
    cluster.linesFor(AFTERNOON + 600, WINDOW),
  );
});

test('the topology has the namespaces, workloads, pods and services of a real cluster', () => {
  const topology = cluster.topology;
  assert.ok(topology.namespaces.length >= 6);
  assert.ok(topology.workloads.length >= 30);
  for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob']) {
    assert.ok(
      topology.workloads.some((workload) => workload.kind === kind),
      `no ${kind}`,
    );
  }
  assert.ok(topology.services.length >= 20);
  assert.ok(
    topology.services.some(
      (service) => service.name === 'kube-dns' && service.ports.some((port) => port.protocol === 'udp'),
    ),
  );
  assert.ok(new Set(topology.pods.map((pod) => pod.node)).size >= 3);
  assert.equal(new Set(topology.pods.map((pod) => pod.ip)).size, topology.pods.length, 'pod IPs are unique');
  for (const pod of topology.pods) {
    assert.ok(ipInCidr(pod.ip, '10.244.0.0/16'), pod.ip);
    const workload = topology.workloads.find(
      (candidate) => candidate.name === pod.workload && candidate.namespace === pod.namespace,
    );
    assert.ok(workload !== undefined);
    const pattern =
      workload.kind === 'Deployment'
        ? /^[a-z0-9-]+-[bcdfghjklmnpqrstvwxz2456789]{10}-[bcdfghjklmnpqrstvwxz2456789]{5}$/
        : workload.kind === 'StatefulSet'
          ? /^[a-z0-9-]+-\d+$/
          : /^[a-z0-9-]+-[bcdfghjklmnpqrstvwxz2456789]{5}$/;
    assert.match(pod.name, pattern);
    assert.ok(pod.name.startsWith(`${workload.name}-`));
  }
  const cronPrefixes = hourOfRecords
    .flatMap(({ records }) => records.map((record) => record.source_name_aggr))
    .filter((name) => /-\d{8}-\*$/.test(name));
  assert.ok(
    cronPrefixes.some((name) => name.startsWith('payments-reconciler-')),
    'CronJob pods appear with their Job names',
  );
});

const COUNTERS = [
  'bytes_in',
  'bytes_out',
  'packets_in',
  'packets_out',
  'num_flows',
  'num_flows_started',
  'num_flows_completed',
] as const;
const TCP_FIELDS = [
  'tcp_mean_send_congestion_window',
  'tcp_min_send_congestion_window',
  'tcp_mean_smooth_rtt',
  'tcp_max_smooth_rtt',
  'tcp_mean_min_rtt',
  'tcp_max_min_rtt',
  'tcp_mean_mss',
  'tcp_min_mss',
  'tcp_total_retransmissions',
  'tcp_lost_packets',
  'tcp_unrecovered_to',
] as const;
const STRING_FIELDS = [
  'source_name',
  'source_name_aggr',
  'source_namespace',
  'dest_name',
  'dest_name_aggr',
  'dest_namespace',
  'dest_service_namespace',
  'dest_service_name',
  'dest_service_port',
  'proto',
  'host',
  'process_name',
  'process_id',
] as const;
const POLICY_ENTRY = /^\d+\|[a-z_A-Z-]+\|[^|]+\|(allow|deny|pass)\|-?\d+$/;

test('every line is one JSON record with the fields and types of a Calico flow log', () => {
  const starts = [AFTERNOON + 2 * 60, AFTERNOON + 12 * 60, AFTERNOON + 30 * 60, AFTERNOON + 47 * 60, NIGHT];
  for (const start of starts) {
    const lines = cluster.linesFor(start, WINDOW);
    assert.ok(lines.length > 0);
    for (const line of lines) {
      assert.ok(!line.includes('\n'));
      const record = JSON.parse(line) as Record<string, unknown>;
      assert.equal(record['start_time'], start);
      assert.equal(record['end_time'], start + WINDOW);
      for (const field of [
        ...COUNTERS,
        'http_requests_allowed_in',
        'http_requests_denied_in',
        'num_process_names',
        'num_process_ids',
      ]) {
        const value = record[field];
        assert.ok(
          typeof value === 'number' && Number.isSafeInteger(value) && value >= 0,
          `${field} = ${String(value)} in ${line}`,
        );
      }
      for (const field of STRING_FIELDS) assert.equal(typeof record[field], 'string', `${field} in ${line}`);
      // Aggregation level 2: IPs and source ports aggregated away.
      assert.equal(record['source_ip'], null);
      assert.equal(record['dest_ip'], null);
      assert.equal(record['source_port'], null);
      assert.equal(record['source_name'], '-');
      assert.ok(['src', 'dst'].includes(String(record['reporter'])));
      assert.ok(['allow', 'deny'].includes(String(record['action'])));
      assert.ok(['tcp', 'udp', 'icmp'].includes(String(record['proto'])));
      assert.ok(['wep', 'ns', 'net'].includes(String(record['source_type'])));
      assert.ok(['wep', 'ns', 'net'].includes(String(record['dest_type'])));
      assert.equal(record['proto'] === 'icmp', record['dest_port'] === null);
      const labels = record['source_labels'];
      assert.ok(
        labels === null || (typeof labels === 'object' && Array.isArray((labels as { labels: unknown }).labels)),
      );
      const hasService = record['dest_service_name'] !== '-';
      assert.equal(typeof record['dest_service_port_num'], hasService ? 'number' : 'object');
      for (const field of TCP_FIELDS) {
        if (record['proto'] === 'tcp')
          assert.ok(Number.isSafeInteger(record[field]) && Number(record[field]) >= 0, `${field} in ${line}`);
        else assert.equal(record[field], undefined, `${field} on a ${String(record['proto'])} record`);
      }
      const policies = record['policies'] as Record<string, unknown>;
      for (const trace of ['all_policies', 'enforced_policies', 'pending_policies']) {
        const entries = policies[trace];
        assert.ok(Array.isArray(entries) && entries.length > 0, `${trace} in ${line}`);
        for (const entry of entries) assert.match(String(entry), POLICY_ENTRY);
      }
    }
  }
});

test('counters are consistent: packets go with bytes, flow counts with flows, the reporter is a pod', () => {
  for (const { records } of hourOfRecords.filter((_, index) => index % 20 === 0)) {
    for (const record of records) {
      for (const [bytes, packets] of [
        [record.bytes_in, record.packets_in],
        [record.bytes_out, record.packets_out],
      ] as const) {
        assert.equal(bytes > 0, packets > 0);
        if (packets > 0) {
          assert.ok(bytes / packets >= 28 && bytes / packets <= 1500, `${bytes} bytes in ${packets} packets`);
        }
      }
      assert.ok(record.num_flows > 0);
      assert.ok(record.num_flows_started <= record.num_flows && record.num_flows_completed <= record.num_flows);
      assert.equal(record.reporter === 'src' ? record.source_type : record.dest_type, 'wep');
      assert.equal(decidingEntry(record)[3], record.action);
      if (record.tcp_mean_smooth_rtt !== undefined && record.tcp_mean_smooth_rtt > 0) {
        assert.ok((record.tcp_max_smooth_rtt ?? 0) >= record.tcp_mean_smooth_rtt);
        assert.ok((record.tcp_mean_min_rtt ?? 0) <= record.tcp_mean_smooth_rtt);
        assert.ok((record.tcp_min_send_congestion_window ?? 0) <= (record.tcp_mean_send_congestion_window ?? 0));
      }
    }
  }
});

test('both ends of an allowed pod-to-pod flow report the same bytes', () => {
  const { records } = hourOfRecords[3] ?? { records: [] };
  const totals = new Map<string, { sent: number; received: number; denied: boolean }>();
  for (const record of records) {
    if (record.source_type !== 'wep' || record.dest_type !== 'wep') continue;
    const key = `${record.source_namespace}/${record.source_name_aggr} ${record.dest_namespace}/${record.dest_name_aggr} ${record.dest_port} ${record.dest_service_name}`;
    const total = totals.get(key) ?? { sent: 0, received: 0, denied: false };
    if (record.reporter === 'src') total.sent += record.bytes_out;
    else total.received += record.bytes_in;
    // A flow denied at either end is not "allowed"; the ends then see different packets (dropped SYNs).
    total.denied ||= record.action === 'deny';
    totals.set(key, total);
  }
  const allowed = [...totals].filter(([, total]) => !total.denied);
  assert.ok(allowed.length > 30);
  for (const [key, total] of allowed) assert.equal(total.sent, total.received, key);
});

test('a volume of 150-400 lines per 5-second window, day and night', () => {
  for (const start of [...windowsOf(AFTERNOON, AFTERNOON + HOUR, 97), ...windowsOf(NIGHT, NIGHT + HOUR, 97)]) {
    const lines = cluster.linesFor(start, WINDOW).length;
    assert.ok(lines >= 150 && lines <= 400, `${lines} lines at minute ${minute(start)}`);
  }
});

test('denied flows exist in steady state, decided by the policies of the topology', () => {
  const quiet = hourOfRecords.filter(
    ({ start }) => cluster.incidentsAt(start).length === 0 && cluster.incidentsAt(start + WINDOW - 1).length === 0,
  );
  const denied = quiet.flatMap(({ records }) => records.filter((record) => record.action === 'deny'));
  const decidedBy = new Set(denied.map((record) => decidingEntry(record).slice(1).join('|')));
  assert.ok(decidedBy.has('default|data/knp.default.default-deny|deny|-1'), [...decidedBy].join(', '));
  assert.ok(decidedBy.has('security|security.block-known-bad|deny|0'), [...decidedBy].join(', '));
  // Staged policies preview denials of traffic that is allowed today.
  const stagedDenials = quiet
    .flatMap(({ records }) => records)
    .filter(
      (record) =>
        record.action === 'allow' && record.policies.pending_policies.some((entry) => /staged:.*\|deny\|/.test(entry)),
    );
  assert.ok(stagedDenials.length > 0);
  // DNS is allowed by the platform tier before any namespace policy sees it.
  const dns = quiet[0]?.records.find((record) => record.dest_service_name === 'kube-dns' && record.proto === 'udp');
  assert.deepEqual(dns?.policies.enforced_policies, ['0|platform|platform.allow-dns|allow|0']);
});

test('incidents are named by incidentsAt at their minutes of each period', () => {
  assert.deepEqual(cluster.incidentsAt(AFTERNOON + 5 * 60), []);
  assert.deepEqual(cluster.incidentsAt(AFTERNOON + 12 * 60), ['recommendations-port-scan']);
  assert.deepEqual(cluster.incidentsAt(AFTERNOON + 30 * 60), ['frontend-to-ledger-db']);
  assert.deepEqual(cluster.incidentsAt(AFTERNOON + 47 * 60), ['checkout-payments-degraded']);
  assert.deepEqual(cluster.incidentsAt(NIGHT + 47 * 60), ['checkout-payments-degraded']);
  const tenMinutes = new DemoCluster({ seed: 42, incidentPeriodSeconds: 600 });
  assert.deepEqual(tenMinutes.incidentsAt(AFTERNOON + 120), ['recommendations-port-scan']);
  assert.deepEqual(tenMinutes.incidentsAt(AFTERNOON + 600 + 120), ['recommendations-port-scan']);
  assert.deepEqual(tenMinutes.incidentsAt(AFTERNOON + 60), []);
});

test('the port scan is a burst of denied flows from shop/recommendations during its window only', () => {
  const deniedFlows = (records: CalicoFlowLogRecord[]): number =>
    sum(records.filter((record) => record.action === 'deny').map((record) => record.num_flows));
  const during = hourOfRecords.filter(({ start }) => minute(start) >= 10 && minute(start) < 15);
  const outside = hourOfRecords.filter(({ start }) => minute(start) < 10 || minute(start) >= 15);
  const deniedDuring = sum(during.map(({ records }) => deniedFlows(records))) / during.length;
  const deniedOutside = sum(outside.map(({ records }) => deniedFlows(records))) / outside.length;
  assert.ok(
    deniedDuring > 10 * deniedOutside,
    `${deniedDuring} denied flows per window during the scan, ${deniedOutside} outside`,
  );
  const scanning = (record: CalicoFlowLogRecord): boolean =>
    record.source_name_aggr.startsWith('recommendations-') &&
    (record.dest_namespace === 'data' || record.dest_name_aggr === 'known-bad-ips');
  assert.ok(during.every(({ records }) => records.some(scanning)));
  assert.ok(outside.every(({ records }) => !records.some(scanning)));
});

test('the new edge shop/frontend -> payments/ledger-db exists only during its window', () => {
  const newEdge = (record: CalicoFlowLogRecord): boolean =>
    record.source_name_aggr.startsWith('frontend-') && record.dest_name_aggr === 'ledger-db-*';
  for (const { start, records } of hourOfRecords) {
    const expected = minute(start) >= 25 && minute(start) < 35;
    assert.equal(records.some(newEdge), expected, `minute ${minute(start)}`);
  }
});

test('checkout -> payments-api RTT and retransmissions spike during the degradation only', () => {
  const edge = (record: CalicoFlowLogRecord): boolean =>
    record.source_name_aggr.startsWith('checkout-') &&
    record.dest_service_name === 'payments-api' &&
    record.reporter === 'src';
  const rtt = (windows: typeof hourOfRecords): number => {
    const records = windows.flatMap(({ records }) => records.filter(edge));
    return (
      sum(records.map((record) => (record.tcp_mean_smooth_rtt ?? 0) * record.num_flows)) /
      sum(records.map((record) => record.num_flows))
    );
  };
  const retransmissions = (windows: typeof hourOfRecords): number =>
    sum(windows.flatMap(({ records }) => records.filter(edge).map((record) => record.tcp_total_retransmissions ?? 0))) /
    windows.length;
  const during = hourOfRecords.filter(({ start }) => minute(start) >= 45 && minute(start) < 50);
  const outside = hourOfRecords.filter(({ start }) => minute(start) < 44 || minute(start) >= 51);
  assert.ok(rtt(during) > 5 * rtt(outside), `RTT ${rtt(during)} us during, ${rtt(outside)} us outside`);
  assert.ok(retransmissions(during) > 5 * retransmissions(outside) + 1);
  // Checkout's fallback straight to the payment provider is denied by its egress policy.
  const fallback = (record: CalicoFlowLogRecord): boolean =>
    record.source_name_aggr.startsWith('checkout-') && record.dest_name_aggr === 'pub' && record.action === 'deny';
  assert.ok(during.some(({ records }) => records.some(fallback)));
  assert.ok(outside.every(({ records }) => !records.some(fallback)));
});

test('traffic follows the day: afternoon volume well above night volume, never zero', () => {
  const volume = (from: number): number =>
    sum(
      windowsOf(from, from + HOUR, 300).flatMap((start) =>
        cluster.recordsFor(start, WINDOW).map((record) => record.bytes_in + record.bytes_out),
      ),
    );
  assert.ok(volume(AFTERNOON) > 2 * volume(NIGHT), `${volume(AFTERNOON)} bytes vs ${volume(NIGHT)}`);
  assert.ok(Math.abs(diurnalMultiplier(AFTERNOON) - 1) < 1e-9);
  for (let hour = 0; hour < 24; hour++) assert.ok(diurnalMultiplier(DAY + hour * HOUR) >= 0.15);
  assert.ok(diurnalMultiplier(DAY + 15 * HOUR) > diurnalMultiplier(DAY + 9 * HOUR));
  assert.ok(diurnalMultiplier(DAY + 9 * HOUR) > diurnalMultiplier(DAY + 3 * HOUR));
});

test('Elasticsearch rolls its indices over every night: ten times the bytes from 01:00 to 01:45 UTC, not the flows', () => {
  const transport = (from: number, to: number): { bytes: number; flows: number } => {
    const records = windowsOf(from, to, 60).flatMap((start) =>
      cluster
        .recordsFor(start, 60)
        .filter(
          (record) =>
            record.source_namespace === 'data' &&
            record.dest_namespace === 'data' &&
            record.source_name_aggr.startsWith('elasticsearch-') &&
            record.dest_name_aggr.startsWith('elasticsearch-') &&
            record.reporter === 'src',
        ),
    );
    return {
      bytes: sum(records.map((record) => record.bytes_in + record.bytes_out)),
      flows: sum(records.map((record) => record.num_flows)),
    };
  };
  const before = transport(DAY + 30 * 60, DAY + 50 * 60);
  const during = transport(DAY + 70 * 60, DAY + 90 * 60);
  const after = transport(DAY + 110 * 60, DAY + 130 * 60);
  assert.ok(during.bytes > 6 * before.bytes && during.bytes > 6 * after.bytes, JSON.stringify([before, during, after]));
  assert.ok(during.flows < 1.5 * before.flows, JSON.stringify([before, during]));
  const batched = DEMO_TOPOLOGY.edges.filter((edge) => edge.load.dailyBatch !== undefined);
  assert.deepEqual(
    batched.map((edge) => edge.id),
    batched.filter((edge) => edge.id.includes('data/elasticsearch')).map((edge) => edge.id),
    'only the rollover is a daily batch',
  );
  const load = batched[0]!.load;
  // The window's midpoint decides, on every day alike.
  assert.equal(dailyBatchFactor(load, { start: DAY + 59 * 60, seconds: 60 }), 1);
  assert.equal(dailyBatchFactor(load, { start: DAY + 60 * 60, seconds: 60 }), 10);
  assert.equal(dailyBatchFactor(load, { start: DAY + 3 * 86400 + 104 * 60, seconds: 60 }), 10);
  assert.equal(dailyBatchFactor(load, { start: DAY + 105 * 60, seconds: 60 }), 1);
});

test('an hour of windows stays well under 8000 distinct series tuples', () => {
  const tuples = new Set<string>();
  for (const { records } of hourOfRecords) {
    for (const record of records) {
      tuples.add(
        [
          record.source_namespace,
          workloadOf(record.source_name_aggr),
          record.dest_namespace,
          workloadOf(record.dest_name_aggr),
          record.dest_port,
          record.proto,
          record.action,
          record.reporter,
          decidingEntry(record)[2],
        ].join(' '),
      );
    }
  }
  assert.ok(tuples.size > 150, `${tuples.size} tuples: too few for realistic dashboards`);
  assert.ok(tuples.size < 8000, `${tuples.size} tuples`);
});

test('windows of any length work and are deterministic', () => {
  const minuteLines = cluster.linesFor(AFTERNOON + 600, 60);
  assert.ok(minuteLines.length > 0);
  assert.deepEqual(cluster.linesFor(AFTERNOON + 600, 60), minuteLines);
  assert.throws(() => cluster.linesFor(AFTERNOON, 0), /bad window/);
  assert.throws(() => new DemoCluster({ seed: 1, incidentPeriodSeconds: 10 }), /incidentPeriodSeconds/);
});
