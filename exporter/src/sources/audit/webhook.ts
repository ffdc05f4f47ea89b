/**
 * The receiving end of the API server's audit webhook backend: a node:http request handler accepting POSTs of an
 * audit.k8s.io/v1 `EventList`. It checks the caller, the content type and the size, parses the list and hands its
 * events to a callback (the pipeline feeds them to an AuditDecoder); it never throws on input.
 *
 * Callers authenticate with a bearer token, a client certificate (the exporter's HTTPS listener verifies it against the
 * configured client CA and leaves the decision here), or either (`any-of`).
 *
 * Answers: 405 not POST, 401 no or wrong credentials, 403 a client certificate whose CN/O is not allowed,
 * 415 not JSON (or compressed), 413 over the size limit, 400 not JSON or not an EventList, 503 the token file cannot be
 * read, 500 the callback threw, 200 `{"accepted": <events>}` otherwise.
 *
 * The API server retries a batch on 5xx and connection errors, not on 4xx: input errors are 4xx, our own are 5xx.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TLSSocket } from 'node:tls';
import type { JsonObject } from '../json-fields';
import { DecodeError } from '../types';
import { eventListItems } from './decode';

export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * A bearer token read from a file (a mounted Secret). The file is stat'ed on every request and read again when its
 * size, modification time or inode changes, so a rotated Secret takes effect without a restart. Surrounding
 * whitespace (the trailing newline) is ignored; an empty or unreadable file rejects every request with 503.
 */
export interface BearerTokenAuth {
  kind: 'bearer-token';
  tokenFile: string;
}

/**
 * A client certificate verified by the TLS server (`requestCert: true` and the cluster's CA; `req.socket.authorized`)
 * whose subject CN is in `allowedCommonNames` or one of whose subject O values is in `allowedOrganizations`.
 */
export interface ClientCertificateAuth {
  kind: 'client-certificate';
  allowedCommonNames?: readonly string[];
  allowedOrganizations?: readonly string[];
}

/**
 * Either method: a caller passes with a good bearer token or an allowed client certificate. When both fail, the answer
 * is the failure of a credential the caller did present (a wrong token, a certificate not allowed), so a refused caller
 * learns what was wrong with what it sent rather than that it sent no token.
 */
export interface AnyOfAuth {
  kind: 'any-of';
  methods: readonly (BearerTokenAuth | ClientCertificateAuth)[];
}

export type WebhookAuth = BearerTokenAuth | ClientCertificateAuth | AnyOfAuth;

export interface AuditWebhookOptions {
  auth: WebhookAuth;
  /** Receives each accepted EventList's items, in order. Runs before the response is sent; a throw answers 500. */
  onEvents: (events: JsonObject[]) => void;
  /** Largest body accepted, in bytes. Default 4 MiB. */
  maxBodyBytes?: number;
  /** Told about every rejected request and handler failure, for logs and counters. */
  onRejected?: (status: number, reason: string) => void;
  /**
   * Told about each body refused for what it holds (400: not JSON, cut short, not an EventList; 413: over the limit),
   * with the reason, so input errors are counted by reason as a file source's are. Not for refusals of the caller
   * (401, 403) or of the request's form (405, 415): nothing was decoded.
   */
  onBadInput?: (error: DecodeError) => void;
}

export type AuditWebhookHandler = (request: IncomingMessage, response: ServerResponse) => void;

export function createAuditWebhookHandler(options: AuditWebhookOptions): AuditWebhookHandler {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) {
    throw new RangeError('maxBodyBytes must be a positive integer');
  }
  const authenticate = authCheck(options.auth);
  const context: HandlerContext = { ...options, maxBodyBytes, authenticate };
  return (request, response) => {
    handle(request, response, context).catch((error: unknown) => {
      try {
        reject(response, context, 500, 'internal error', String(error));
      } catch {
        response.destroy(); // nothing sensible is left to answer; never let input take the process down
      }
    });
  };
}

/**
 * An authentication outcome: undefined when the caller may post, else the status and message to answer. `presented`
 * says whether the caller offered this kind of credential at all (see AnyOfAuth).
 */
export type AuthFailure =
  { status: 401 | 403 | 503; message: string; challenge?: string; presented: boolean } | undefined;

