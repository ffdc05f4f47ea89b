/** The exporters' own health: ingest, errors, lag, series budgets, the cluster view, policy attribution, resources. */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { RATE, flowlensDashboard, query, row, statPanel, timeseriesPanel, warnAt, redAt } from './common';

export function exporterDashboard(): dashboard.Dashboard {
  return flowlensDashboard(
    'exporter',
    'The Flowlens exporters themselves: records and rejected input per source, lag and backlog, series against their budgets, the live cluster view, policy attribution, packet captures, CPU and memory.',
  )
    .withRow(row('Exporters'))
    .withPanel(
      statPanel(
        'Exporters reporting',
        { description: 'Exporters whose build information Prometheus scrapes now.', unit: 'short', width: 6 },
        'count(flowlens_build_info)',
      ),
    )
    .withPanel(
      statPanel(
        'Records ingested',
        { description: 'Records per second decoded and accepted, all sources.', unit: 'suffix: records/s', width: 6 },
        `sum(rate(flowlens_ingest_records_total[${RATE}]))`,
      ),
    )
    .withPanel(
      statPanel(
        'Input rejected',
        {
          description: 'Share of input lines rejected, all sources (the alert fires above 1 % per source).',
          unit: 'percentunit',
          width: 6,
          thresholds: warnAt(0.001, 0.01),
        },
        `sum(rate(flowlens_ingest_errors_total[${RATE}])) / (sum(rate(flowlens_ingest_records_total[${RATE}])) + sum(rate(flowlens_ingest_errors_total[${RATE}])))`,
      ),
    )
    .withPanel(
      statPanel(
        'Series budget used (fullest family)',
        {
          description: 'Active series against budget, for the fullest family on any exporter.',
          unit: 'percentunit',
          width: 6,
          thresholds: warnAt(0.8, 1),
        },
        'max(flowlens_series_active / flowlens_series_budget)',
      ),
    )
    .withRow(row('Sources'))
    .withPanel(
      timeseriesPanel(
        'Records by source',
        { description: 'Records per second each source delivers.', unit: 'suffix: records/s', stacked: true },
        [query(`sum by (instance, source) (rate(flowlens_ingest_records_total[${RATE}]))`, '{{instance}} {{source}}')],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Rejected and skipped input',
        {
          description:
            'Input lines rejected per second by source and reason (the exporter’s log names file and line), and valid lines skipped as not of interest (replies, notices).',
          unit: 'suffix: lines/s',
        },
        [
          query(
            `sum by (source, reason) (rate(flowlens_ingest_errors_total[${RATE}]))`,
            'rejected {{source}} {{reason}}',
          ),
          query(
            `sum by (source, reason) (rate(flowlens_ingest_skipped_total[${RATE}]))`,
            'skipped {{source}} {{reason}}',
          ),
        ],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Source lag',
        {
          description: 'Time since the end of the newest record of each source; the alert fires past 15 minutes.',
          unit: 's',
          thresholds: redAt(900),
        },
        [query('flowlens_source_lag_seconds', '{{instance}} {{source}}')],
      ),
    )
    .withRow(row('Series'))
    .withPanel(
      timeseriesPanel(
        'Series budget used by family',
        {
          description:
            'Active series of each family against its budget; past 100 % new label sets fold into __overflow__.',
          unit: 'percentunit',
          thresholds: redAt(1),
        },
        [query('max by (family) (flowlens_series_active / flowlens_series_budget)', '{{family}}')],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Overflowed and evicted',
        {
          description: 'Samples folded into __overflow__ (budget full) and series evicted after their TTL, per second.',
          unit: 'ops',
        },
        [
          query(`sum by (family) (rate(flowlens_series_overflowed_samples_total[${RATE}]))`, 'overflow {{family}}'),
          query(`sum by (family) (rate(flowlens_series_evicted_total[${RATE}]))`, 'evicted {{family}}'),
        ],
      ),
    )
    .withRow(row('Cluster view and policy'))
    .withPanel(
      timeseriesPanel(
        'Cluster view in sync',
        {
          description: 'Exporters whose live cluster view is in sync, per Kubernetes resource (serve --kubernetes).',
          unit: 'short',
        },
        [query('sum by (resource) (flowlens_k8s_cache_synced)', '{{resource}}')],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Watch errors',
        { description: 'Failed or restarted lists and watches per second, by resource and reason.', unit: 'ops' },
        [
          query(
            `sum by (resource, reason) (rate(flowlens_k8s_watch_errors_total[${RATE}]))`,
            '{{resource}} {{reason}}',
          ),
        ],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Policy attribution',
        {
          description:
            'Flows per second whose deciding policy came from the engine (the input named none), and flows whose reported policy the engine disagrees with (a stale view).',
          unit: 'suffix: flows/s',
        },
        [
          query(`sum(rate(flowlens_policy_attributed_total[${RATE}]))`, 'attributed by the engine'),
          query(`sum(rate(flowlens_policy_mismatch_total[${RATE}]))`, 'dataplane and engine disagree'),
        ],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Objects in the cluster view',
        { description: 'Objects each exporter’s live view holds, per resource.', unit: 'short' },
        [query('max by (resource) (flowlens_k8s_objects)', '{{resource}}')],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Policy recommendations API',
        {
          description:
            '/api/v1/recommendations requests per second by how they ended: answered, refused because one was computing and the queue was full (busy), stopped at api.recommendationTimeout (timeout), failed, or left by their caller while waiting (abandoned).',
          unit: 'reqps',
          width: 24,
        },
        [query(`sum by (outcome) (rate(flowlens_recommendations_total[${RATE}]))`, '{{outcome}}')],
      ),
    )
    .withRow(row('Packet capture'))
    .withPanel(
      timeseriesPanel(
        'Packet captures',
        {
          description:
            'PacketCaptures each exporter is capturing now (zero without the capture controller, serve --capture-dir; see docs/capture.md), and the bytes (pcap headers included) and packets written to capture files per second, per namespace of the PacketCapture.',
          unit: 'short',
          width: 24,
        },
        [
          query('sum by (instance) (flowlens_captures_active)', 'running on {{instance}}'),
          query(`sum by (namespace) (rate(flowlens_capture_bytes_total[${RATE}]))`, '{{namespace}} bytes/s'),
          query(`sum by (namespace) (rate(flowlens_capture_packets_total[${RATE}]))`, '{{namespace}} packets/s'),
        ],
      ),
    )
    .withRow(row('Resources'))
    .withPanel(
      timeseriesPanel('Memory', { description: 'Resident memory and V8 heap of each exporter.', unit: 'bytes' }, [
        query('process_resident_memory_bytes{job="flowlens"}', '{{instance}} resident'),
        query('nodejs_heap_used_bytes{job="flowlens"}', '{{instance}} heap'),
      ]),
    )
    .withPanel(
      timeseriesPanel('CPU', { description: 'CPU used by each exporter, in cores.', unit: 'short' }, [
        query(`rate(process_cpu_seconds_total{job="flowlens"}[${RATE}])`, '{{instance}}'),
      ]),
    )
    .build();
}
