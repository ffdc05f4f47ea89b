// The Hotspots page: cluster-wide, the top workloads and edges by HTTP p99 latency, HTTP error ratio, DNS failure
// ratio, denied flows and retransmissions (HOTSPOT_QUERIES), each row with the volume behind its rank and a link to
// the dashboard that explains it, narrowed by namespace.
import type { DataLink } from '@grafana/data';
import { EmbeddedScene, PanelBuilders, SceneDataTransformer, type VizPanel } from '@grafana/scenes';

import type { ResolvedAppSettings } from '../../data/app-settings';
import {
  HOTSPOT_LIMIT,
  HOTSPOT_MIN_VOLUME,
  HOTSPOT_QUERIES,
  NAMESPACE_VARIABLE,
  type HotspotTable,
} from '../../queries';
import { controls, datasourceVariable, namespaceVariable, queryRunner, timeRange, variableSet } from './common';
import { dashboardRowLink, rows } from './panels';

export type HotspotCategory = keyof typeof HOTSPOT_QUERIES;

interface HotspotText {
  title: string;
  description: string;
  /** Column titles of the ranked value and of the volume, and their units. */
  value: { name: string; unit: string };
  volume: { name: string; unit: string };
}

const TEXT: Record<HotspotCategory, HotspotText> = {
  latency: {
    title: `Top ${HOTSPOT_LIMIT} server workloads by HTTP p99 latency`,
    description: `p99 request duration (the largest of the workload's incoming edges), over 5 minutes; workloads with ${HOTSPOT_MIN_VOLUME} requests or more.`,
    value: { name: 'p99 latency', unit: 's' },
    volume: { name: 'Requests/s', unit: 'reqps' },
  },
  errors: {
    title: `Top ${HOTSPOT_LIMIT} server workloads by HTTP error ratio`,
    description: `Share of requests answered 5xx, over 5 minutes; workloads with ${HOTSPOT_MIN_VOLUME} requests or more.`,
    value: { name: 'Error ratio', unit: 'percentunit' },
    volume: { name: 'Requests/s', unit: 'reqps' },
  },
  dns: {
    title: `Top ${HOTSPOT_LIMIT} DNS clients by failure ratio`,
    description: `Share of queries answered NXDOMAIN or SERVFAIL, over 5 minutes; clients with ${HOTSPOT_MIN_VOLUME} queries or more.`,
    value: { name: 'Failure ratio', unit: 'percentunit' },
    volume: { name: 'Queries/s', unit: 'reqps' },
  },
  denied: {
    title: `Top ${HOTSPOT_LIMIT} edges by denied flows`,
    description: 'Flows per second denied by policy on each edge, with all its flows for scale.',
    value: { name: 'Denied flows/s', unit: 'short' },
    volume: { name: 'Flows/s', unit: 'short' },
  },
  retransmissions: {
    title: `Top ${HOTSPOT_LIMIT} edges by TCP retransmissions`,
    description: `Retransmitted segments per second on each edge, with its TCP packets; edges with ${HOTSPOT_MIN_VOLUME} packets or more in 5 minutes.`,
    value: { name: 'Retransmissions/s', unit: 'short' },
    volume: { name: 'TCP packets/s', unit: 'pps' },
  },
};

/** The link of a row: its dashboard with the row's namespace and workload, keeping the page's time range. */
export function hotspotLink(table: HotspotTable): DataLink {
  return dashboardRowLink(table.dashboardUid, table.linkLabels);
}

/** One category: the ranking and the volume merged into one row per workload or edge, highest first. */
export function hotspotPanel(category: HotspotCategory): VizPanel {
  const table = HOTSPOT_QUERIES[category];
  const text = TEXT[category];
  const valueColumn = `Value #${table.rank.refId}`;
  const volumeColumn = `Value #${table.volume.refId}`;
  return PanelBuilders.table()
    .setTitle(text.title)
    .setDescription(text.description)
    .setOverrides((overrides) =>
      overrides
        .matchFieldsWithName(text.value.name)
        .overrideUnit(text.value.unit)
        .matchFieldsWithName(text.volume.name)
        .overrideUnit(text.volume.unit)
        .matchFieldsWithName(table.linkLabels.workload)
        .overrideLinks([hotspotLink(table)]),
    )
    .setData(
      new SceneDataTransformer({
        $data: queryRunner([table.rank, table.volume]),
        transformations: [
          { id: 'merge', options: {} },
          { id: 'sortBy', options: { sort: [{ field: valueColumn, desc: true }] } },
          {
            id: 'organize',
            options: {
              excludeByName: { Time: true },
              renameByName: { [valueColumn]: text.value.name, [volumeColumn]: text.volume.name },
            },
          },
        ],
      }),
    )
    .build();
}

export function hotspotsScene(settings: ResolvedAppSettings): EmbeddedScene {
  return new EmbeddedScene({
    $timeRange: timeRange(),
    $variables: variableSet([datasourceVariable(settings), namespaceVariable(NAMESPACE_VARIABLE, settings)]),
    controls: controls(),
    body: rows(340, [
      [hotspotPanel('latency'), hotspotPanel('errors')],
      [hotspotPanel('dns'), hotspotPanel('denied')],
      [hotspotPanel('retransmissions')],
    ]),
  });
}