/** Checks a request against the methods; `realm` names the endpoint in Bearer challenges. Also `/api/v1/*`'s. */
export function authCheck(
  auth: WebhookAuth,
  realm = 'flowlens-audit',
): (request: IncomingMessage) => Promise<AuthFailure> {
  switch (auth.kind) {
    case 'bearer-token':
      return bearerTokenCheck(auth, realm);
    case 'client-certificate':
      return clientCertificateCheck(auth);
    case 'any-of': {
      if (auth.methods.length === 0) throw new RangeError('any-of authentication needs at least one method');
      const checks = auth.methods.map((method) => authCheck(method, realm));
      return async (request) => {
        const failures: NonNullable<AuthFailure>[] = [];
        for (const check of checks) {
          const failure = await check(request);
          if (failure === undefined) return undefined;
          failures.push(failure);
        }
        const chosen = failures.find((failure) => failure.presented) ?? failures[0]!;
        // Keep a Bearer challenge whichever failure is answered, so a client learns a token would do.
        const challenge = chosen.challenge ?? failures.find((failure) => failure.challenge !== undefined)?.challenge;
        return challenge === undefined ? chosen : { ...chosen, challenge };
      };
    }
  }
}

interface HandlerContext extends AuditWebhookOptions {
  maxBodyBytes: number;
  authenticate: (request: IncomingMessage) => Promise<AuthFailure>;
}

async function handle(request: IncomingMessage, response: ServerResponse, context: HandlerContext): Promise<void> {
  if (request.method !== 'POST') {
    response.setHeader('allow', 'POST');
    return reject(response, context, 405, 'method not allowed');
  }
  const failure = await context.authenticate(request);
  if (failure !== undefined) {
    if (failure.challenge !== undefined) response.setHeader('www-authenticate', failure.challenge);
    return reject(response, context, failure.status, failure.message);
  }
  if (!isJsonContentType(request.headers['content-type'])) {
    return reject(response, context, 415, 'content type must be application/json');
  }
  const encoding = request.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    return reject(response, context, 415, 'compressed bodies are not accepted');
  }
  const declaredLength = Number(request.headers['content-length'] ?? '0');
  const tooLarge = `body over the ${context.maxBodyBytes}-byte limit`;
  if (declaredLength > context.maxBodyBytes) {
    badInput(context, new DecodeError('oversized', tooLarge));
    return reject(response, context, 413, tooLarge);
  }
  const body = await readBody(request, context.maxBodyBytes);
  if (body === 'too large') {
    badInput(context, new DecodeError('oversized', tooLarge));
    return reject(response, context, 413, tooLarge);
  }
  if (body === 'aborted') return; // the client went away; nothing to answer

  let events: JsonObject[];
  try {
    events = eventListItems(body.toString('utf8'));
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    badInput(context, error);
    return reject(response, context, 400, `not an audit EventList: ${error.message}`);
  }
  try {
    context.onEvents(events);
  } catch (error) {
    return reject(response, context, 500, 'could not take the events', String(error));
  }
  sendJson(response, 200, { accepted: events.length });
}

/** `application/json`, with parameters (`; charset=utf-8`), or a `+json` type. */
function isJsonContentType(header: string | undefined): boolean {
  const type = (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/**
 * Reads the body up to `limit` bytes. Past the limit it stops reading and keeps nothing more: the caller answers
 * 413 and the connection is closed, which cuts the client's upload.
 */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer | 'too large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const settle = (outcome: Buffer | 'too large' | 'aborted'): void => {
      if (settled) return;
      settled = true;
      request.off('data', onData);
      resolve(outcome);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > limit) {
        chunks.length = 0;
        request.pause();
        return settle('too large');
      }
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.on('end', () => settle(Buffer.concat(chunks)));
    request.on('error', () => settle('aborted'));
    request.on('close', () => settle(request.complete ? Buffer.concat(chunks) : 'aborted'));
  });
}

function badInput(context: Pick<AuditWebhookOptions, 'onBadInput'>, error: DecodeError): void {
  try {
    context.onBadInput?.(error);
  } catch {
    // A failing counter must not change the answer.
  }
}

