/**
 * TCP health of a namespace's edges (Calico flow logs' TCP statistics) and its pods' sockets (the `sockets` source):
 * retransmissions, RTT, loss, socket states, queues, resets and listen overflows.
 */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import {
  EDGE,
  EDGE_LEGEND,
  RATE,
  flowlensDashboard,
  namespaceVariable,
  query,
  row,
  timeseriesPanel,
  workloadVariable,
} from './common';

const FROM = 'source_namespace="$namespace", source_workload=~"$workload"';

export function tcpDashboard(): dashboard.Dashboard {
  return flowlensDashboard(
    'tcp',
    'TCP health of the namespace’s outbound edges (Calico flow logs’ TCP statistics) and of its pods’ sockets: retransmissions, RTT, loss, socket states, queues, resets and listen overflows.',
  )
    .withVariable(namespaceVariable())
    .withVariable(workloadVariable({ includeAll: true }))
    .withRow(row('Edges'))
    .withPanel(
      timeseriesPanel(
        'Retransmissions by edge',
        { description: 'TCP segments retransmitted per second on each outbound edge.', unit: 'suffix: segments/s' },
        [query(`edge:flowlens_tcp_retransmissions:rate5m{${FROM}}`, EDGE_LEGEND)],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Retransmission ratio by edge',
        {
          description: 'Retransmitted segments per segment sent on each edge; the alert fires above 2 %.',
          unit: 'percentunit',
          thresholds: [{ value: 0.02, color: 'red' }],
        },
        [query(`edge:flowlens_tcp_retransmissions:ratio_rate5m{${FROM}}`, EDGE_LEGEND)],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Smoothed RTT by edge',
        {
          description: 'Mean smoothed round-trip time of the flows on each edge, weighted by flow count.',
          unit: 's',
          thresholds: [{ value: 0.1, color: 'red' }],
        },
        [
          query(
            `sum by (${EDGE}) (rate(flowlens_tcp_smooth_rtt_seconds_sum{${FROM}}[${RATE}])) / sum by (${EDGE}) (rate(flowlens_tcp_smooth_rtt_seconds_count{${FROM}}[${RATE}]))`,
            EDGE_LEGEND,
          ),
        ],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Lost packets and unrecovered timeouts',
        { description: 'TCP packets lost, and retransmission timeouts that did not recover, per second.', unit: 'pps' },
        [
          query(`sum by (${EDGE}) (rate(flowlens_tcp_lost_packets_total{${FROM}}[${RATE}]))`, `lost ${EDGE_LEGEND}`),
          query(
            `sum by (${EDGE}) (rate(flowlens_tcp_unrecovered_timeouts_total{${FROM}}[${RATE}]))`,
            `timeouts ${EDGE_LEGEND}`,
          ),
        ],
      ),
    )
    .build();
}
