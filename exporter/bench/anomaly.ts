/**
 * anomaly_*: the anomaly detectors on the demo cluster (src/analytics/anomaly/evaluation.ts). Quality: recall on the
 * demo's incidents and false alarms per simulated day, over three simulated days with an incident of each kind every
 * 6 hours (the default evaluation), judged for the default detector (trailing baseline and time-of-day profile) and,
 * on the same records, for the trailing baseline alone (`anomaly_trailing_only_*`, which alarms on the demo's nightly
 * Elasticsearch rollover every night); and over three days of the demo's default hourly schedule (the profile judges
 * on the third). `traffic_drop` on the demo's own traffic (`anomaly_silences_*`): three more days with the demo's four
 * busiest edges silenced in the harness for 18 minutes of every 6-hour period from two days after the warm-up
 * (DEMO_SILENCES): recall of the silences by `traffic_drop` on the silenced edge, the windows from a silence's start to
 * its alarm, and the incidents' recall and false alarms with the silences (the same as without them if the silences
 * disturb nothing else). Memory: the bytes of a series' time-of-day profile. Cost: the stage's time per 60-second
 * detection window (building totals from already decoded records, scoring, rendering the top N) over three hours of
 * decoded demo records, and the detector's alone.
 */
import { performance } from 'node:perf_hooks';
import { DemoCluster } from '../src/demo/traffic';
import { calicoFlowsSource } from '../src/sources/calico-flows';
import { calicoDnsSource } from '../src/sources/calico-dns';
import { calicoL7Source } from '../src/sources/envoy/sources';
import { PodNameWorkloads } from '../src/pipeline/enrich';
import { httpRecordEnd, type HttpRecord } from '../src/model/http';
import type { FlowRecord } from '../src/model/flow';
import type { DnsRecord } from '../src/model/dns';
import type { RecordSink } from '../src/sources/types';
import {
  DEFAULT_EVALUATION_OPTIONS,
  DEMO_SILENCES,
  evaluateOnDemo,
  evaluateVariantsOnDemo,
  type EvaluationReport,
} from '../src/analytics/anomaly/evaluation';
import { DEFAULT_SEASONAL_PROFILE_OPTIONS, SeasonalProfile } from '../src/analytics/anomaly/seasonal-profile';
import { AnomalyStage } from '../src/analytics/anomaly/stage';
import { AnomalyDetector, type AnomalyDetectorOptions } from '../src/analytics/anomaly/detector';
import type { WindowTotals } from '../src/analytics/anomaly/window-totals';
import { WindowAccumulator } from '../src/analytics/anomaly/window-totals';
import { collectGarbage, progress, round, type BenchResult } from './util';

const COST_HOURS = 3;

function qualityResults(prefix: string, report: EvaluationReport): BenchResult[] {
  progress(
    `  ${prefix}: ${report.recalled}/${report.occurrences} incidents recalled, ${report.falseAlarms} false alarms in ` +
      `${round(report.judgedDays, 2)} judged days (per day ${JSON.stringify(report.falseAlarmsByDay)}); ` +
      `per incident ${JSON.stringify(report.perIncident)}`,
  );
  return [
    { name: `${prefix}_recall`, value: round(report.recall, 3), unit: 'ratio' },
    { name: `${prefix}_false_alarms_per_day`, value: round(report.falseAlarmsPerDay, 2), unit: 'alarms/day' },
  ];
}

/** `traffic_drop` on the harness's silences, and whether they changed anything else (`withoutSilences`: same days). */
function silenceResults(report: EvaluationReport, withoutSilences: EvaluationReport): BenchResult[] {
  const { silences } = report;
  const delays = silences.delayWindows;
  const unchanged =
    report.recalled === withoutSilences.recalled &&
    report.occurrences === withoutSilences.occurrences &&
    report.falseAlarms === withoutSilences.falseAlarms;
  progress(
    `  anomaly_silences: ${silences.recalled}/${silences.occurrences} silences recalled by traffic_drop ` +
      `(per edge ${JSON.stringify(silences.perEdge)}; missed ${JSON.stringify(silences.missed)}), ` +
      `delay ${JSON.stringify(delays)} windows, ${silences.removedRecords} flow records removed; incidents ` +
      `${report.recalled}/${report.occurrences} recalled, ${report.falseAlarms} false alarms ` +
      `(${JSON.stringify(report.falseAlarmsByKind)}), ` +
      `${unchanged ? 'the same as' : 'NOT the same as'} without silences`,
  );
  return [
    { name: 'anomaly_silences_drop_recall', value: round(silences.recall, 3), unit: 'ratio' },
    {
      name: 'anomaly_silences_drop_delay_windows',
      value: delays.length === 0 ? NaN : Math.max(...delays),
      unit: 'windows',
    },
    { name: 'anomaly_silences_recall', value: round(report.recall, 3), unit: 'ratio' },
    { name: 'anomaly_silences_false_alarms_per_day', value: round(report.falseAlarmsPerDay, 2), unit: 'alarms/day' },
  ];
}

interface DecodedWindow {
  flows: FlowRecord[];
  dns: DnsRecord[];
  http: HttpRecord[];
}

