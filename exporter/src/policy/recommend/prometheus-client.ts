/**
 * Prometheus' instant query API (`POST /api/v1/query`, form-encoded: the query never lands in a URL or a shell)
 * for the observed flows of `prometheus-observed.ts`: optional bearer token or basic auth (read from files on each
 * query, so rotated tokens are picked up), an extra CA for https, a timeout, and an answer bounded in bytes. Errors
 * name what failed and what to check.
 */
import { readFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { NetworkSet } from '../calico';
import {
  observedFlowsQuery,
  parsePrometheusRange,
  readPrometheusFlowsAnswer,
  retentionWarning,
  type ObservedQueryOptions,
  type PrometheusFlowsAnswer,
  type PrometheusObserved,
} from './prometheus-observed';

export const DEFAULT_PROMETHEUS_TIMEOUT_SECONDS = 30;

export interface PrometheusClientOptions {
  /** The base URL, as `parsePrometheusUrl` gives it (path ending in `/`). */
  readonly url: URL;
  /** A file holding a bearer token (e.g. a projected service account token). */
  readonly tokenFile?: string | undefined;
  /** Basic auth: the user, and a file holding the password. Not together with `tokenFile`. */
  readonly basicAuth?: { readonly username: string; readonly passwordFile: string } | undefined;
  /** PEM CAs to trust for an https URL, besides the system's. */
  readonly caFile?: string | undefined;
  readonly timeoutSeconds: number;
}

export class PrometheusQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrometheusQueryError';
  }
}

/** Bytes of answer allowed per flow of the budget: six label pairs at most a few hundred bytes each. */
const ANSWER_BYTES_PER_FLOW = 2048;
const MIN_ANSWER_BYTES = 1024 * 1024;

/** The answer size a budget of distinct flows needs at most; larger answers are refused, not buffered. */
export function maxAnswerBytes(budget: number): number {
  return Math.max(MIN_ANSWER_BYTES, budget * ANSWER_BYTES_PER_FLOW);
}

/**
 * Runs `query` and resolves with the answer's body when Prometheus answered 200; any other status, a connection
 * error, a timeout or an answer over `limitBytes` rejects with a `PrometheusQueryError`.
 */
export async function queryPrometheus(
  options: PrometheusClientOptions,
  query: string,
  limitBytes: number,
): Promise<string> {
  const payload = Buffer.from(new URLSearchParams({ query }).toString());
  const response = await requestPrometheus(options, 'POST', 'api/v1/query', payload, limitBytes);
  if (response.status === 200) return response.body;
  throw new PrometheusQueryError(
    `Prometheus at ${options.url.href} answered HTTP ${response.status}: ${statusHint(response)}`,
  );
}

