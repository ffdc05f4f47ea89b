/**
 * An exporter server whose only data API is `/api/v1/recommendations`, behind a bearer token, on a free loopback port:
 * what the recommendation handler's tests and the bench ask, scrapes and API calls alike, over real HTTP. Its /metrics
 * has the self metrics the handler counts in.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonLogger, type Logger } from '../log';
import { FlowAggregator } from '../metrics/flow-aggregator';
import { MetricsRegistry, SelfMetrics } from '../metrics/registry';
import { createExporterServer, type ExporterServer } from '../server/http';
import { createRecommendationsHandler, type RecommendationsOptions } from '../server/recommendations';

export interface RecommendationsServer {
  /** `http://127.0.0.1:PORT`. */
  base: string;
  server: ExporterServer;
  /** Stops the server and removes the token file (the caller closes its runner). */
  close: () => Promise<void>;
}

export async function serveRecommendations(
  options: Omit<RecommendationsOptions, 'auth' | 'logger' | 'self'> & { token: string; logger?: Logger },
): Promise<RecommendationsServer> {
  const { token, logger = new JsonLogger('error'), ...handler } = options;
  const directory = mkdtempSync(join(tmpdir(), 'flowlens-recommendations-'));
  const tokenFile = join(directory, 'token');
  writeFileSync(tokenFile, `${token}\n`);
  const self = new SelfMetrics();
  const server = createExporterServer({
    // /metrics shows the self metrics, flowlens_recommendations_total among them.
    registry: new MetricsRegistry(new FlowAggregator(), self, () => 0),
    logger,
    notReadyReason: () => undefined,
    recommendations: createRecommendationsHandler({
      ...handler,
      auth: { kind: 'bearer-token', tokenFile },
      logger,
      self,
    }),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
