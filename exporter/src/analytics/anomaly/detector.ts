/**
 * The anomaly detector: fed one closed window of totals at a time (window-totals.ts), it scores each watched series
 * against its robust baseline (robust-baseline.ts), turns scores into alarms with hysteresis, and watches for new
 * edges. Pure: no clock, no I/O; time is the windows' own.
 *
 * Hysteresis keeps false alarms down: a series alarms after `enterWindows` consecutive windows scoring at least
 * `enterScore`, and the alarm ends after `exitWindows` consecutive windows below `exitScore`. One noisy window alarms
 * nobody; a flapping series alarms once.
 *
 * Learning while alarmed: values are learnt winsorized at `median + exitScore × scale`, so an incident barely moves
 * the baseline, while a lasting change of level is learnt step by step (the median climbs to it) and the alarm ends.
 *
 * Count series (flows, denied flows, bytes, retransmissions) learn only their active windows: the baseline is the
 * level of the series when it is there, so an edge a CronJob uses a few minutes in every fifteen is not an anomaly
 * each time it comes back, and a series that vanishes is not judged while it is gone. Ratios and means learn only
 * windows with enough volume (MIN_RATIO_VOLUME).
 *
 * Daily shape: once a series has filled its trailing history it gets a time-of-day profile (seasonal-profile.ts), and
 * once the profile has learnt the window's time of day (two days), a value's score is the smaller of its scores
 * against the trailing baseline and against the profile: a value alarms only when it is anomalous against both, so a
 * nightly job's peak stops alarming on its third night while an incident at another time of day still alarms. The
 * profile learns every value as it is (it has its own robustness, the median over days); the trailing baseline keeps
 * learning winsorized values.
 *
 * Drops (`traffic_drop`): scores only go up, and a vanishing series is not scored, except for one downward kind. An
 * edge whose flow rate both its trailing baseline (median of its active windows) and its time-of-day low (the flows it
 * had in nine windows of ten at this time on most recent days) put at MIN_DROP_FLOWS or more is judged in every
 * window, present or not: its score is DROP_SCORE_AT_ZERO × (1 - flows / expected), with the same hysteresis. An
 * intermittent edge (a CronJob's) has a low of zero and is never judged; a busy edge that stops at the busy time of
 * day is, until it has been gone for `idleWindows` windows and is forgotten.
 *
 * State is bounded: at most `maxSeriesPerKind` series per kind (least recently updated evicted first), series idle
 * for `idleWindows` windows dropped, and the new-edge memory bounded per source workload and in sources.
 */
import {
  ANOMALY_KINDS,
  BASELINE_KINDS,
  DROP_SCORE_AT_ZERO,
  MIN_DROP_FLOWS,
  MIN_RATIO_VOLUME,
  type AnomalyKind,
  type BaselineKind,
} from './kinds';
import { RobustBaseline, robustScore } from './robust-baseline';
import {
  DEFAULT_SEASONAL_PROFILE_OPTIONS,
  SeasonalProfile,
  validateSeasonalProfileOptions,
  type SeasonalProfileOptions,
} from './seasonal-profile';
import type { EdgeTotals, Entity, WindowTotals, WorkloadTotals } from './window-totals';

export interface AnomalyDetectorOptions {
  /** Values each series' baseline remembers (its active windows). */
  historyWindows: number;
  enterScore: number;
  enterWindows: number;
  exitScore: number;
  exitWindows: number;
  /** Most series tracked per kind. */
  maxSeriesPerKind: number;
  /** A series not updated for this many windows is forgotten. */
  idleWindows: number;
  /** A source workload's peers are learnt, not alarmed, for this long after the workload is first seen (seconds). */
  newEdgeLearningSeconds: number;
  /** A peer not talked to for this long is forgotten, and new again when it comes back (seconds). */
  newEdgeForgetSeconds: number;
  /** How long a new edge keeps its score, in windows. */
  newEdgeHoldWindows: number;
  maxNewEdgeSources: number;
  maxPeersPerSource: number;
  /** The time-of-day profile each long-lived series gets; null: the trailing baseline alone decides. */
  profile: SeasonalProfileOptions | null;
}

