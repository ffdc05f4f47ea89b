// The backendSrv Grafana sets with @grafana/runtime's setBackendSrv before any plugin code runs (its
// app/core/services/backend_srv.ts); without it getBackendSrv() returns undefined and a page's first call throws. The
// harness's keeps what a plugin page can observe of Grafana's: same-origin fetch of `url` plus serialized `params`,
// the body parsed as Grafana parses it (JSON when it parses, else text, undefined when empty or 204), a failure
// thrown as a FetchError ({ status, statusText, data, config }) that isFetchError recognises, and Grafana's one retry
// of a 401 after GET /api/login/ping (the user is still signed in, so the request is tried again). Left out: the
// error toasts (`showErrorAlert`), the query inspector's events, request cancellation by requestId, Grafana's
// X-Grafana-Org-Id / X-Grafana-Device-Id headers and token rotation, none of which a page's result depends on.
import type { BackendSrv, BackendSrvRequest, FetchError, FetchResponse } from '@grafana/runtime';
import { Observable, defer, from, lastValueFrom, map, mergeMap, throwError } from 'rxjs';

/** Grafana's serializeParams: arrays repeat the key, undefined and null are left out. */
function serializeParams(params: Record<string, unknown>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined && item !== null) query.append(key, String(item));
    }
  }
  return query.toString();
}

function urlOf(options: BackendSrvRequest): string {
  const query = options.params === undefined ? '' : serializeParams(options.params);
  if (query === '') return options.url;
  return `${options.url}${options.url.includes('?') ? '&' : '?'}${query}`;
}

function initOf(options: BackendSrvRequest): RequestInit {
  const headers = new Headers({ accept: 'application/json, text/plain, */*' });
  for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name, String(value));
  let body: BodyInit | undefined;
  if (options.data !== undefined) {
    body = typeof options.data === 'string' ? options.data : JSON.stringify(options.data);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  return {
    method: options.method ?? 'GET',
    headers,
    body,
    credentials: options.credentials ?? 'same-origin',
    signal: options.abortSignal,
  };
}

async function parseBody(response: Response, responseType: BackendSrvRequest['responseType']): Promise<unknown> {
  switch (responseType) {
    case 'text':
      return response.text();
    case 'blob':
      return response.blob();
    case 'arraybuffer':
      return response.arrayBuffer();
    default: {
      if (response.status === 204) return undefined;
      const text = await response.text();
      if (text.length === 0) return undefined;
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return text;
      }
    }
  }
}

/** A fetch Response as Grafana's BackendSrv hands it on, with `data` read as the caller asked. */
function fetchResponse<T>(response: Response, data: T, options: BackendSrvRequest): FetchResponse<T> {
  return {
    data,
    status: response.status,
    statusText: response.statusText,
    ok: response.ok,
    headers: response.headers,
    redirected: response.redirected,
    type: response.type,
    url: response.url,
    config: options,
  };
}

async function fetchOnce<T>(options: BackendSrvRequest): Promise<FetchResponse<T>> {
  const response = await fetch(urlOf(options), initOf(options));
  return fetchResponse(response, (await parseBody(response, options.responseType)) as T, options);
}

function fetchError<T>(response: FetchResponse<T>): FetchError<T> {
  return { status: response.status, statusText: response.statusText, data: response.data, config: response.config };
}

export class HarnessBackendSrv implements BackendSrv {
  fetch<T>(options: BackendSrvRequest): Observable<FetchResponse<T>> {
    return defer(() => from(fetchOnce<T>(options))).pipe(
      mergeMap((response) => {
        if (response.ok) return from([response]);
        const firstAttempt = (options.retry ?? 0) === 0;
        if (response.status === 401 && firstAttempt) {
          // Grafana's retry: a 401 may mean its own session expired; the ping says it did not, so try once more.
          return from(fetchOnce<unknown>({ url: '/api/login/ping' })).pipe(
            mergeMap((ping) =>
              ping.ok ? this.fetch<T>({ ...options, retry: 1 }) : throwError(() => fetchError(response)),
            ),
          );
        }
        return throwError(() => fetchError(response));
      }),
    );
  }

  request<T>(options: BackendSrvRequest): Promise<T> {
    return lastValueFrom(this.fetch<T>(options).pipe(map((response) => response.data)));
  }

  datasourceRequest<T>(options: BackendSrvRequest): Promise<FetchResponse<T>> {
    return lastValueFrom(this.fetch<T>(options));
  }

  get<T>(
    url: string,
    params?: Record<string, unknown>,
    requestId?: string,
    options?: Partial<BackendSrvRequest>,
  ): Promise<T> {
    return this.request<T>({ ...options, method: 'GET', url, params, requestId });
  }

  delete<T>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, method: 'DELETE', url, data });
  }

  post<T>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, method: 'POST', url, data });
  }

  patch<T>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, method: 'PATCH', url, data });
  }

  put<T>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, method: 'PUT', url, data });
  }

  /** Each chunk of the body as it arrives, with the response's status and headers (Grafana's chunked()). */
  chunked(options: BackendSrvRequest): Observable<FetchResponse<Uint8Array | undefined>> {
    return new Observable<FetchResponse<Uint8Array | undefined>>((subscriber) => {
      const controller = new AbortController();
      void (async () => {
        const response = await fetch(urlOf(options), { ...initOf(options), signal: controller.signal });
        const respond = (data: Uint8Array | undefined): FetchResponse<Uint8Array | undefined> =>
          fetchResponse(response, data, options);
        if (!response.ok || response.body === null) {
          subscriber.error(fetchError(respond(undefined)));
          return;
        }
        const reader = response.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          subscriber.next(respond(value));
        }
        subscriber.complete();
      })().catch((error: unknown) => subscriber.error(error));
      return () => controller.abort();
    });
  }
}
