/**
 * Assembles the pipeline from a configuration: the one place that knows every stage. `serve` and
 * `replay` both build it here, so offline analysis runs exactly what production runs.
 */
import { AuditAggregator, DnsAggregator, FlowAggregator, HttpAggregator } from './metrics/flow-aggregator';
import { MetricsRegistry, SelfMetrics } from './metrics/registry';
import { SocketAggregator } from './metrics/socket-aggregator';
import { AnomalyStage } from './analytics/anomaly/stage';
import { Pipeline } from './pipeline/pipeline';
import { PodNameWorkloads, type Enricher } from './pipeline/enrich';
import { ClusterViewEnricher } from './cluster/enricher';
import { StaticClusterView } from './cluster/static-view';
import { readResourcesFile } from './cluster/resources-file';
import { PolicyAttribution, type PolicyContext } from './policy/attribution';
import { buildPolicySnapshot } from './policy/snapshot';
import { PodDirectory } from './policy/pod-directory';
import { UnifiedPolicyEngine } from './policy/engine';
import type { LiveClusterView } from './cluster/live-view';
import { ObservedFlows } from './policy/recommend/observed';
import { recommendClusterFromDocuments } from './policy/recommend/cluster';
import type { RecommendCluster } from './policy/recommend/model';
import { enforcedManifests, type EnforcedPolicies } from './policy/recommend/diff';
import {
  createRecommendationsHandler,
  type PrometheusFlows,
  type RecommendationsHandler,
} from './server/recommendations';
import { fetchPrometheusFlowsAnswer } from './policy/recommend/prometheus-client';
import { createHotspotsHandler, type HotspotsHandler } from './server/hotspots';
import { cachePrometheusFlows } from './server/prometheus-flows-cache';
import { RecommendationRunner } from './server/recommendation-runner';
import { createSourceRuntimes, type RunMode, type SourceRuntime } from './pipeline/source-runner';
import { CheckpointStore } from './ingest/checkpoint';
import type { ApiPrometheusConfig, AuditWebhookConfig, FlowlensConfig } from './config';
import type { Logger } from './log';
import { VERSION } from './version';
import { AuditDecoder } from './sources/audit/decode';
import {
  createAuditWebhookHandler,
  type AuditWebhookHandler,
  type BearerTokenAuth,
  type ClientCertificateAuth,
  type WebhookAuth,
} from './sources/audit/webhook';

export interface Exporter {
  readonly registry: MetricsRegistry;
  readonly pipeline: Pipeline;
  readonly sources: SourceRuntime[];
  readonly checkpoints: CheckpointStore | undefined;
  /** The live cluster view (`--kubernetes`), started; stop it on shutdown. */
  readonly liveView: LiveClusterView | undefined;
  /** The `POST /audit/webhook` handler, when `audit.webhook` is configured. */
  readonly auditWebhook: AuditWebhookHandler | undefined;
  /** The flows seen so far, for policy recommendations, when asked for (see ExporterExtras) or `api` is configured. */
  readonly observedFlows: ObservedFlows | undefined;
  /** The `GET /api/v1/recommendations` handler, when `api` is configured. */
  readonly recommendations: RecommendationsHandler | undefined;
  /** Its worker thread (started by the first request); close it on shutdown. */
  readonly recommendationRunner: RecommendationRunner | undefined;
  /** The `GET /api/v1/hotspots` handler, when `api` is configured. */
  readonly hotspots: HotspotsHandler | undefined;
}

export interface ExporterExtras {
  /** Keep the distinct flows seen in this (bounded) set: `policy recommend` and `/api/v1/recommendations`. */
  observedFlows?: ObservedFlows | undefined;
}

/** The `source` label of the audit webhook's self-metrics. */
export const AUDIT_WEBHOOK_SOURCE = 'audit-webhook';

/**
 * The audit webhook: each accepted EventList's events go through one AuditDecoder (so a request is counted once
 * across batches) into the pipeline as a source of its own; a bad event is counted by reason, the others still count.
 */
