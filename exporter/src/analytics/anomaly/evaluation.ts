/**
 * Measures the detector on the demo cluster, which knows when its incidents happen (`DemoCluster.incidentsAt`,
 * `INCIDENTS`). The harness drives the demo's windows directly (no wall clock): each minute's Calico flow, DNS and L7
 * lines go through the production decoders and the pod-name enricher into an AnomalyStage, so days are simulated in
 * seconds. Alarms are then compared with the incidents:
 *
 * - an incident occurrence is recalled when an alarm whose workload or peer is one of the incident's workloads
 *   (INCIDENT_WORKLOADS) starts during it, or within the grace period after it ends;
 * - an alarm that recalls no occurrence (another workload, or outside every occurrence and its grace) is a false
 *   alarm, so an alarm on an innocent workload during an incident counts against the detector.
 *
 * Occurrences starting in the warm-up (the detector learning the cluster from nothing) are not counted, nor are alarms
 * raised in it; false alarms per day are over the days after the warm-up.
 *
 * The demo has a daily peak (data/elasticsearch's nightly index rollover, ten times its bytes from 01:00 to 01:45 UTC)
 * that no incident explains: a detector without a time-of-day profile alarms on it every night. Several detector
 * variants can be judged on the same simulated days (`evaluateVariantsOnDemo`), so the trailing-only detector and the
 * one with a profile are compared on identical records.
 */
import { DemoCluster, INCIDENTS } from '../../demo/traffic';
import type { IncidentName } from '../../demo/topology';
import { calicoFlowsSource } from '../../sources/calico-flows';
import { calicoDnsSource } from '../../sources/calico-dns';
import { calicoL7Source } from '../../sources/envoy/sources';
import { PodNameWorkloads } from '../../pipeline/enrich';
import { httpRecordEnd } from '../../model/http';
import type { LineDecoder, RecordSink } from '../../sources/types';
import { AnomalyStage, type AnomalyStageOptions } from './stage';
import { ANOMALY_KINDS, type AnomalyKind } from './kinds';
import type { Alarm } from './detector';

/** The workloads each incident is about: an alarm naming one of them (either end) may recall it. */
export const INCIDENT_WORKLOADS: Readonly<Record<IncidentName, readonly string[]>> = {
  'recommendations-port-scan': ['shop/recommendations'],
  'frontend-to-ledger-db': ['shop/frontend', 'payments/ledger-db'],
  'shipping-nxdomain-storm': ['shop/shipping'],
  'checkout-payments-degraded': ['shop/checkout', 'payments/payments-api'],
};

export interface EvaluationOptions {
  seed: number;
  days: number;
  /** The demo's incident period: the default evaluation has each incident every 6 hours. */
  incidentPeriodSeconds: number;
  /** Unix seconds of the first window; a midnight, so the days are calendar days of the daily shape. */
  startUnix: number;
  warmUpSeconds: number;
  graceSeconds: number;
  /** Seconds of demo traffic generated per step (the demo's window; the detector's window is the stage's). */
  stepSeconds: number;
  stage: Partial<AnomalyStageOptions>;
}

export const DEFAULT_EVALUATION_OPTIONS: Readonly<EvaluationOptions> = Object.freeze({
  seed: 1,
  days: 3,
  incidentPeriodSeconds: 6 * 3600,
  // 2026-01-05T00:00:00Z, a Monday.
  startUnix: 1_767_571_200,
  warmUpSeconds: 2 * 3600,
  graceSeconds: 300,
  stepSeconds: 60,
  stage: {},
});

export interface Occurrence {
  incident: IncidentName;
  start: number;
  end: number;
  recalledBy: AnomalyKind[];
}

