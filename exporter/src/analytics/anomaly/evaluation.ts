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
 *
 * Silences (`silences`): none of the demo's incidents silences a busy edge, so `traffic_drop` would go unmeasured. A
 * silence removes a chosen edge's flow records, in the harness only (the demo and its dashboards are untouched), for
 * part of every incident period from `silencesFromSeconds` on. They start late on purpose: `traffic_drop` judges only
 * where the time-of-day profile has learnt two days, and a silence at the same minutes of every day from the first on
 * is a daily pattern (a maintenance window) that the profile learns as the edge's usual low, as it should. A silence
 * occurrence is recalled by a `traffic_drop` alarm naming the silenced edge that starts during it or within the grace
 * period; such alarms are not false, every other alarm is judged as without silences.
 */
import { DemoCluster, INCIDENTS } from '../../demo/traffic';
import type { IncidentName } from '../../demo/topology';
import { calicoFlowsSource } from '../../sources/calico-flows';
import { calicoDnsSource } from '../../sources/calico-dns';
import { calicoL7Source } from '../../sources/envoy/sources';
import { PodNameWorkloads } from '../../pipeline/enrich';
import { httpRecordEnd } from '../../model/http';
import type { LineDecoder, RecordSink } from '../../sources/types';
import type { FlowRecord } from '../../model/flow';
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

/**
 * A busy edge gone quiet for part of every incident period: its flow records ending in (start, end] of an occurrence,
 * those the detector would count in the occurrence's windows (a record is counted in the window it ends), are removed
 * before the stage sees them. Only flow records: the edge's DNS and HTTP records stay, as a drop is judged on flows.
 */
export interface SilenceSpec {
  /**
   * `namespace/workload` of the flows' source and destination, as the pod-name enricher names them; an end outside
   * the cluster has an empty namespace (`/world`).
   */
  source: string;
  destination: string;
  /** Start and end as fractions of the incident period, as an incident's (INCIDENTS). */
  startFraction: number;
  endFraction: number;
}

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
  /** Busy edges silenced in the harness; none by default. */
  silences: readonly SilenceSpec[];
  /** Seconds after `startUnix` before which nothing is silenced: only occurrences starting from then on are. */
  silencesFromSeconds: number;
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
  silences: [],
  // Two days after the warm-up: a series gets its profile once its trailing history is full (60 windows, the first
  // hour), and a drop is judged once the window's bucket and both neighbours have learnt two days
  // (DEFAULT_SEASONAL_PROFILE_OPTIONS.minDays), so from 2 days and 1.5 hours on every time of day can be judged.
  silencesFromSeconds: 2 * 86400 + 2 * 3600,
});

/**
 * The silences the bench measures `traffic_drop` on: the demo's four busiest edges (30 flows a minute or more all
 * day, the night included), each quiet 18 minutes of every 6-hour incident period, away from the incidents and their
 * grace (an alarm on shop/frontend during frontend-to-ledger-db would recall that incident instead): the internet into
 * ingress-nginx (an ingress edge) at 00:18, frontend to search across a bucket boundary at 01:48, frontend to the
 * internet at 05:12 and frontend to recommendations at 05:36 (and 6, 12, 18 hours later).
 */
export const DEMO_SILENCES: readonly SilenceSpec[] = Object.freeze([
  { source: '/world', destination: 'ingress/ingress-nginx-controller', startFraction: 3 / 60, endFraction: 6 / 60 },
  { source: 'shop/frontend', destination: 'shop/search', startFraction: 18 / 60, endFraction: 21 / 60 },
  { source: 'shop/frontend', destination: '/world', startFraction: 52 / 60, endFraction: 55 / 60 },
  { source: 'shop/frontend', destination: 'shop/recommendations', startFraction: 56 / 60, endFraction: 59 / 60 },
]);

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
  silences: SilenceReport;
}

/** How `traffic_drop` did on the harness's silences (all zero without silences). */
export interface SilenceReport {
  /** Silence occurrences judged: starting from `silencesFromSeconds` on and ending, with the grace, in the run. */
  occurrences: number;
  recalled: number;
  recall: number;
  /** Per silenced edge (`source>destination`): occurrences and how many were recalled. */
  perEdge: Record<string, { occurrences: number; recalled: number }>;
  /**
   * Per recalled occurrence, in time order: detection windows from the silence's start to the end of the window
   * whose `traffic_drop` alarm recalled it (the earliest such alarm). Two (`enterWindows`) is the least possible.
   */
  delayWindows: number[];
  /** The occurrences no alarm recalled (`source>destination` and Unix seconds), for whoever tunes the detector. */
  missed: { edge: string; start: number; end: number }[];
  /** `traffic_drop` alarms recalling a silence (not counted as false alarms). */
  alarms: number;
  /** Flow records removed. */
  removedRecords: number;
}

