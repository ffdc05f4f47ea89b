// What every `/api/v1/*` data endpoint does before answering: read-only methods only, and the caller
// authenticated as the `api` configuration says (a token or an allowed client certificate, as for the audit
// webhook). These endpoints expose more than metrics, so nothing of them is answered before this passes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authCheck, type WebhookAuth } from '../sources/audit/webhook';

/** Answers 405 or 401/403 itself and returns false, or returns true when the request may be served. */
export type DataApiGuard = (request: IncomingMessage, response: ServerResponse) => Promise<boolean>;

export function dataApiGuard(auth: WebhookAuth): DataApiGuard {
  const authenticate = authCheck(auth, 'flowlens-api');
  return async (request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      response.end('method not allowed\n');
      return false;
    }
    const failure = await authenticate(request);
    if (failure === undefined) return true;
    const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
    if (failure.challenge !== undefined) headers['www-authenticate'] = failure.challenge;
    response.writeHead(failure.status, headers);
    response.end(`${failure.message}\n`);
    return false;
  };
}
