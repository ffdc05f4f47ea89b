// The Captures page: PacketCaptures and their state on each node (the exporters' flowlens_capture_info series and
// this node's totals, joined in one table), captures running per node, and bytes and packets captured per namespace.
// Grafana has no Kubernetes access: everything comes through Prometheus, and the files through `flowlens capture fetch`.
import { EmbeddedScene, PanelBuilders, SceneDataTransformer, type VizPanel } from '@grafana/scenes';

import type { ResolvedAppSettings } from '../../data/app-settings';
import { CAPTURE_NAMESPACE_VARIABLE, CAPTURE_QUERIES, CAPTURE_TABLE_COLUMNS } from '../../queries';
import { controls, datasourceVariable, namespaceVariable, queryRunner, timeRange, variableSet } from './common';
import { rows, timeseriesPanel } from './panels';

/** How to get a capture's files: Grafana cannot, the command line can (docs/capture.md). */
export const FETCH_NOTE = `Grafana sees captures through Prometheus only; their files stay on the nodes. To get them, with a
kubeconfig allowed to \`get\` \`packetcaptures/files\` in the namespace:

\`\`\`sh
flowlens capture fetch NAMESPACE/NAME --dest DIR
\`\`\`

It downloads each node's files into \`DIR/<node>/\` and merges them into \`DIR/<namespace>-<name>.pcap\` for Wireshark.
\`flowlens capture status NAMESPACE/NAME\` lists the files per node. See
[docs/capture.md](https://github.com/flowlens/flowlens/blob/main/docs/capture.md) ("The command line", "The file API"). Finished captures leave this table 1h after they end; their files are kept until the exporters' retention
(\`--capture-max-age\`, default 24h) or until the PacketCapture is deleted.`;

/**
 * One row per capture and node: the status query's labels (namespace, name, node, state) merged with the bytes and
 * packets queries' values on the same namespace, name and node.
 */
export function capturesTable(): VizPanel {
  return PanelBuilders.table()
    .setTitle('Captures')
    .setDescription(
      'Each PacketCapture on each node that captures for it (it selected pods there): its state there (Scheduled, WaitingForTraffic, Capturing, Finished, Error), and the bytes and packets of that node’s files.',
    )
    .setOption('sortBy', [{ displayName: 'namespace', desc: false }])
    .setOverrides((overrides) => {
      overrides.matchFieldsWithName(CAPTURE_TABLE_COLUMNS.capture_bytes).overrideUnit('bytes');
      overrides.matchFieldsWithName(CAPTURE_TABLE_COLUMNS.capture_packets).overrideUnit('short');
    })
    .setData(
      new SceneDataTransformer({
        $data: queryRunner([CAPTURE_QUERIES.status, CAPTURE_QUERIES.bytes, CAPTURE_QUERIES.packets]),
        transformations: [
          { id: 'merge', options: {} },
          {
            id: 'organize',
            options: {
              // The info series' value is always 1.
              excludeByName: { Time: true, [`Value #${CAPTURE_QUERIES.status.refId}`]: true },
              indexByName: { namespace: 0, name: 1, node: 2, state: 3 },
              renameByName: Object.fromEntries(
                Object.entries(CAPTURE_TABLE_COLUMNS).map(([refId, column]) => [`Value #${refId}`, column]),
              ),
            },
          },
        ],
      }),
    )
    .build();
}

export function fetchNotePanel(): VizPanel {
  return (
    PanelBuilders.text()
      .setTitle('Getting the files')
      // The text panel's default mode is markdown.
      .setOption('content', FETCH_NOTE)
      .build()
  );
}

export function capturesScene(settings: ResolvedAppSettings): EmbeddedScene {
  return new EmbeddedScene({
    $timeRange: timeRange(),
    $variables: variableSet([datasourceVariable(settings), namespaceVariable(CAPTURE_NAMESPACE_VARIABLE, settings)]),
    controls: controls(),
    body: rows(320, [
      [capturesTable(), fetchNotePanel()],
      [
        timeseriesPanel(CAPTURE_QUERIES.active, {
          title: 'Captures running, by node',
          description:
            'PacketCaptures each node’s exporter is running (flowlens_captures_active), whatever their namespace.',
          unit: 'short',
        }),
        timeseriesPanel(CAPTURE_QUERIES.bytesRate, {
          title: 'Bytes captured, by namespace',
          description: 'Bytes written to capture files per second, all nodes, by namespace of the PacketCapture.',
          unit: 'Bps',
        }),
        timeseriesPanel(CAPTURE_QUERIES.packetsRate, {
          title: 'Packets captured, by namespace',
          description: 'Packets written to capture files per second, all nodes, by namespace of the PacketCapture.',
          unit: 'pps',
        }),
      ],
    ]),
  });
}
