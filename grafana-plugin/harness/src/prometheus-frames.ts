// Prometheus HTTP API results to data frames, the way Grafana's Prometheus data source makes them, so that the panels
// get in the harness what they would get in Grafana:
//
// 1. The backend (pkg/promlib: converter.ReadPrometheusStyleResult, then querydata.addMetadataToMultiFrame) turns an
//    instant vector into one frame per series: a `Time` field (config.interval = the step) and a number field holding
//    the series' labels. Prometheus' dataplane form (always on since Grafana 11) names the number field after the
//    series' `__name__` when it has one (else `Value`); its displayNameFromDS is the legend (no legend format: the
//    series as `name{label="value", ...}`). Meta: type `numeric-multi` 0.1, custom.resultType `vector`; the first
//    frame of a query carries `executedQueryString` ("Expr: ...\nStep: ..."). NaN and ±Inf travel as entities.
// 2. The response of /api/ds/query goes through @grafana/runtime's toDataQueryResponse (dataFrameFromJSON, refId).
// 3. The data source's transformV2 gives time series (non-table) frames meta.preferredVisualisationType 'graph'.
import {
  type DataFrame,
  type DataFrameJSON,
  DataFrameType,
  type DataQuery,
  type FieldValueEntityLookup,
  FieldType,
} from '@grafana/data';
import { type BackendDataSourceResponse, toDataQueryResponse } from '@grafana/runtime';
import type { PrometheusQuery } from '../../src/queries';
import type { PrometheusResults, PrometheusSample } from './api';

export type { PrometheusResults, PrometheusSample };

/** The frames the Prometheus data source hands a panel for these results. */
export function framesFromPrometheus({ queries, results, stepSeconds }: PrometheusResults): DataFrame[] {
  const response: BackendDataSourceResponse = { results: {} };
  for (const query of queries) {
    const result = results[query.refId];
    if (result === undefined) continue;
    if (result.status !== 'success' || result.data === undefined) {
      response.results[query.refId] = { error: `${result.errorType ?? 'error'}: ${result.error ?? ''}`, status: 400 };
      continue;
    }
    if (result.data.resultType !== 'vector') throw new Error(`${query.refId}: only instant vectors are converted`);
    response.results[query.refId] = { status: 200, frames: vectorFrames(query, result.data.result, stepSeconds) };
  }
  const dataQueries: DataQuery[] = queries.map((query) => ({ refId: query.refId }));
  const { data } = toDataQueryResponse({ data: response }, dataQueries);
  return (data as DataFrame[]).map((frame) =>
    // Only table-format queries become tables; the views' queries are all time series.
    queries.find((query) => query.refId === frame.refId)?.format === 'table'
      ? frame
      : { ...frame, meta: { ...frame.meta, preferredVisualisationType: 'graph' } },
  );
}

function vectorFrames(query: PrometheusQuery, samples: PrometheusSample[], stepSeconds: number): DataFrameJSON[] {
  const frames: DataFrameJSON[] = samples.map((sample) => {
    const [seconds, text] = sample.value;
    const value = sampleValue(text);
    const entities: FieldValueEntityLookup | null = Number.isNaN(value)
      ? { NaN: [0] }
      : value === Infinity
        ? { Inf: [0] }
        : value === -Infinity
          ? { NegInf: [0] }
          : null;
    const labels = { ...sample.metric };
    return {
      schema: {
        refId: query.refId,
        meta: { type: DataFrameType.NumericMulti, typeVersion: [0, 1], custom: { resultType: 'vector' } },
        fields: [
          {
            name: 'Time',
            type: FieldType.time,
            typeInfo: { frame: 'time.Time' },
            config: { interval: stepSeconds * 1000 },
          },
          {
            name: labels['__name__'] ?? 'Value',
            type: FieldType.number,
            typeInfo: { frame: 'float64' },
            labels,
            config: { displayNameFromDS: legendOf(labels, query.expr) },
          },
        ],
      },
      data: {
        values: [[Math.round(seconds * 1000)], [entities === null ? value : null]],
        ...(entities === null ? {} : { entities: [null, entities] }),
      },
    };
  });
  // A query without series still answers with one empty frame, to carry its metadata.
  if (frames.length === 0) frames.push({ schema: { refId: query.refId, fields: [] }, data: { values: [] } });
  const first = frames[0]!;
  first.schema = {
    ...first.schema,
    fields: first.schema?.fields ?? [],
    meta: { ...first.schema?.meta, executedQueryString: `Expr: ${query.expr}\nStep: ${stepSeconds}s` },
  };
  return frames;
}

/** Prometheus' rendering of a series (model.Metric's String()), which Grafana uses as the legend by default. */
function legendOf(labels: Record<string, string>, expr: string): string {
  const name = labels['__name__'] ?? '';
  const rest = Object.entries(labels)
    .filter(([label]) => label !== '__name__')
    .map(([label, value]) => `${label}=${JSON.stringify(value)}`)
    .sort();
  if (rest.length === 0) return name === '' ? expr : name;
  return `${name}{${rest.join(', ')}}`;
}

/** Prometheus writes sample values as strings: numbers, `NaN`, `+Inf`, `-Inf`. */
function sampleValue(text: string): number {
  if (/^\+?inf(inity)?$/i.test(text)) return Infinity;
  if (/^-inf(inity)?$/i.test(text)) return -Infinity;
  return Number.parseFloat(text);
}
