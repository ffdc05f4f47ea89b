/**
 * Plain requests to the Kubernetes API with the credentials of a kubeconfig (the client library's
 * `applyToHTTPSOptions`: CA, client certificate, bearer token), for what its generated clients make awkward:
 * merge patches of a custom resource's status subresource, TokenReview and SubjectAccessReview, custom resources
 * by path. Watches go through the library's informers.
 *
 * The library is an ES module loaded with `require` (Node >= 20.19); this file is loaded only where it is used.
 */
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { request as httpRequest } from 'node:http';
import * as k8s from '@kubernetes/client-node';

export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface KubeResponse {
  readonly status: number;
  readonly body: unknown;
}

const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export class KubeRequester {
  constructor(readonly config: k8s.KubeConfig) {}

  static fromDefault(): KubeRequester {
    const config = new k8s.KubeConfig();
    config.loadFromDefault();
    return new KubeRequester(config);
  }

  /** The bearer token the kubeconfig's user sends, if it is a token (the file API takes tokens only). */
  async bearerToken(): Promise<string | undefined> {
    const options: RequestOptions = { headers: {} };
    await this.config.applyToHTTPSOptions(options);
    const header = (options.headers as Record<string, unknown> | undefined)?.['Authorization'];
    return typeof header === 'string' && header.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
  }

  /** Sends a request; resolves with any HTTP status (callers decide), rejects on connection errors. */
  async request(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
    timeoutMs = 30_000,
  ): Promise<KubeResponse> {
    const cluster = this.config.getCurrentCluster();
    if (cluster === null)
      throw new Error('the kubeconfig has no current cluster: set a context (kubectl config use-context)');
    const url = new URL(path, cluster.server);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const options: RequestOptions = {
      method,
      headers: {
        accept: 'application/json',
        ...(payload === undefined ? {} : { 'content-type': contentType, 'content-length': String(payload.length) }),
      },
    };
    await this.config.applyToHTTPSOptions(options);
    const request = url.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise((resolve, reject) => {
      const outgoing = request(url, options, (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            response.destroy(new Error(`${method} ${path}: response over ${MAX_RESPONSE_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text === '' ? undefined : JSON.parse(text);
          } catch {
            // Not JSON: keep the text for the error message.
          }
          resolve({ status: response.statusCode ?? 0, body: parsed });
        });
      });
      outgoing.setTimeout(timeoutMs, () =>
        outgoing.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)),
      );
      outgoing.on('error', reject);
      outgoing.end(payload);
    });
  }

  /** Like request(), but a status outside 2xx throws a KubeApiError with the API server's message. */
  async expectOk(method: string, path: string, body?: unknown, contentType?: string): Promise<unknown> {
    const response = await this.request(method, path, body, contentType);
    if (response.status < 200 || response.status > 299) {
      throw new KubeApiError(response.status, `${method} ${path}: ${response.status} ${statusMessage(response.body)}`);
    }
    return response.body;
  }
}

export function statusMessage(body: unknown): string {
  if (typeof body === 'object' && body !== null && 'message' in body) {
    const message = (body as { message: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return typeof body === 'string' ? body.slice(0, 200) : '';
}