/** COST_HOURS of demo minutes, decoded and enriched once, so the timing below is the stage's alone. */
function decodedWindows(): DecodedWindow[] {
  const cluster = new DemoCluster({ seed: 1, incidentPeriodSeconds: DEFAULT_EVALUATION_OPTIONS.incidentPeriodSeconds });
  const enricher = new PodNameWorkloads();
  const decoders = {
    flows: calicoFlowsSource.createDecoder(),
    dns: calicoDnsSource.createDecoder(),
    http: calicoL7Source.createDecoder(),
  };
  const windows: DecodedWindow[] = [];
  // From 10:00, the busy part of the day.
  const start = DEFAULT_EVALUATION_OPTIONS.startUnix + 10 * 3600;
  for (let minute = 0; minute < COST_HOURS * 60; minute++) {
    const window: DecodedWindow = { flows: [], dns: [], http: [] };
    const sink: RecordSink = {
      flow: (record) => {
        enricher.enrich(record);
        window.flows.push(record);
      },
      dns: (record) => {
        enricher.enrichEndpoints(record.client, record.server);
        window.dns.push(record);
      },
      http: (record) => {
        enricher.enrichEndpoints(record.source, record.destination);
        if (httpRecordEnd(record) > 0) window.http.push(record);
      },
      audit: () => undefined,
      sockets: () => undefined,
      skipped: () => undefined,
    };
    const at = start + minute * 60;
    for (const line of cluster.linesFor(at, 60)) decoders.flows.decode(line, sink);
    for (const line of cluster.dnsLinesFor(at, 60)) decoders.dns.decode(line, sink);
    for (const line of cluster.httpLinesFor(at, 60)) decoders.http.decode(line, sink);
    windows.push(window);
  }
  return windows;
}

function costResults(): BenchResult[] {
  progress(`  decoding ${COST_HOURS} hours of demo records`);
  const windows = decodedWindows();
  const records = windows.reduce(
    (sum, window) => sum + window.flows.length + window.dns.length + window.http.length,
    0,
  );
  collectGarbage();
  const stage = new AnomalyStage({}, () => 0);
  const stageStart = performance.now();
  for (const window of windows) {
    for (const record of window.flows) stage.flow(record);
    for (const record of window.dns) stage.dns(record);
    for (const record of window.http) stage.http(record);
  }
  stage.flush();
  const stageMs = performance.now() - stageStart;

  const totals: WindowTotals[] = [];
  const accumulator = new WindowAccumulator(60, (window) => totals.push(window));
  for (const window of windows) {
    for (const record of window.flows) accumulator.flow(record);
    for (const record of window.dns) accumulator.dns(record);
    for (const record of window.http) accumulator.http(record);
  }
  accumulator.flush();
  // The detector with and without time-of-day profiles, alternately, the best of three each: what the profiles cost.
  // From 10:00 the profiles are allocated after the first hour and learn; none has two days, so none judges (judging
  // is one more small sort per scored series).
  const detectMsWith = (profile: AnomalyDetectorOptions['profile']): number => {
    collectGarbage();
    const detector = new AnomalyDetector({ profile });
    const detectStart = performance.now();
    for (const window of totals) detector.observe(window);
    return performance.now() - detectStart;
  };
  let detectMs = Infinity;
  let trailingOnlyMs = Infinity;
  for (let round = 0; round < 3; round++) {
    detectMs = Math.min(detectMs, detectMsWith(DEFAULT_SEASONAL_PROFILE_OPTIONS));
    trailingOnlyMs = Math.min(trailingOnlyMs, detectMsWith(null));
  }
  const series = totals.reduce((sum, window) => sum + window.edges.size + window.workloads.size, 0) / totals.length;
  progress(
    `  ${totals.length} windows, ${Math.round(records / totals.length)} records and ${Math.round(series)} edges and workloads a window`,
  );
  return [
    { name: 'anomaly_stage_us_per_window', value: round((stageMs * 1000) / stage.windowsObserved, 1), unit: 'µs' },
    { name: 'anomaly_detect_us_per_window', value: round((detectMs * 1000) / totals.length, 1), unit: 'µs' },
    {
      name: 'anomaly_detect_trailing_only_us_per_window',
      value: round((trailingOnlyMs * 1000) / totals.length, 1),
      unit: 'µs',
    },
    { name: 'anomaly_records_per_window', value: Math.round(records / totals.length), unit: 'records' },
  ];
}

export function benchAnomaly(): BenchResult[] {
  progress(
    'anomaly: 3 simulated days, an incident of each kind every 6 hours, with and without the time-of-day profile',
  );
  const { seasonal, trailing } = evaluateVariantsOnDemo(
    { days: 3 },
    { seasonal: {}, trailing: { detector: { profile: null } } },
  );
  const quality = [...qualityResults('anomaly', seasonal), ...qualityResults('anomaly_trailing_only', trailing)];
  progress('anomaly: 3 simulated days of the demo’s default hourly incidents');
  const hourly = qualityResults('anomaly_hourly', evaluateOnDemo({ days: 3, incidentPeriodSeconds: 3600 }));
  progress('anomaly: 3 simulated days, 6-hour incidents, four busy edges silenced 18 minutes a period from day 3');
  const silences = silenceResults(evaluateOnDemo({ days: 3, silences: DEMO_SILENCES }), seasonal);
  const profileBytes = SeasonalProfile.arrayBytes(
    DEFAULT_SEASONAL_PROFILE_OPTIONS,
    86_400 / DEFAULT_SEASONAL_PROFILE_OPTIONS.buckets / 60,
  );
  return [
    ...quality,
    ...hourly,
    ...silences,
    { name: 'anomaly_profile_bytes_per_series', value: profileBytes, unit: 'bytes' },
    ...costResults(),
  ];
}
