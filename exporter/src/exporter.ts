/**
 * Assembles the pipeline from a configuration: the one place that knows every stage. `serve` and
 * `replay` both build it here, so offline analysis runs exactly what production runs.
 */
import { FlowAggregator } from './metrics/flow-aggregator';
import { MetricsRegistry, SelfMetrics } from './metrics/registry';
import { Pipeline } from './pipeline/pipeline';
import { PodNameWorkloads, type Enricher } from './pipeline/enrich';
import { ClusterViewEnricher } from './cluster/enricher';
import { StaticClusterView } from './cluster/static-view';
import { createSourceRuntimes, type RunMode, type SourceRuntime } from './pipeline/source-runner';
import { CheckpointStore } from './ingest/checkpoint';
import type { FlowlensConfig } from './config';
import type { Logger } from './log';
import { VERSION } from './version';

export interface Exporter {
  readonly registry: MetricsRegistry;
  readonly pipeline: Pipeline;
  readonly sources: SourceRuntime[];
  readonly checkpoints: CheckpointStore | undefined;
}

export const wallClockSeconds = (): number => Date.now() / 1000;

export async function buildExporter(
  config: FlowlensConfig,
  mode: RunMode,
  logger: Logger,
  clock: () => number = wallClockSeconds,
): Promise<Exporter> {
  const aggregator = new FlowAggregator(config.families);
  const self = new SelfMetrics();
  const registry = new MetricsRegistry(aggregator, self, clock);
  // The cluster view fills what it knows first; pod-name rules fill the rest.
  const enrichers: Enricher[] = [];
  if (config.resourcesFile !== undefined) {
    enrichers.push(new ClusterViewEnricher(StaticClusterView.fromFile(config.resourcesFile)));
  }
  enrichers.push(new PodNameWorkloads());
  const pipeline = new Pipeline(enrichers, aggregator, self, logger, clock, new Set(config.excludeNamespaces));
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
  });
  return { registry, pipeline, sources, checkpoints };
}