export const DEFAULT_ANOMALY_OPTIONS: Readonly<AnomalyDetectorOptions> = Object.freeze({
  historyWindows: 60,
  enterScore: 6,
  enterWindows: 2,
  exitScore: 3,
  exitWindows: 3,
  maxSeriesPerKind: 5000,
  idleWindows: 120,
  newEdgeLearningSeconds: 3600,
  newEdgeForgetSeconds: 4 * 3600,
  newEdgeHoldWindows: 10,
  maxNewEdgeSources: 10_000,
  maxPeersPerSource: 512,
  profile: DEFAULT_SEASONAL_PROFILE_OPTIONS,
});

/** The score a new edge shows while held: above any enter threshold, so it sorts with real alarms. */
export const NEW_EDGE_SCORE = 10;

/** An alarm: a series entering the alarmed state (or a new edge), at the start of the window that made it. */
export interface Alarm extends Entity {
  kind: AnomalyKind;
  /** Unix seconds: the window's start and end. */
  start: number;
  end: number;
  score: number;
}

/** One scored series at the latest window, for the exposition. */
export interface ScoredSeries extends Entity {
  kind: AnomalyKind;
  score: number;
  alarmed: boolean;
}

/** One alarm's hysteresis: the latest score, when it was given, and the runs of high and low scores. */
interface AlarmState {
  score: number;
  scoredAt: number;
  above: number;
  below: number;
  alarmed: boolean;
}

interface SeriesState extends AlarmState {
  readonly entity: Entity;
  readonly baseline: RobustBaseline;
  /** Allocated once the trailing history is full: short-lived series never pay for one. */
  profile: SeasonalProfile | undefined;
  /** `flow_rate` series with a profile: the drop alarm's state. */
  drop: AlarmState | undefined;
  lastWindow: number;
  /** The value of the latest window the series was present in, and its trailing median then. */
  value: number;
  trailingMedian: number;
}

interface SourcePeers {
  firstSeen: number;
  /** Peer key -> last seen (unix seconds); Map order is least recently seen first. */
  peers: Map<string, number>;
}

interface HeldNewEdge {
  entity: Entity;
  until: number;
}

export class AnomalyDetector {
  readonly options: AnomalyDetectorOptions;
  /** Per kind, series by key; Map order is least recently updated first (re-inserted on update). */
  private readonly series = new Map<BaselineKind, Map<string, SeriesState>>();
  private readonly sources = new Map<string, SourcePeers>();
  private readonly heldNewEdges = new Map<string, HeldNewEdge>();
  private readonly scratch: Float64Array;
  private windowIndex = 0;
  private latestWindowEnd = 0;
  /** Alarms raised per kind since start. */
  readonly alarmsByKind = new Map<AnomalyKind, number>(ANOMALY_KINDS.map((kind) => [kind, 0]));
  /** Series dropped per kind because the kind was at its maximum. */
  readonly evictedByKind = new Map<AnomalyKind, number>(ANOMALY_KINDS.map((kind) => [kind, 0]));
  private readonly listeners: ((alarm: Alarm) => void)[] = [];

  constructor(options: Partial<AnomalyDetectorOptions> = {}) {
    this.options = { ...DEFAULT_ANOMALY_OPTIONS, ...options };
    if (this.options.exitScore > this.options.enterScore)
      throw new Error('anomaly: exitScore must not exceed enterScore');
    if (this.options.profile !== null) validateSeasonalProfileOptions(this.options.profile);
    this.scratch = new Float64Array(this.options.historyWindows);
    for (const kind of Object.keys(BASELINE_KINDS) as BaselineKind[]) this.series.set(kind, new Map());
  }

  onAlarm(listener: (alarm: Alarm) => void): void {
    this.listeners.push(listener);
  }

  /** Series tracked per kind (new edges: peers remembered over all sources; drops: flow series with a profile). */
  trackedSeries(kind: AnomalyKind): number {
    if (kind === 'new_edge') {
      let peers = 0;
      for (const source of this.sources.values()) peers += source.peers.size;
      return peers;
    }
    if (kind === 'traffic_drop') return this.profiledSeries('flow_rate');
    return this.series.get(kind)?.size ?? 0;
  }

