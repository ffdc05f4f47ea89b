// Grafana core panels for the DNS and HTTP pages: each draws one query of src/queries.ts, with the unit, range and
// legend a careful dashboard author would set.
import type { DataLink } from '@grafana/data';
import {
  PanelBuilders,
  SceneDataTransformer,
  SceneFlexItem,
  SceneFlexLayout,
  type SceneObject,
  type VizPanel,
} from '@grafana/scenes';
import { BarGaugeDisplayMode, LegendDisplayMode, SortOrder, TooltipDisplayMode, VizOrientation } from '@grafana/schema';

import type { PrometheusQuery } from '../../queries';
import { queryRunner } from './common';

interface PanelText {
  title: string;
  description: string;
  unit: string;
}

/** Series over time, one per edge or workload, the legend a table sorted by the latest value. */
export function timeseriesPanel(query: PrometheusQuery, text: PanelText, max?: number): VizPanel {
  const builder = PanelBuilders.timeseries()
    .setTitle(text.title)
    .setDescription(text.description)
    .setUnit(text.unit)
    .setMin(0)
    .setOption('legend', {
      showLegend: true,
      displayMode: LegendDisplayMode.Table,
      placement: 'right',
      calcs: ['lastNotNull', 'max'],
      sortBy: 'Last *',
      sortDesc: true,
    })
    .setOption('tooltip', { mode: TooltipDisplayMode.Multi, sort: SortOrder.Descending })
    .setData(queryRunner([query]));
  return (max === undefined ? builder : builder.setMax(max)).build();
}

/** The current values of an instant query as horizontal bars, largest first. */
export function barGaugePanel(query: PrometheusQuery, text: PanelText): VizPanel {
  return PanelBuilders.bargauge()
    .setTitle(text.title)
    .setDescription(text.description)
    .setUnit(text.unit)
    .setMin(0)
    .setOption('displayMode', BarGaugeDisplayMode.Basic)
    .setOption('orientation', VizOrientation.Horizontal)
    .setOption('reduceOptions', { values: true, calcs: ['lastNotNull'], fields: '' })
    .setData(queryRunner([query]))
    .build();
}

/** An instant query's result as a table: its labels, then the value under `valueColumn`; no time column. */
export function tablePanel(query: PrometheusQuery, text: PanelText & { valueColumn: string }): VizPanel {
  return PanelBuilders.table()
    .setTitle(text.title)
    .setDescription(text.description)
    .setUnit(text.unit)
    .setData(
      new SceneDataTransformer({
        $data: queryRunner([query]),
        transformations: [
          { id: 'organize', options: { excludeByName: { Time: true }, renameByName: { Value: text.valueColumn } } },
        ],
      }),
    )
    .build();
}

/** Rows of panels side by side, each row `height` pixels high. */
export function rows(height: number, panelRows: SceneObject[][]): SceneFlexLayout {
  return new SceneFlexLayout({
    direction: 'column',
    children: panelRows.map(
      (panels) =>
        new SceneFlexLayout({
          direction: 'row',
          height,
          children: panels.map((body) => new SceneFlexItem({ body })),
        }),
    ),
  });
}

/**
 * A table row's link to a Flowlens dashboard for the row's workload: `fields` name the row's columns that hold the
 * namespace and the workload; the link keeps the page's time range and data source.
 */
export function dashboardRowLink(dashboardUid: string, fields: { namespace: string; workload: string }): DataLink {
  return {
    title: 'Open the dashboard for ${__data.fields.' + fields.workload + '}',
    url:
      `/d/${dashboardUid}?var-namespace=\${__data.fields.${fields.namespace}}` +
      `&var-workload=\${__data.fields.${fields.workload}}&\${__url_time_range}&var-datasource=\${datasource}`,
  };
}