export interface EvaluationReport {
  seed: number;
  days: number;
  /** Days after the warm-up, the denominator of falseAlarmsPerDay. */
  judgedDays: number;
  incidentPeriodSeconds: number;
  windows: number;
  occurrences: number;
  recalled: number;
  recall: number;
  /** Per incident: occurrences, how many were recalled, and by which kinds of alarm. */
  perIncident: Record<string, { occurrences: number; recalled: number; kinds: AnomalyKind[] }>;
  alarms: number;
  falseAlarms: number;
  falseAlarmsPerDay: number;
  alarmsByKind: Record<string, number>;
  falseAlarmsByKind: Record<string, number>;
  /** False alarms per simulated day (index 0 is the first day, warm-up included in its length but not its alarms). */
  falseAlarmsByDay: number[];
  /** The first false alarms, for whoever tunes the detector. */
  falseAlarmSamples: Alarm[];
}

/** The incident occurrences overlapping [from, to). */
export function incidentOccurrences(cluster: DemoCluster, from: number, to: number): Occurrence[] {
  const period = cluster.incidentPeriodSeconds;
  const occurrences: Occurrence[] = [];
  for (let cycle = Math.floor(from / period) - 1; cycle * period < to; cycle++) {
    for (const incident of INCIDENTS) {
      const start = cycle * period + incident.startFraction * period;
      const end = cycle * period + incident.endFraction * period;
      if (end > from && start < to) occurrences.push({ incident: incident.name, start, end, recalledBy: [] });
    }
  }
  return occurrences.sort((a, b) => a.start - b.start);
}

function names(alarm: Alarm, workloads: readonly string[]): boolean {
  return (
    workloads.includes(`${alarm.namespace}/${alarm.workload}`) ||
    workloads.includes(`${alarm.peerNamespace}/${alarm.peerWorkload}`)
  );
}

/** Which occurrences an alarm recalls (possibly none: a false alarm). */
export function recalledOccurrences(
  alarm: Alarm,
  occurrences: readonly Occurrence[],
  graceSeconds: number,
): Occurrence[] {
  return occurrences.filter(
    (occurrence) =>
      alarm.end > occurrence.start &&
      alarm.start < occurrence.end + graceSeconds &&
      names(alarm, INCIDENT_WORKLOADS[occurrence.incident]),
  );
}

/** Feeds decoded records to the stages through the pod-name enricher, as the pipeline would (stages only read them). */
class StageSink implements RecordSink {
  private readonly enricher = new PodNameWorkloads();

  constructor(private readonly stages: readonly AnomalyStage[]) {}

  flow(record: Parameters<RecordSink['flow']>[0]): void {
    this.enricher.enrich(record);
    for (const stage of this.stages) stage.flow(record);
  }

  dns(record: Parameters<RecordSink['dns']>[0]): void {
    this.enricher.enrichEndpoints(record.client, record.server);
    for (const stage of this.stages) stage.dns(record);
  }

  http(record: Parameters<RecordSink['http']>[0]): void {
    this.enricher.enrichEndpoints(record.source, record.destination);
    if (httpRecordEnd(record) > 0) for (const stage of this.stages) stage.http(record);
  }

  audit(): void {}
  sockets(): void {}
  skipped(): void {}
}

function feed(decoder: LineDecoder, lines: readonly string[], sink: RecordSink): void {
  for (const line of lines) decoder.decode(line, sink);
}

/** Runs the demo for `days` simulated days through an AnomalyStage and scores its alarms against the incidents. */
export function evaluateOnDemo(overrides: Partial<EvaluationOptions> = {}): EvaluationReport {
  const options: EvaluationOptions = { ...DEFAULT_EVALUATION_OPTIONS, ...overrides };
  return evaluateVariantsOnDemo(options, { only: options.stage })['only']!;
}

/**
 * Runs the demo once and judges one stage per variant on the same records (`options.stage` is ignored): the
 * reports differ only by the detectors' settings.
 */