  /** Judges one closed window. Windows must come in time order. */
  observe(window: WindowTotals): void {
    this.windowIndex++;
    this.latestWindowEnd = window.end;
    for (const edge of window.edges.values()) this.observeEdge(window, edge);
    for (const workload of window.workloads.values()) this.observeWorkload(window, workload);
    this.judgeDrops(window);
    this.forgetIdle();
    for (const [key, held] of this.heldNewEdges) if (held.until <= this.windowIndex) this.heldNewEdges.delete(key);
  }

  /** Every series scored in the latest window with a positive score, and every held new edge. */
  currentScores(): ScoredSeries[] {
    const scored: ScoredSeries[] = [];
    for (const [kind, states] of this.series) {
      for (const state of states.values()) {
        if (state.scoredAt !== this.windowIndex || !(state.score > 0)) continue;
        scored.push({ kind, ...state.entity, score: state.score, alarmed: state.alarmed });
      }
    }
    for (const state of this.series.get('flow_rate')!.values()) {
      const drop = state.drop;
      if (drop === undefined || drop.scoredAt !== this.windowIndex || !(drop.score > 0)) continue;
      scored.push({ kind: 'traffic_drop', ...state.entity, score: drop.score, alarmed: drop.alarmed });
    }
    for (const held of this.heldNewEdges.values()) {
      scored.push({ kind: 'new_edge', ...held.entity, score: NEW_EDGE_SCORE, alarmed: true });
    }
    return scored;
  }

  /** The `n` highest current scores, highest first (ties by kind and entity, so the choice is stable). */
  topScores(n: number): ScoredSeries[] {
    return this.currentScores()
      .sort((a, b) => b.score - a.score || seriesOrder(a).localeCompare(seriesOrder(b)))
      .slice(0, n);
  }

  private observeEdge(window: WindowTotals, edge: EdgeTotals): void {
    const flows = Math.max(edge.flows[0], edge.flows[1]);
    const denied = Math.max(edge.denied[0], edge.denied[1]);
    const bytes = Math.max(edge.bytes[0], edge.bytes[1]);
    if (flows > 0) this.score(window, 'flow_rate', edge, flows);
    if (denied > 0) this.score(window, 'denied_flow_rate', edge, denied);
    if (bytes > 0) this.score(window, 'bytes', edge, bytes);
    if (edge.sourceIsWorkload && flows > 0) this.checkNewEdge(window, edge);
  }

  private observeWorkload(window: WindowTotals, totals: WorkloadTotals): void {
    const entity: Entity = {
      namespace: totals.namespace,
      workload: totals.workload,
      direction: '',
      peerNamespace: '',
      peerWorkload: '',
    };
    if (totals.dnsAnswers >= MIN_RATIO_VOLUME) {
      this.score(window, 'dns_error_ratio', entity, totals.dnsErrors / totals.dnsAnswers);
    }
    if (totals.httpRequests >= MIN_RATIO_VOLUME) {
      this.score(window, 'http_error_ratio', entity, totals.httpErrors / totals.httpRequests);
    }
    if (totals.httpTimed >= MIN_RATIO_VOLUME) {
      this.score(window, 'http_latency', entity, totals.httpDurationSum / totals.httpTimed);
    }
    if (totals.retransmissions > 0) this.score(window, 'retransmissions', entity, totals.retransmissions);
  }