/** One request under the base URL with the credentials, CA and timeout; any status resolves, the rest rejects. */
async function requestPrometheus(
  options: PrometheusClientOptions,
  method: 'GET' | 'POST',
  path: string,
  payload: Buffer | undefined,
  limitBytes: number,
): Promise<{ status: number; body: string }> {
  const endpoint = new URL(path, options.url);
  const where = `Prometheus at ${options.url.href}`;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (payload !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    headers['content-length'] = String(payload.length);
  }
  const authorization = await authorizationHeader(options);
  if (authorization !== undefined) headers['authorization'] = authorization;
  const requestOptions: RequestOptions & { ca?: Buffer } = { method, headers };
  if (options.caFile !== undefined) {
    if (endpoint.protocol !== 'https:') throw new PrometheusQueryError(`${where}: a CA file is for https URLs only`);
    requestOptions.ca = await readSecretFile(options.caFile, 'CA file');
  }
  const timeoutMs = options.timeoutSeconds * 1000;
  const send = endpoint.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const outgoing = send(endpoint, requestOptions, (incoming: IncomingMessage) => {
      const declared = Number(incoming.headers['content-length']);
      if (Number.isFinite(declared) && declared > limitBytes) {
        // Rejected first: destroying the answer also reports it as broken off.
        reject(tooLarge(where, limitBytes));
        incoming.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      incoming.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limitBytes) {
          reject(tooLarge(where, limitBytes));
          incoming.destroy();
          return;
        }
        chunks.push(chunk);
      });
      incoming.on('error', (error) =>
        reject(new PrometheusQueryError(`${where}: the answer broke off: ${error.message}`)),
      );
      incoming.on('aborted', () => reject(new PrometheusQueryError(`${where}: the answer broke off`)));
      incoming.on('end', () =>
        resolve({ status: incoming.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    outgoing.setTimeout(timeoutMs, () =>
      outgoing.destroy(
        new PrometheusQueryError(
          `${where}: no answer within ${options.timeoutSeconds}s; raise the timeout or shorten the range`,
        ),
      ),
    );
    outgoing.on('error', (error) =>
      reject(error instanceof PrometheusQueryError ? error : new PrometheusQueryError(`${where}: ${error.message}`)),
    );
    outgoing.end(payload);
  });
}

function tooLarge(where: string, limitBytes: number): PrometheusQueryError {
  return new PrometheusQueryError(
    `${where}: the answer is over ${limitBytes} bytes, more than the flow budget needs; raise the budget (api.maxObservedFlows) or narrow the query (namespace, range)`,
  );
}

function statusHint(response: { status: number; body: string }): string {
  let detail = response.body.slice(0, 300).trim();
  try {
    const parsed: unknown = JSON.parse(response.body);
    if (typeof parsed === 'object' && parsed !== null && 'error' in parsed) {
      const error = (parsed as { error: unknown; errorType?: unknown }).error;
      const type = (parsed as { errorType?: unknown }).errorType;
      if (typeof error === 'string') detail = `${typeof type === 'string' ? `${type}: ` : ''}${error}`;
    }
  } catch {
    // Not JSON (a proxy's page): the text says more than nothing.
  }
  if (response.status === 401 || response.status === 403) {
    return `${detail || 'not authorized'}; check the bearer token file or the basic auth user and password file`;
  }
  return detail || '(empty body)';
}

async function authorizationHeader(options: PrometheusClientOptions): Promise<string | undefined> {
  if (options.tokenFile !== undefined) {
    const token = (await readSecretFile(options.tokenFile, 'bearer token file')).toString('utf8').trim();
    if (token === '') throw new PrometheusQueryError(`the bearer token file ${options.tokenFile} is empty`);
    return `Bearer ${token}`;
  }
  if (options.basicAuth !== undefined) {
    const password = (await readSecretFile(options.basicAuth.passwordFile, 'password file'))
      .toString('utf8')
      .replace(/\r?\n$/, '');
    return `Basic ${Buffer.from(`${options.basicAuth.username}:${password}`).toString('base64')}`;
  }
  return undefined;
}

async function readSecretFile(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new PrometheusQueryError(`the ${what} ${path} cannot be read: ${code}`);
  }
}

/**
 * Prometheus' answer to the observed-flows query for `query`'s range (and namespace), unread, with the retention
 * advice: the I/O half of `fetchPrometheusObserved`. Reading the answer is CPU work (a quarter of a second for
 * 50,000 tuples) that `serve` does in its recommendation worker (`readPrometheusFlowsAnswer`). Rejects with a
 * `PrometheusQueryError`.
 */
export async function fetchPrometheusFlowsAnswer(
  client: PrometheusClientOptions,
  query: ObservedQueryOptions,
  budget: number,
): Promise<PrometheusFlowsAnswer> {
  const [body, advice] = await Promise.all([
    queryPrometheus(client, observedFlowsQuery(query), maxAnswerBytes(budget)),
    retentionAdvice(client, query.range),
  ]);
  return { body, advice };
}

/**
 * The observed flows Prometheus holds for `query`'s range (and namespace), converted under `budget`: the query,
 * its answer read strictly, and the conversion. Rejects with a `PrometheusQueryError` or a `PrometheusAnswerError`.
 */
export async function fetchPrometheusObserved(
  client: PrometheusClientOptions,
  query: ObservedQueryOptions,
  networkSets: readonly NetworkSet[],
  budget: number,
): Promise<PrometheusObserved> {
  return readPrometheusFlowsAnswer(await fetchPrometheusFlowsAnswer(client, query, budget), networkSets, budget);
}

/** Whether the range reaches past Prometheus' retention; undefined when it does not or nobody says. */
async function retentionAdvice(client: PrometheusClientOptions, rangeText: string): Promise<string | undefined> {
  const range = parsePrometheusRange(rangeText);
  if ('problem' in range) return undefined;
  try {
    const body = await requestPrometheus(client, 'GET', 'api/v1/status/runtimeinfo', undefined, 64 * 1024);
    return body.status === 200 ? retentionWarning(range, body.body) : undefined;
  } catch {
    // Advice only: the flows' query reports what is wrong with the connection.
    return undefined;
  }
}