export function evaluateVariantsOnDemo<Name extends string>(
  overrides: Partial<EvaluationOptions>,
  variants: Readonly<Record<Name, Partial<AnomalyStageOptions>>>,
): Record<Name, EvaluationReport> {
  const options: EvaluationOptions = { ...DEFAULT_EVALUATION_OPTIONS, ...overrides };
  const cluster = new DemoCluster({ seed: options.seed, incidentPeriodSeconds: options.incidentPeriodSeconds });
  const names = Object.keys(variants) as Name[];
  const stages = names.map((name) => new AnomalyStage(variants[name], () => 0));
  const alarmsByStage = stages.map((stage) => {
    const alarms: Alarm[] = [];
    stage.detector.onAlarm((alarm) => alarms.push(alarm));
    return alarms;
  });
  const sink = new StageSink(stages);
  const flows = calicoFlowsSource.createDecoder();
  const dns = calicoDnsSource.createDecoder();
  const http = calicoL7Source.createDecoder();
  const end = options.startUnix + options.days * 86400;
  for (let start = options.startUnix; start < end; start += options.stepSeconds) {
    feed(flows, cluster.linesFor(start, options.stepSeconds), sink);
    feed(dns, cluster.dnsLinesFor(start, options.stepSeconds), sink);
    feed(http, cluster.httpLinesFor(start, options.stepSeconds), sink);
  }
  for (const stage of stages) stage.flush();
  const reports = {} as Record<Name, EvaluationReport>;
  names.forEach((name, index) => {
    reports[name] = judge(options, cluster, stages[index]!.windowsObserved, alarmsByStage[index]!);
  });
  return reports;
}

/** Scores one stage's alarms against the incident occurrences of the run. */
function judge(
  options: EvaluationOptions,
  cluster: DemoCluster,
  windows: number,
  alarms: readonly Alarm[],
): EvaluationReport {
  const end = options.startUnix + options.days * 86400;
  const judgedFrom = options.startUnix + options.warmUpSeconds;
  // Occurrences must start after the warm-up and end (with their grace) before the run does.
  const occurrences = incidentOccurrences(cluster, judgedFrom, end).filter(
    (occurrence) => occurrence.start >= judgedFrom && occurrence.end + options.graceSeconds <= end,
  );
  const judged = alarms.filter((alarm) => alarm.start >= judgedFrom);
  const falseAlarms: Alarm[] = [];
  for (const alarm of judged) {
    const recalled = recalledOccurrences(alarm, occurrences, options.graceSeconds);
    if (recalled.length === 0) falseAlarms.push(alarm);
    for (const occurrence of recalled) occurrence.recalledBy.push(alarm.kind);
  }
  const perIncident: EvaluationReport['perIncident'] = {};
  for (const incident of INCIDENTS) perIncident[incident.name] = { occurrences: 0, recalled: 0, kinds: [] };
  for (const occurrence of occurrences) {
    const counts = perIncident[occurrence.incident]!;
    counts.occurrences++;
    if (occurrence.recalledBy.length > 0) counts.recalled++;
    for (const kind of occurrence.recalledBy) if (!counts.kinds.includes(kind)) counts.kinds.push(kind);
  }
  const recalled = occurrences.filter((occurrence) => occurrence.recalledBy.length > 0).length;
  const judgedDays = (end - judgedFrom) / 86400;
  const countByKind = (list: readonly Alarm[]): Record<string, number> =>
    Object.fromEntries(ANOMALY_KINDS.map((kind) => [kind, list.filter((alarm) => alarm.kind === kind).length]));
  return {
    seed: options.seed,
    days: options.days,
    judgedDays,
    incidentPeriodSeconds: options.incidentPeriodSeconds,
    windows,
    occurrences: occurrences.length,
    recalled,
    recall: occurrences.length === 0 ? 0 : recalled / occurrences.length,
    perIncident,
    alarms: judged.length,
    falseAlarms: falseAlarms.length,
    falseAlarmsPerDay: falseAlarms.length / judgedDays,
    alarmsByKind: countByKind(judged),
    falseAlarmsByKind: countByKind(falseAlarms),
    falseAlarmsByDay: Array.from(
      { length: options.days },
      (_, day) => falseAlarms.filter((alarm) => Math.floor((alarm.start - options.startUnix) / 86400) === day).length,
    ),
    falseAlarmSamples: falseAlarms.slice(0, 20),
  };
}