  private score(window: WindowTotals, kind: BaselineKind, entity: Entity, value: number): void {
    const settings = BASELINE_KINDS[kind];
    const states = this.series.get(kind)!;
    const key = entityKey(entity);
    let state = states.get(key);
    if (state === undefined) {
      if (states.size >= this.options.maxSeriesPerKind) {
        // The least recently updated series goes: Map iteration starts with it.
        const oldest = states.keys().next().value;
        if (oldest !== undefined) states.delete(oldest);
        this.evictedByKind.set(kind, (this.evictedByKind.get(kind) ?? 0) + 1);
      }
      state = {
        entity: {
          namespace: entity.namespace,
          workload: entity.workload,
          direction: entity.direction,
          peerNamespace: entity.peerNamespace,
          peerWorkload: entity.peerWorkload,
        },
        baseline: new RobustBaseline(this.options.historyWindows),
        profile: undefined,
        drop: undefined,
        lastWindow: this.windowIndex,
        value: 0,
        trailingMedian: 0,
        score: 0,
        scoredAt: -1,
        above: 0,
        below: 0,
        alarmed: false,
      };
    } else {
      states.delete(key);
    }
    states.set(key, state);
    state.lastWindow = this.windowIndex;
    state.value = value;

    if (state.baseline.size < settings.minHistory) {
      state.baseline.add(value);
      return;
    }
    const estimate = state.baseline.estimate(settings.floors, this.scratch);
    state.trailingMedian = estimate.median;
    let score = robustScore(value, estimate);
    const profile = this.profileOf(kind, state, window);
    if (profile !== undefined) {
      const seasonal = profile.estimate(window.start, settings.floors);
      // Anomalous only against both: what is usual for this time of day is not news, however the last hour looked.
      if (seasonal !== undefined) score = Math.min(score, robustScore(value, seasonal));
      profile.add(window.start, value);
    }
    // Winsorized learning: an outlier teaches the baseline no more than a value at the exit threshold would.
    state.baseline.add(Math.min(value, estimate.median + this.options.exitScore * estimate.scale));
    this.hysteresis(window, kind, state.entity, state, score);
  }

  /**
   * Every `flow_rate` series with a profile, present in this window or not, against the flows its trailing median and
   * its time-of-day low both expect (the smaller of the two), where both are at least MIN_DROP_FLOWS.
   */
  private judgeDrops(window: WindowTotals): void {
    for (const state of this.series.get('flow_rate')!.values()) {
      const profile = state.profile;
      if (profile === undefined || !(state.trailingMedian >= MIN_DROP_FLOWS)) continue;
      const usualLow = profile.usualLow(window.start);
      if (usualLow === undefined) continue;
      const expected = Math.min(usualLow, state.trailingMedian);
      if (!(expected >= MIN_DROP_FLOWS)) continue;
      const flows = state.lastWindow === this.windowIndex ? state.value : 0;
      state.drop ??= { score: 0, scoredAt: -1, above: 0, below: 0, alarmed: false };
      const score = DROP_SCORE_AT_ZERO * Math.max(0, 1 - flows / expected);
      this.hysteresis(window, 'traffic_drop', state.entity, state.drop, score);
    }
  }

  /** The series' profile, allocated once its trailing history is full (it has lived long enough to be worth one). */
  private profileOf(kind: BaselineKind, state: SeriesState, window: WindowTotals): SeasonalProfile | undefined {
    const options = this.options.profile;
    if (state.profile !== undefined || options === null) return state.profile;
    if (state.baseline.size < this.options.historyWindows) return undefined;
    const bucketSeconds = 86_400 / options.buckets;
    const windowSeconds = window.end - window.start;
    // Only flow series keep lows: they are the ones judged for drops.
    state.profile = new SeasonalProfile(
      options,
      Math.max(1, Math.ceil(bucketSeconds / windowSeconds)),
      kind === 'flow_rate',
    );
    return state.profile;
  }

  /** Series per kind holding a time-of-day profile (for the bounds tests and the docs' memory figures). */
  profiledSeries(kind: BaselineKind): number {
    let profiled = 0;
    for (const state of this.series.get(kind)?.values() ?? []) if (state.profile !== undefined) profiled++;
    return profiled;
  }