function reject(
  response: ServerResponse,
  context: Pick<AuditWebhookOptions, 'onRejected'>,
  status: number,
  message: string,
  detail?: string,
): void {
  try {
    context.onRejected?.(status, detail === undefined ? message : `${message}: ${detail}`);
  } catch {
    // A failing observer must not take the answer down with it.
  }
  if (response.headersSent || response.destroyed) return;
  // After a refusal the rest of the request body (if any) is unwanted: close instead of draining it.
  const closing = !response.req.complete;
  response.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    ...(closing ? { connection: 'close' } : {}),
  });
  response.end(`${message}\n`, () => {
    if (closing) response.req.socket.destroySoon();
  });
}

function sendJson(response: ServerResponse, status: number, body: object): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(`${JSON.stringify(body)}\n`);
}

function bearerTokenCheck(auth: BearerTokenAuth, realm: string): (request: IncomingMessage) => Promise<AuthFailure> {
  const tokens = new TokenFile(auth.tokenFile);
  return async (request) => {
    const presented = bearerToken(request.headers.authorization);
    if (presented === undefined) {
      return {
        status: 401,
        message: 'bearer token required',
        challenge: `Bearer realm="${realm}"`,
        presented: false,
      };
    }
    const expected = await tokens.current();
    if (expected === undefined) return { status: 503, message: 'token unavailable', presented: true };
    if (!constantTimeEqual(presented, expected)) {
      return {
        status: 401,
        message: 'invalid bearer token',
        challenge: `Bearer realm="${realm}", error="invalid_token"`,
        presented: true,
      };
    }
    return undefined;
  };
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
  return match?.[1];
}

/** Compares digests, so neither the contents nor the length of the expected token leak through timing. */
export function constantTimeEqual(presented: string, expected: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

/** The token file's contents, read again when the file changes (see BearerTokenAuth). */
class TokenFile {
  private version = '';
  private token: string | undefined;

  constructor(private readonly path: string) {}

  async current(): Promise<string | undefined> {
    try {
      const info = await stat(this.path);
      const version = `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}`;
      if (version !== this.version) {
        const text = (await readFile(this.path, 'utf8')).trim();
        this.token = text === '' ? undefined : text;
        this.version = version;
      }
      return this.token;
    } catch {
      this.version = '';
      this.token = undefined;
      return undefined;
    }
  }
}

/** Exported for tests: decides on the socket alone, so it works whatever TLS server is set up later. */
export function clientCertificateCheck(
  auth: ClientCertificateAuth,
): (request: IncomingMessage) => Promise<AuthFailure> {
  const commonNames = new Set(auth.allowedCommonNames ?? []);
  const organizations = new Set(auth.allowedOrganizations ?? []);
  return (request) => Promise.resolve(checkPeer(request.socket, commonNames, organizations));
}

/** The subset of a TLS socket the check reads; a TLSSocket has it. */
export interface PeerCertificateSource {
  authorized: boolean;
  getPeerCertificate(): { subject?: { CN?: string | string[]; O?: string | string[] } } | null;
}

export function checkPeer(
  socket: unknown,
  commonNames: ReadonlySet<string>,
  organizations: ReadonlySet<string>,
): AuthFailure {
  if (!isPeerCertificateSource(socket))
    return { status: 401, message: 'client certificate required (TLS)', presented: false };
  // A certificate the TLS layer could not verify (another CA, expired) counts as presented: the caller tried.
  const certificate = socket.getPeerCertificate();
  const presented = certificate !== null && certificate.subject !== undefined;
  if (!socket.authorized) {
    return {
      status: 401,
      message: presented ? 'client certificate not trusted' : 'client certificate required',
      presented,
    };
  }
  const subject = certificate?.subject;
  if (subject === undefined) return { status: 401, message: 'client certificate required', presented: false };
  const allowed =
    asList(subject.CN).some((name) => commonNames.has(name)) ||
    asList(subject.O).some((organization) => organizations.has(organization));
  return allowed ? undefined : { status: 403, message: 'client certificate not allowed', presented: true };
}

function isPeerCertificateSource(socket: unknown): socket is PeerCertificateSource {
  return socket instanceof TLSSocket;
}

/** Node gives a repeated subject attribute (two O values) as an array. */
function asList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