function auditWebhookHandler(config: AuditWebhookConfig, pipeline: Pipeline, logger: Logger): AuditWebhookHandler {
  const tap = pipeline.tap(AUDIT_WEBHOOK_SOURCE);
  const decoder = new AuditDecoder();
  return createAuditWebhookHandler({
    auth: webhookAuth(config),
    onEvents: (events) =>
      pipeline.inBatch(() => decoder.decodeEvents(events, tap, (error) => tap.rejected(error, '/audit/webhook', 0))),
    // Bodies refused for their contents (400, 413) are logged, rate-limited, by `tap.rejected` below.
    onRejected: (status, reason) => {
      if (status !== 400 && status !== 413) logger.log('warn', 'audit webhook request rejected', { status, reason });
    },
    // A whole body refused counts once, by reason, like a bad line of a file: nothing of it was decoded.
    onBadInput: (error) => tap.rejected(error, '/audit/webhook', 0),
  });
}

/** The configured methods; with both, either admits a caller (configuration guarantees at least one). */
export function webhookAuth(config: AuditWebhookConfig): WebhookAuth {
  const methods: (BearerTokenAuth | ClientCertificateAuth)[] = [];
  if (config.tokenFile !== undefined) methods.push({ kind: 'bearer-token', tokenFile: config.tokenFile });
  if (config.clientCertificate !== undefined) methods.push({ kind: 'client-certificate', ...config.clientCertificate });
  return methods.length === 1 ? methods[0]! : { kind: 'any-of', methods };
}

export const wallClockSeconds = (): number => Date.now() / 1000;