  private hysteresis(window: WindowTotals, kind: AnomalyKind, entity: Entity, state: AlarmState, score: number): void {
    const { enterScore, enterWindows, exitScore, exitWindows } = this.options;
    // Consecutive means consecutive windows: windows without a score (the series absent, or too few requests) break
    // a run of high scores, and as many as exitWindows of them end an alarm.
    const unscored = state.scoredAt < 0 ? 0 : this.windowIndex - state.scoredAt - 1;
    if (unscored > 0) {
      state.above = 0;
      if (unscored >= exitWindows) {
        state.alarmed = false;
        state.below = 0;
      }
    }
    state.above = score >= enterScore ? state.above + 1 : 0;
    state.below = score < exitScore ? state.below + 1 : 0;
    if (!state.alarmed && state.above >= enterWindows) {
      state.alarmed = true;
      state.below = 0;
      this.raise({ kind, ...entity, start: window.start, end: window.end, score });
    } else if (state.alarmed && state.below >= exitWindows) {
      state.alarmed = false;
      state.above = 0;
    }
    state.score = score;
    state.scoredAt = this.windowIndex;
  }

  private checkNewEdge(window: WindowTotals, edge: EdgeTotals): void {
    const sourceKey = `${edge.namespace}/${edge.workload}`;
    const peerKey = `${edge.peerNamespace}/${edge.peerWorkload}`;
    let source = this.sources.get(sourceKey);
    if (source === undefined) {
      if (this.sources.size >= this.options.maxNewEdgeSources) {
        const oldest = this.sources.keys().next().value;
        if (oldest !== undefined) this.sources.delete(oldest);
        this.evictedByKind.set('new_edge', (this.evictedByKind.get('new_edge') ?? 0) + 1);
      }
      source = { firstSeen: window.start, peers: new Map() };
    } else {
      this.sources.delete(sourceKey);
    }
    this.sources.set(sourceKey, source);

    const lastSeen = source.peers.get(peerKey);
    const learning = window.start < source.firstSeen + this.options.newEdgeLearningSeconds;
    const forgotten = lastSeen !== undefined && window.start - lastSeen > this.options.newEdgeForgetSeconds;
    if ((lastSeen === undefined || forgotten) && !learning) {
      const entity: Entity = {
        namespace: edge.namespace,
        workload: edge.workload,
        direction: edge.direction,
        peerNamespace: edge.peerNamespace,
        peerWorkload: edge.peerWorkload,
      };
      this.heldNewEdges.set(`${sourceKey}>${peerKey}`, {
        entity,
        until: this.windowIndex + this.options.newEdgeHoldWindows,
      });
      this.raise({ kind: 'new_edge', ...entity, start: window.start, end: window.end, score: NEW_EDGE_SCORE });
    }
    if (lastSeen !== undefined) source.peers.delete(peerKey);
    else if (source.peers.size >= this.options.maxPeersPerSource) {
      const oldest = source.peers.keys().next().value;
      if (oldest !== undefined) source.peers.delete(oldest);
      this.evictedByKind.set('new_edge', (this.evictedByKind.get('new_edge') ?? 0) + 1);
    }
    source.peers.set(peerKey, window.start);
  }

  private forgetIdle(): void {
    const idleBefore = this.windowIndex - this.options.idleWindows;
    for (const states of this.series.values()) {
      // Least recently updated first: stop at the first series updated recently enough.
      for (const [key, state] of states) {
        if (state.lastWindow > idleBefore) break;
        states.delete(key);
      }
    }
    const forgetBefore = this.latestWindowEnd - this.options.newEdgeForgetSeconds;
    for (const [key, source] of this.sources) {
      const lastSeen = [...source.peers.values()].pop();
      if (lastSeen !== undefined && lastSeen > forgetBefore) break;
      // A source silent longer than the forget horizon starts over, learning period included.
      this.sources.delete(key);
    }
  }

  private raise(alarm: Alarm): void {
    this.alarmsByKind.set(alarm.kind, (this.alarmsByKind.get(alarm.kind) ?? 0) + 1);
    for (const listener of this.listeners) listener(alarm);
  }
}

export function entityKey(entity: Entity): string {
  return `${entity.namespace}/${entity.workload}>${entity.direction}>${entity.peerNamespace}/${entity.peerWorkload}`;
}

function seriesOrder(series: ScoredSeries): string {
  return `${series.kind} ${entityKey(series)}`;
}
