// The Anomalies page: what the exporters' anomaly detectors (exporter/src/analytics/anomaly) score now, each row
// coloured by the detectors' thresholds and linked to its workload's dashboard; the scores over time; how many
// anomalies started per hour by kind; and the FlowlensAnomalyDetected alerts firing. All from ANOMALY_QUERIES.
import { ThresholdsMode } from '@grafana/data';
import { EmbeddedScene, PanelBuilders, SceneDataTransformer, type VizPanel } from '@grafana/scenes';
import { TableCellDisplayMode } from '@grafana/schema';

import type { ResolvedAppSettings } from '../../data/app-settings';
import {
  ANOMALY_ENTER_SCORE,
  ANOMALY_EXIT_SCORE,
  ANOMALY_QUERIES,
  NAMESPACE_VARIABLE,
  type PrometheusQuery,
} from '../../queries';
import { controls, datasourceVariable, namespaceVariable, queryRunner, timeRange, variableSet } from './common';
import { dashboardRowLink, rows, timeseriesPanel } from './panels';

/** The column the score takes in the tables. */
export const SCORE_COLUMN = 'Score';

/** Green below the exit score, orange while recovering or rising, red from the enter score (an anomaly). */
const SCORE_THRESHOLDS = {
  mode: ThresholdsMode.Absolute,
  steps: [
    { value: -Infinity, color: 'green' },
    { value: ANOMALY_EXIT_SCORE, color: 'orange' },
    { value: ANOMALY_ENTER_SCORE, color: 'red' },
  ],
};

/**
 * An instant table of scored series: the labels as they are (the workload link reads them by name), the value as
 * `valueColumn`, sorted by it (highest first).
 */
function scoredSeriesTable(query: PrometheusQuery, valueColumn: string, hideValue: boolean): SceneDataTransformer {
  return new SceneDataTransformer({
    $data: queryRunner([query]),
    transformations: [
      { id: 'sortBy', options: { sort: [{ field: 'Value', desc: true }] } },
      {
        id: 'organize',
        options: {
          excludeByName: { Time: true, ...(hideValue ? { Value: true } : {}) },
          renameByName: { Value: valueColumn },
        },
      },
    ],
  });
}

/** The series scored now, highest first: the score coloured by threshold, the workload linked to its dashboard. */
export function currentScoresPanel(): VizPanel {
  return PanelBuilders.table()
    .setTitle('Scored now')
    .setDescription(
      `Each exporter's top series by anomaly score: a robust z-score against the series' own baseline and, once learnt, its time-of-day profile (a new edge scores 10; a busy edge gone quiet up to 10, as traffic_drop). ` +
        `${ANOMALY_ENTER_SCORE} or more for two windows is an anomaly; the anomaly ends after three windows under ${ANOMALY_EXIT_SCORE}. ` +
        'A series is scored after its first 10 minutes.',
    )
    .setThresholds(SCORE_THRESHOLDS)
    .setOverrides((overrides) =>
      overrides
        .matchFieldsWithName(SCORE_COLUMN)
        .overrideDecimals(1)
        .overrideCustomFieldConfig('cellOptions', { type: TableCellDisplayMode.ColorBackground })
        .matchFieldsWithName('workload')
        .overrideLinks([dashboardRowLink('flowlens-workload', { namespace: 'namespace', workload: 'workload' })]),
    )
    .setData(scoredSeriesTable(ANOMALY_QUERIES.current, SCORE_COLUMN, false))
    .build();
}

/** The FlowlensAnomalyDetected alerts firing now, by series (empty when Prometheus has not loaded the alert rules). */
export function firingAlertsPanel(): VizPanel {
  return PanelBuilders.table()
    .setTitle('FlowlensAnomalyDetected firing')
    .setDescription(
      'The series Prometheus alerts on now (alerts/flowlens-rules.yml): a score of 6 or more for a minute. ' +
        'Empty when none fires, or when Prometheus does not load the Flowlens alert rules.',
    )
    .setNoValue('No anomaly alert is firing')
    .setData(scoredSeriesTable(ANOMALY_QUERIES.firing, SCORE_COLUMN, true))
    .build();
}

export function anomaliesScene(settings: ResolvedAppSettings): EmbeddedScene {
  return new EmbeddedScene({
    $timeRange: timeRange(),
    $variables: variableSet([datasourceVariable(settings), namespaceVariable(NAMESPACE_VARIABLE, settings)]),
    controls: controls(),
    body: rows(340, [
      [currentScoresPanel(), firingAlertsPanel()],
      [
        timeseriesPanel(ANOMALY_QUERIES.scores, {
          title: 'Anomaly scores',
          description: `Scores of the series each exporter ranks in its top N; ${ANOMALY_ENTER_SCORE} is the anomaly threshold.`,
          unit: 'none',
        }),
        timeseriesPanel(ANOMALY_QUERIES.startedPerHour, {
          title: 'Anomalies started per hour, by kind',
          description:
            'Anomalies the detectors entered in the last hour, cluster-wide (the counter has no namespace): new edges, busy edges gone quiet (traffic_drop), flow, denied-flow and byte rates, DNS and HTTP error ratios, HTTP latency, retransmissions.',
          unit: 'short',
        }),
      ],
    ]),
  });
}
