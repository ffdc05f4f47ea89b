import { readFileSync } from 'fs';
import { join } from 'path';

import {
  ANOMALY_ENTER_SCORE,
  ANOMALY_EXIT_SCORE,
  ANOMALY_QUERIES,
  CAPTURE_NAMESPACE_VARIABLE,
  CAPTURE_QUERIES,
  DNS_QUERIES,
  HOTSPOT_LIMIT,
  HOTSPOT_MIN_VOLUME,
  HOTSPOT_QUERIES,
  HTTP_QUERIES,
  NAMESPACE_VARIABLE,
  POLICY_FLOW_QUERIES,
  type PrometheusQuery,
  SERVICE_GRAPH_QUERIES,
  WORKLOAD_VARIABLE,
  withVariables,
} from './queries';

const rules = readFileSync(join(__dirname, '../../alerts/flowlens-rules.yml'), 'utf8');
const metricsDoc = readFileSync(join(__dirname, '../../docs/metrics.md'), 'utf8');
const allQueries: PrometheusQuery[] = [
  ...SERVICE_GRAPH_QUERIES,
  ...POLICY_FLOW_QUERIES,
  ...Object.values(DNS_QUERIES),
  ...Object.values(HTTP_QUERIES),
  ...Object.values(HOTSPOT_QUERIES).flatMap((table) => [table.rank, table.volume]),
  ...Object.values(CAPTURE_QUERIES),
  ...Object.values(ANOMALY_QUERIES),
];
const exprs = [
  ...allQueries.map((query) => query.expr),
  NAMESPACE_VARIABLE.query,
  WORKLOAD_VARIABLE.query,
  CAPTURE_NAMESPACE_VARIABLE.query,
];