export interface SilenceOccurrence {
  silence: SilenceSpec;
  start: number;
  end: number;
  /** Unix seconds at which each recalling alarm's window ends. */
  recalledAt: number[];
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

/** Checks the silences, naming the field and the fix. */
export function validateSilences(silences: readonly SilenceSpec[], silencesFromSeconds: number): void {
  if (!(Number.isFinite(silencesFromSeconds) && silencesFromSeconds >= 0)) {
    throw new Error(`evaluation: silencesFromSeconds must be a number of seconds >= 0, got ${silencesFromSeconds}`);
  }
  silences.forEach((silence, index) => {
    for (const end of ['source', 'destination'] as const) {
      if (!silence[end].includes('/')) {
        throw new Error(
          `evaluation: silences[${index}].${end} must be namespace/workload (/world outside the cluster), ` +
            `got '${silence[end]}'`,
        );
      }
    }
    const { startFraction, endFraction } = silence;
    if (!(startFraction >= 0 && startFraction < endFraction && endFraction <= 1)) {
      throw new Error(
        `evaluation: silences[${index}] needs 0 <= startFraction < endFraction <= 1, ` +
          `got ${startFraction} and ${endFraction}`,
      );
    }
  });
}

export function silenceEdgeName(silence: SilenceSpec): string {
  return `${silence.source}>${silence.destination}`;
}

/** The silence occurrences overlapping [from, to), starting no earlier than `silencedFrom`. */
export function silenceOccurrences(
  silences: readonly SilenceSpec[],
  period: number,
  silencedFrom: number,
  from: number,
  to: number,
): SilenceOccurrence[] {
  const occurrences: SilenceOccurrence[] = [];
  for (let cycle = Math.floor(from / period) - 1; cycle * period < to; cycle++) {
    for (const silence of silences) {
      const start = cycle * period + silence.startFraction * period;
      const end = cycle * period + silence.endFraction * period;
      if (start >= silencedFrom && end > from && start < to) occurrences.push({ silence, start, end, recalledAt: [] });
    }
  }
  return occurrences.sort((a, b) => a.start - b.start);
}

/** An alarm's edge as source and destination: its workload is an egress edge's source, an ingress one's destination. */
function alarmEdge(alarm: Alarm): { source: string; destination: string } {
  const own = `${alarm.namespace}/${alarm.workload}`;
  const peer = `${alarm.peerNamespace}/${alarm.peerWorkload}`;
  return alarm.direction === 'ingress' ? { source: peer, destination: own } : { source: own, destination: peer };
}

/** Which silence occurrences an alarm recalls: only `traffic_drop` on the silenced edge, during it or in the grace. */
export function recalledSilences(
  alarm: Alarm,
  occurrences: readonly SilenceOccurrence[],
  graceSeconds: number,
): SilenceOccurrence[] {
  if (alarm.kind !== 'traffic_drop' || alarm.peerWorkload === '') return [];
  const { source, destination } = alarmEdge(alarm);
  return occurrences.filter(
    (occurrence) =>
      alarm.end > occurrence.start &&
      alarm.start < occurrence.end + graceSeconds &&
      occurrence.silence.source === source &&
      occurrence.silence.destination === destination,
  );
}

/** Decides which flow records a silence removes: those whose window starts within one of its occurrences. */
class Silencer {
  removed = 0;
  /** The silenced edges (`source>destination`) that had records removed. */
  readonly removedEdges = new Set<string>();
  private readonly bySourceAndDestination: Map<string, SilenceSpec[]>;

  constructor(
    silences: readonly SilenceSpec[],
    private readonly period: number,
    private readonly silencedFrom: number,
  ) {
    this.bySourceAndDestination = new Map();
    for (const silence of silences) {
      const key = silenceEdgeName(silence);
      this.bySourceAndDestination.set(key, [...(this.bySourceAndDestination.get(key) ?? []), silence]);
    }
  }

  removes(record: FlowRecord): boolean {
    if (this.bySourceAndDestination.size === 0) return false;
    const { source, destination } = record;
    const key = `${source.namespace}/${source.workload}>${destination.namespace}/${destination.workload}`;
    const silences = this.bySourceAndDestination.get(key);
    if (silences === undefined) return false;
    // A record ending exactly on a boundary belongs to the window it ends (as in window-totals.ts): take its phase
    // within (0, period], so a record ending at the silence's start is still counted.
    const cycleStart = (Math.ceil(record.endTime / this.period) - 1) * this.period;
    const phase = record.endTime - cycleStart;
    const silenced = silences.some(
      (silence) =>
        cycleStart + silence.startFraction * this.period >= this.silencedFrom &&
        phase > silence.startFraction * this.period &&
        phase <= silence.endFraction * this.period,
    );
    if (silenced) {
      this.removed++;
      this.removedEdges.add(key);
    }
    return silenced;
  }
}

/** Feeds decoded records to the stages through the pod-name enricher, as the pipeline would (stages only read them). */
class StageSink implements RecordSink {
  private readonly enricher = new PodNameWorkloads();