export async function buildExporter(
  config: FlowlensConfig,
  mode: RunMode,
  logger: Logger,
  clock: () => number = wallClockSeconds,
  extras: ExporterExtras = {},
): Promise<Exporter> {
  const aggregator = new FlowAggregator(config.families);
  const self = new SelfMetrics();
  const dnsAggregator = new DnsAggregator(config.families);
  const httpAggregator = new HttpAggregator(config.families);
  const auditAggregator = new AuditAggregator(config.families);
  const socketAggregator = new SocketAggregator(config.families);
  const anomaly =
    config.anomaly === undefined
      ? undefined
      : new AnomalyStage({ topN: config.anomaly.topN, windowSeconds: config.anomaly.windowSeconds }, clock);
  const registry = new MetricsRegistry(
    aggregator,
    self,
    clock,
    dnsAggregator,
    httpAggregator,
    auditAggregator,
    socketAggregator,
    anomaly,
  );
  // The cluster views fill what they know first, the live one before a file; pod-name rules fill the rest.
  const enrichers: Enricher[] = [];
  let liveView: LiveClusterView | undefined;
  if (config.kubernetes) {
    // Loaded only when asked for: the client library is large.
    const { LiveClusterView } = await import('./cluster/live-view');
    liveView = LiveClusterView.fromDefaultKubeconfig({ logger, watchdogMs: config.kubernetesWatchdogSeconds * 1000 });
    enrichers.push(new ClusterViewEnricher(liveView));
  }
  let policyContext: PolicyContext | undefined;
  let staticCluster: RecommendCluster | undefined;
  let staticEnforced: EnforcedPolicies | undefined;
  if (config.resourcesFile !== undefined) {
    const documents = readResourcesFile(config.resourcesFile);
    if (config.api !== undefined) staticCluster = recommendClusterFromDocuments(documents).cluster;
    enrichers.push(new ClusterViewEnricher(StaticClusterView.fromDocuments(documents)));
    const snapshot = buildPolicySnapshot(documents.map((document) => document.object));
    for (const problem of snapshot.problems) logger.log('warn', 'policy object skipped', { error: problem });
    if (config.api !== undefined) {
      staticEnforced = {
        snapshot: snapshot.engine,
        manifests: enforcedManifests(documents.map((document) => document.object)),
      };
    }
    const directory = new PodDirectory(snapshot.pods);
    policyContext = {
      engine: new UnifiedPolicyEngine(snapshot.engine),
      podFor: (endpoint) => directory.podFor(endpoint),
    };
  }
  enrichers.push(new PodNameWorkloads());
  // Policy comes after workloads, so it sees each endpoint's pod; without a view it still reads staged traces.
  // With --kubernetes the live context (once listed) wins over a --resources file, which replay keeps using.
  const attribution = new PolicyAttribution(() => liveView?.livePolicyContext() ?? policyContext);
  enrichers.push(attribution);
  const pipeline = new Pipeline(
    enrichers,
    aggregator,
    self,
    logger,
    clock,
    new Set(config.excludeNamespaces),
    dnsAggregator,
    httpAggregator,
    auditAggregator,
    socketAggregator,
    anomaly,
  );
  // ObservabilityProfiles, live: records of a type a profile turns off for a workload are dropped, and the pods of
  // workloads a profile aggregates by pod are kept in the per-pod families.
  if (liveView !== undefined) pipeline.applyProfiles(liveView.profiles);
  const observedFlows =
    extras.observedFlows ?? (config.api === undefined ? undefined : new ObservedFlows(config.api.maxObservedFlows));
  if (observedFlows !== undefined) pipeline.observeFlows((record) => observedFlows.observe(record));
  const checkpoints = config.stateDir === undefined ? undefined : await CheckpointStore.open(config.stateDir);
  const sources = createSourceRuntimes(config.sources, pipeline, mode, checkpoints);

  self.buildInfo.set([VERSION, process.versions.node], 1);
  self.processStart.set([], Math.round(Date.now() / 1000 - process.uptime()));
  registry.onScrape((metrics) => {
    pipeline.refreshSourceMetrics();
    for (const source of sources) {
      const unread = source.unreadBytes();
      if (unread !== undefined) metrics.sourceUnread.set([source.spec.id], unread);
    }
    const cpu = process.cpuUsage();
    metrics.processCpu.set([], (cpu.user + cpu.system) / 1e6);
    metrics.processMemory.set([], process.memoryUsage.rss());
    metrics.heapUsed.set([], process.memoryUsage().heapUsed);
    metrics.policyMismatch.set([], attribution.counters.mismatches);
    metrics.policyAttributed.set([], attribution.counters.attributed);
    if (liveView !== undefined) {
      metrics.k8sCacheSynced.clear();
      metrics.k8sObjects.clear();
      for (const stats of liveView.stats()) {
        metrics.k8sCacheSynced.set([stats.resource], stats.synced ? 1 : 0);
        metrics.k8sObjects.set([stats.resource], stats.objects);
        for (const [reason, count] of stats.errors) metrics.k8sWatchErrors.set([stats.resource, reason], count);
      }
      for (const { kind, namespace, change, count } of liveView.policyChanges()) {
        metrics.policyChanges.set([kind, namespace, change], count);
      }
    }
  });
  liveView?.start();
  const auditWebhook =
    config.auditWebhook === undefined ? undefined : auditWebhookHandler(config.auditWebhook, pipeline, logger);
  const recommendationRunner =
    config.api === undefined || observedFlows === undefined
      ? undefined
      : new RecommendationRunner({ timeoutMs: config.api.recommendationTimeoutSeconds * 1000 });
  const recommendations =
    config.api === undefined || observedFlows === undefined || recommendationRunner === undefined
      ? undefined
      : createRecommendationsHandler({
          auth: webhookAuth(config.api),
          observed: observedFlows,
          // The live view, once listed, over the file, as for policy attribution.
          cluster: () => liveView?.recommendCluster() ?? staticCluster,
          enforced: () => liveView?.enforcedPolicies() ?? staticEnforced,
          prometheus: prometheusFlows(config.api.prometheus, config.api.maxObservedFlows),
          runner: recommendationRunner,
          logger,
          self,
        });
  const hotspots =
    config.api === undefined
      ? undefined
      : createHotspotsHandler({
          auth: webhookAuth(config.api),
          latestWindow: anomaly === undefined ? null : () => anomaly.latestWindow,
        });
  return {
    registry,
    pipeline,
    sources,
    checkpoints,
    liveView,
    auditWebhook,
    observedFlows,
    recommendations,
    recommendationRunner,
    hotspots,
  };
}

/** Prometheus' answer for the cluster's observed flows from `api.prometheus`, bounded by the exporter's own budget. */
function prometheusFlows(config: ApiPrometheusConfig | undefined, budget: number): PrometheusFlows | undefined {
  if (config === undefined) return undefined;
  const fetch: PrometheusFlows = (query) =>
    fetchPrometheusFlowsAnswer(config, { range: config.range, namespace: query.namespace }, budget);
  return config.cacheSeconds > 0 ? cachePrometheusFlows(fetch, { ttlSeconds: config.cacheSeconds }) : fetch;
}
