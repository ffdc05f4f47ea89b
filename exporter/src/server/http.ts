/**
 * The exporter's HTTP server: /metrics (text format or OpenMetrics by content negotiation, gzip when
 * asked), /healthz (the process serves), /readyz (the sources have started), `POST /audit/webhook` when the
 * audit webhook is configured, `GET /api/v1/recommendations` and `GET /api/v1/hotspots` (authenticated) when `api` is configured, and the
 * capture file API (`/api/v1/captures/...`, HTTPS only) when the capture controller runs. Everything else is 404.
 * With TLS material it serves HTTPS, asking clients for a
 * certificate when a client CA is given but letting those without one in (the webhook checks per request).
 */
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { CONTENT_TYPES, negotiateFormat } from '../metrics/exposition';
import type { MetricsRegistry } from '../metrics/registry';
import type { Logger } from '../log';
import type { AuditWebhookHandler } from '../sources/audit/webhook';
import { secureContextOptions, type TlsMaterial } from './tls';
import { RECOMMENDATIONS_PATH, type RecommendationsHandler } from './recommendations';
import { HOTSPOTS_PATH, type HotspotsHandler } from './hotspots';

const gzipAsync = promisify(gzip);

export const AUDIT_WEBHOOK_PATH = '/audit/webhook';

export interface HttpServerOptions {
  registry: MetricsRegistry;
  logger: Logger;
  /** Why the exporter is not ready, or undefined when it is. */
  notReadyReason: () => string | undefined;
  /** Serves `/audit/webhook` (it answers every method itself: 405 for all but POST). */
  auditWebhook?: AuditWebhookHandler | undefined;
  /** Serves `/api/v1/recommendations` (it authenticates and answers every method itself). */
  recommendations?: RecommendationsHandler | undefined;
  /** Serves `/api/v1/hotspots` (it authenticates and answers every method itself). */
  hotspots?: HotspotsHandler | undefined;
  /** Serve HTTPS with this material (see `server/tls.ts`). */
  tls?: TlsMaterial | undefined;
  /** Serves `/api/v1/captures/...` (the capture file API; it authenticates and authorizes each request itself). */
  captureFiles?: ((request: IncomingMessage, response: ServerResponse) => Promise<void>) | undefined;
}

export const CAPTURE_FILES_PREFIX = '/api/v1/captures/';

/** The HTTP or the HTTPS server: the same listener, timeouts and lifecycle. */
export type ExporterServer = ReturnType<typeof createServer> | ReturnType<typeof createHttpsServer>;

export function createExporterServer(options: HttpServerOptions): ExporterServer {
  const listener: RequestListener = (request, response) => {
    handle(request, response, options).catch((error: unknown) => {
      options.logger.log('error', 'request failed', { path: request.url, error: String(error) });
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end('internal error\n');
    });
  };
  const server =
    options.tls === undefined
      ? createServer(listener)
      : createHttpsServer(
          {
            ...secureContextOptions(options.tls),
            // Ask for a certificate only when one can be verified; never refuse the handshake for lacking one.
            requestCert: options.tls.ca !== undefined,
            rejectUnauthorized: false,
          },
          listener,
        );
  // Bound slow clients: a scrape that cannot send its headers in 10 s is not a Prometheus.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 65_000;
  return server;
}

async function handle(request: IncomingMessage, response: ServerResponse, options: HttpServerOptions): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (path === AUDIT_WEBHOOK_PATH && options.auditWebhook !== undefined) return options.auditWebhook(request, response);
  if (path === RECOMMENDATIONS_PATH && options.recommendations !== undefined) {
    return options.recommendations(request, response);
  }
  if (path === HOTSPOTS_PATH && options.hotspots !== undefined) return options.hotspots(request, response);
  if (path?.startsWith(CAPTURE_FILES_PREFIX) === true && options.captureFiles !== undefined) {
    return options.captureFiles(request, response);
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
    response.end('method not allowed\n');
    return;
  }
  switch (path) {
    case '/metrics':
      return serveMetrics(request, response, options.registry);
    case '/healthz':
      return sendText(response, 200, 'ok\n');
    case '/readyz': {
      const reason = options.notReadyReason();
      return reason === undefined
        ? sendText(response, 200, 'ready\n')
        : sendText(response, 503, `not ready: ${reason}\n`);
    }
    case '/':
      return sendText(
        response,
        200,
        'Flowlens exporter\n\n/metrics  Prometheus metrics\n/healthz  liveness\n/readyz   readiness\n',
      );
    default:
      return sendText(response, 404, 'not found\n');
  }
}

async function serveMetrics(
  request: IncomingMessage,
  response: ServerResponse,
  registry: MetricsRegistry,
): Promise<void> {
  const format = negotiateFormat(request.headers.accept);
  const body = registry.render(format);
  const headers: Record<string, string> = { 'content-type': CONTENT_TYPES[format], vary: 'accept, accept-encoding' };
  const acceptsGzip = acceptsEncoding(request.headers['accept-encoding'], 'gzip');
  const payload = acceptsGzip ? await gzipAsync(body) : Buffer.from(body, 'utf8');
  if (acceptsGzip) headers['content-encoding'] = 'gzip';
  headers['content-length'] = String(payload.length);
  response.writeHead(200, headers);
  response.end(request.method === 'HEAD' ? undefined : payload);
}

/** Whether an Accept-Encoding header allows `encoding` (named, or by `*`) with a non-zero quality. */
export function acceptsEncoding(header: string | undefined, encoding: string): boolean {
  if (header === undefined) return false;
  let wildcard = false;
  for (const part of header.split(',')) {
    const [name, ...parameters] = part.split(';').map((piece) => piece.trim().toLowerCase());
    const quality = parameters.find((parameter) => parameter.startsWith('q='));
    const allowed = quality === undefined || Number(quality.slice(2)) > 0;
    if (name === encoding) return allowed;
    if (name === '*') wildcard = allowed;
  }
  return wildcard;
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(text);
}