  constructor(
    private readonly stages: readonly AnomalyStage[],
    private readonly silencer: Silencer,
  ) {}

  flow(record: Parameters<RecordSink['flow']>[0]): void {
    this.enricher.enrich(record);
    if (this.silencer.removes(record)) return;
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
  validateSilences(options.silences, options.silencesFromSeconds);
  const cluster = new DemoCluster({ seed: options.seed, incidentPeriodSeconds: options.incidentPeriodSeconds });
  const names = Object.keys(variants) as Name[];
  const stages = names.map((name) => new AnomalyStage(variants[name], () => 0));
  const alarmsByStage = stages.map((stage) => {
    const alarms: Alarm[] = [];
    stage.detector.onAlarm((alarm) => alarms.push(alarm));
    return alarms;
  });
  const silencer = new Silencer(
    options.silences,
    options.incidentPeriodSeconds,
    options.startUnix + options.silencesFromSeconds,
  );
  const sink = new StageSink(stages, silencer);
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
  // A silence that removed nothing names an edge the demo does not have: a typo would otherwise read as a miss.
  for (const silence of options.silences) {
    if (!silencer.removedEdges.has(silenceEdgeName(silence))) {
      throw new Error(
        `evaluation: silence ${silenceEdgeName(silence)} removed no flow records: the demo has no such edge in the ` +
          `run after silencesFromSeconds (source and destination are namespace/workload as the pod-name enricher ` +
          `names them, e.g. shop/frontend and shop/recommendations, /world outside the cluster)`,
      );
    }
  }
  const reports = {} as Record<Name, EvaluationReport>;
  names.forEach((name, index) => {
    const stage = stages[index]!;
    reports[name] = judge(options, cluster, stage, alarmsByStage[index]!, silencer.removed);
  });
  return reports;
}

/** Scores one stage's alarms against the incident occurrences of the run. */
function judge(
  options: EvaluationOptions,
  cluster: DemoCluster,
  stage: AnomalyStage,
  alarms: readonly Alarm[],
  removedRecords: number,
): EvaluationReport {
  const end = options.startUnix + options.days * 86400;
  const judgedFrom = options.startUnix + options.warmUpSeconds;
  // Occurrences must start after the warm-up and end (with their grace) before the run does.
  const occurrences = incidentOccurrences(cluster, judgedFrom, end).filter(
    (occurrence) => occurrence.start >= judgedFrom && occurrence.end + options.graceSeconds <= end,
  );
  const silences = silenceOccurrences(
    options.silences,
    options.incidentPeriodSeconds,
    options.startUnix + options.silencesFromSeconds,
    judgedFrom,
    end,
  ).filter((occurrence) => occurrence.start >= judgedFrom && occurrence.end + options.graceSeconds <= end);
  const judged = alarms.filter((alarm) => alarm.start >= judgedFrom);
  const falseAlarms: Alarm[] = [];
  let silenceAlarms = 0;
  for (const alarm of judged) {
    const recalled = recalledOccurrences(alarm, occurrences, options.graceSeconds);
    const silenced = recalledSilences(alarm, silences, options.graceSeconds);
    if (recalled.length === 0 && silenced.length === 0) falseAlarms.push(alarm);
    if (silenced.length > 0) silenceAlarms++;
    for (const occurrence of recalled) occurrence.recalledBy.push(alarm.kind);
    for (const occurrence of silenced) occurrence.recalledAt.push(alarm.end);
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
    windows: stage.windowsObserved,
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
    silences: silenceReport(silences, silenceAlarms, removedRecords, stage.options.windowSeconds),
  };
}

function silenceReport(
  occurrences: readonly SilenceOccurrence[],
  alarms: number,
  removedRecords: number,
  windowSeconds: number,
): SilenceReport {
  const perEdge: SilenceReport['perEdge'] = {};
  const delayWindows: number[] = [];
  const missed: SilenceReport['missed'] = [];
  for (const occurrence of occurrences) {
    const edge = silenceEdgeName(occurrence.silence);
    const counts = (perEdge[edge] ??= { occurrences: 0, recalled: 0 });
    counts.occurrences++;
    if (occurrence.recalledAt.length === 0) {
      missed.push({ edge, start: occurrence.start, end: occurrence.end });
      continue;
    }
    counts.recalled++;
    delayWindows.push((Math.min(...occurrence.recalledAt) - occurrence.start) / windowSeconds);
  }
  const recalled = delayWindows.length;
  return {
    occurrences: occurrences.length,
    recalled,
    recall: occurrences.length === 0 ? 0 : recalled / occurrences.length,
    perEdge,
    delayWindows,
    missed,
    alarms,
    removedRecords,
  };
}
