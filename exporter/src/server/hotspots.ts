/**
 * `GET /api/v1/hotspots?limit=N&namespace=NS&by=latency,errors,denied,retransmissions,dns`: the top workloads and
 * edges of the latest complete anomaly window per category, with the numbers behind each rank and a dashboard link
 * path (analytics/hotspots.ts ranks). Callers authenticate exactly as for `/api/v1/recommendations` (the `api`
 * section: a bearer token, an allowed client certificate, or either). A bad parameter is a 400 naming it; with the
 * anomaly stage off (`anomaly: {enabled: false}`) there are no window totals, a 503.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebhookAuth } from '../sources/audit/webhook';
import { dataApiGuard } from './data-api';
import { parseHotspotQuery, rankHotspots } from '../analytics/hotspots';
import type { WindowTotals } from '../analytics/anomaly/window-totals';

export const HOTSPOTS_PATH = '/api/v1/hotspots';

export interface HotspotsOptions {
  auth: WebhookAuth;
  /** The latest complete window's totals; undefined before one closes. Null when the anomaly stage is off. */
  latestWindow: (() => WindowTotals | undefined) | null;
}

export type HotspotsHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

export function createHotspotsHandler(options: HotspotsOptions): HotspotsHandler {
  const admitted = dataApiGuard(options.auth);
  return async (request, response) => {
    if (!(await admitted(request, response))) return;
    const query = parseHotspotQuery(new URL(request.url ?? '/', 'http://exporter').searchParams);
    if ('error' in query) {
      response.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`${query.error}\n`);
      return;
    }
    if (options.latestWindow === null) {
      response.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('hotspots rank the anomaly windows: enable the anomaly stage (anomaly: {enabled: true})\n');
      return;
    }
    const body = `${JSON.stringify(rankHotspots(options.latestWindow(), query))}\n`;
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(request.method === 'HEAD' ? undefined : body);
  };
}