describe('the queries', () => {
  it('name only recording rules that alerts/flowlens-rules.yml records', () => {
    const recorded = exprs.flatMap((expr) => expr.match(/\b[a-z_]+:[a-z0-9_]+:[a-z0-9_]+\b/g) ?? []);
    expect(recorded.length).toBeGreaterThan(0);
    for (const rule of new Set(recorded)) expect(rules).toContain(`record: ${rule}\n`);
  });

  it('name only metrics that docs/metrics.md documents', () => {
    // Every flowlens_ name outside a recording rule's (level:metric:operations), counters, gauges and info alike.
    const metrics = exprs.flatMap((expr) => expr.match(/(?<![:\w])flowlens_[a-z_]+\b(?!:)/g) ?? []);
    expect(metrics.length).toBeGreaterThan(0);
    expect(metrics).toEqual(
      expect.arrayContaining([
        'flowlens_capture_info',
        'flowlens_capture_node_bytes',
        'flowlens_capture_node_packets',
        'flowlens_captures_active',
        'flowlens_capture_bytes_total',
        'flowlens_capture_packets_total',
      ]),
    );
    for (const metric of new Set(metrics)) expect(metricsDoc).toContain(`\`${metric}\``);
  });

  it('have unique refIds within each view', () => {
    for (const view of [
      SERVICE_GRAPH_QUERIES,
      POLICY_FLOW_QUERIES,
      Object.values(DNS_QUERIES),
      Object.values(HTTP_QUERIES),
      Object.values(HOTSPOT_QUERIES).flatMap((table) => [table.rank, table.volume]),
      Object.values(CAPTURE_QUERIES),
      Object.values(ANOMALY_QUERIES),
    ]) {
      const refIds = view.map((query) => query.refId);
      expect(new Set(refIds).size).toBe(refIds.length);
    }
  });

  it('use only the namespace and workload variables, which withVariables replaces', () => {
    for (const query of allQueries) {
      const replaced = withVariables(query, { namespace: 'shop', workload: 'cart' }).expr;
      expect(replaced).not.toMatch(/\$(?!1\b)\w+/);
    }
  });

  it('draw time series over a range and tables from instant queries', () => {
    for (const query of [
      ...Object.values(DNS_QUERIES),
      ...Object.values(HTTP_QUERIES),
      ...Object.values(CAPTURE_QUERIES),
      ...Object.values(ANOMALY_QUERIES),
    ]) {
      expect(query.range).toBe(!query.instant);
      expect(query.format).toBe(query.instant ? 'table' : 'time_series');
    }
  });

  it('break each edge down by dest_service like the ports breakdown: reporters once, either end selected', () => {
    const byRefId = new Map(SERVICE_GRAPH_QUERIES.map((query) => [query.refId, query]));
    const services = byRefId.get('services');
    const ports = byRefId.get('ports');
    expect(services).toBeDefined();
    expect(services?.expr).toBe(ports?.expr.replace('protocol, dest_port', 'dest_service'));
    expect(services?.expr).toMatch(
      /^max without \(reporter\) \(sum by \(source_namespace, source_workload, dest_namespace, dest_workload, dest_service, reporter\)/,
    );
    expect(services?.expr).toContain('source_namespace=~"$namespace", source_workload=~"$workload"');
    expect(services?.expr).toContain('dest_namespace=~"$namespace", dest_workload=~"$workload"');
    expect(services).toMatchObject({ instant: true, range: false, format: 'time_series' });
  });
});

describe('the hotspot queries', () => {
  const tables = Object.entries(HOTSPOT_QUERIES);

  it('are instant tables: topk of the values above zero, over rows with enough volume', () => {
    for (const [, table] of tables) {
      for (const query of [table.rank, table.volume]) {
        expect(query).toMatchObject({ instant: true, range: false, format: 'table' });
      }
      expect(table.rank.expr.startsWith(`topk(${HOTSPOT_LIMIT}, (`)).toBe(true);
      expect(table.rank.expr).toContain(`) > 0 and on (${table.by}) (`);
      expect(table.volume.expr).toContain(`and on (${table.by}) ${table.rank.expr}`);
      expect(table.volume.refId).toBe(`${table.rank.refId}_volume`);
    }
    for (const guarded of [HOTSPOT_QUERIES.latency, HOTSPOT_QUERIES.errors, HOTSPOT_QUERIES.dns]) {
      expect(guarded.rank.expr).toContain(`* 300 >= ${HOTSPOT_MIN_VOLUME})`);
    }
  });

  it('narrow by the namespace variable only, and link rows by labels their queries keep', () => {
    for (const [, table] of tables) {
      expect(table.rank.expr).toContain('=~"$namespace"');
      expect(table.rank.expr).not.toContain('$workload');
      for (const label of [table.linkLabels.namespace, table.linkLabels.workload]) {
        expect(table.by.split(', ')).toContain(label);
      }
    }
  });

  it('rank by the recording rules of each category and link to its dashboard', () => {
    expect(HOTSPOT_QUERIES.latency.rank.expr).toContain('edge:flowlens_http_request_duration_seconds:p99_rate5m');
    expect(HOTSPOT_QUERIES.errors.rank.expr).toContain('dest_workload:flowlens_http_errors:ratio_rate5m');
    expect(HOTSPOT_QUERIES.dns.rank.expr).toContain('client_workload:flowlens_dns_nxdomain:rate5m');
    expect(HOTSPOT_QUERIES.dns.rank.expr).toContain('client_workload:flowlens_dns_servfail:rate5m');
    expect(HOTSPOT_QUERIES.denied.rank.expr).toContain('edge:flowlens_flows_denied:rate5m');
    expect(HOTSPOT_QUERIES.retransmissions.rank.expr).toContain('edge:flowlens_tcp_retransmissions:rate5m');
    const dashboards = readFileSync(join(__dirname, '../../dashboards/src/common.ts'), 'utf8');
    for (const [, table] of tables) expect(dashboards).toContain(`uid: '${table.dashboardUid}'`);
  });
});

describe('the anomaly queries', () => {
  const detector = readFileSync(join(__dirname, '../../exporter/src/analytics/anomaly/detector.ts'), 'utf8');

  it("colour scores by the detectors' own thresholds and the alert's", () => {
    expect(detector).toContain(`enterScore: ${ANOMALY_ENTER_SCORE},`);
    expect(detector).toContain(`exitScore: ${ANOMALY_EXIT_SCORE},`);
    expect(rules).toContain(
      `expr: max by (kind, namespace, workload, direction, peer_namespace, peer_workload) (flowlens_anomaly_score) >= ${ANOMALY_ENTER_SCORE}\n`,
    );
  });

  it('rank series as the alert does (the highest of the nodes) and narrow them by namespace', () => {
    for (const query of [ANOMALY_QUERIES.current, ANOMALY_QUERIES.scores]) {
      expect(query.expr).toBe(
        'max by (kind, namespace, workload, direction, peer_namespace, peer_workload) (flowlens_anomaly_score{namespace=~"$namespace"})',
      );
    }
    expect(ANOMALY_QUERIES.firing.expr).toContain('ALERTS{alertname="FlowlensAnomalyDetected", alertstate="firing"');
    expect(rules).toContain('- alert: FlowlensAnomalyDetected\n');
  });
});
