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
  tablePanel,
  timeseriesPanel,
  workloadVariable,
  redAt,
} from './common';

const FROM = 'source_namespace="$namespace", source_workload=~"$workload"';
const POD = 'namespace="$namespace", workload=~"$workload"';

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
          thresholds: redAt(0.02),
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
          thresholds: redAt(0.1),
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
    .withRow(row('Pod sockets'))
    .withPanel(
      timeseriesPanel(
        'Sockets by state',
        {
          description: 'Sockets of the selected pods by protocol and state at each scan (the sockets source).',
          unit: 'short',
          stacked: true,
        },
        [query(`sum by (protocol, state) (flowlens_sockets{${POD}})`, '{{protocol}} {{state}}')],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Socket queues',
        {
          description:
            'Bytes waiting in send queues (sent, not acknowledged) and receive queues (not read by the application): a growing receive queue is an application that does not keep up.',
          unit: 'bytes',
        },
        [query(`sum by (workload, queue) (flowlens_socket_queue_bytes{${POD}})`, '{{workload}} {{queue}}')],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Retransmitted segments by pod',
        {
          description: 'TCP segments each pod retransmits, per second (all its connections).',
          unit: 'suffix: segments/s',
        },
        [
          query(
            `sum by (workload, pod) (rate(flowlens_pod_tcp_retransmitted_segments_total{${POD}}[${RATE}]))`,
            '{{workload}} {{pod}}',
          ),
        ],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Resets by pod',
        {
          description:
            'RST segments each pod sends (refused or aborted connections) and its connections reset from ESTABLISHED.',
          unit: 'ops',
        },
        [
          query(`sum by (workload, pod) (rate(flowlens_pod_tcp_resets_total{${POD}}[${RATE}]))`, 'sent {{pod}}'),
          query(
            `sum by (workload, pod) (rate(flowlens_pod_tcp_established_resets_total{${POD}}[${RATE}]))`,
            'established reset {{pod}}',
          ),
        ],
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Listen overflows by pod',
        {
          description:
            'Connections dropped because a listen queue was full (overflows) or for any reason (drops): the server does not accept fast enough. The alert fires on any overflow.',
          unit: 'ops',
          thresholds: redAt(0.01),
        },
        [
          query(
            `sum by (workload, pod) (rate(flowlens_pod_tcp_listen_overflows_total{${POD}}[${RATE}]))`,
            'overflows {{pod}}',
          ),
          query(`sum by (workload, pod) (rate(flowlens_pod_tcp_listen_drops_total{${POD}}[${RATE}]))`, 'drops {{pod}}'),
        ],
      ),
    )
    .withPanel(
      tablePanel(
        'Listening sockets',
        {
          description: 'What the selected pods listen on, by process name, protocol and port, at the latest scan.',
          unit: 'short',
          columns: [
            { field: 'workload', title: 'Workload' },
            { field: 'process', title: 'Process' },
            { field: 'protocol', title: 'Protocol' },
            { field: 'port', title: 'Port' },
            { field: 'Value', title: 'Sockets' },
          ],
        },
        `sum by (workload, process, protocol, port) (flowlens_listening_sockets{${POD}})`,
      ),
    )
    .build();
}
