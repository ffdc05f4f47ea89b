/**
 * The capture file API of a node's exporter, served only over TLS:
 *
 *   GET /api/v1/captures/<namespace>/<name>/files          this node's files of the capture (JSON)
 *   GET /api/v1/captures/<namespace>/<name>/files/<file>   one file (application/vnd.tcpdump.pcap)
 *
 * Packet payload is sensitive, so every request is authenticated and authorized by the API server: the bearer token
 * through a TokenReview (401 when missing or not authenticated), then a SubjectAccessReview asking whether that user
 * may `get` the `packetcaptures/files` subresource of that capture in that namespace (403 when not). Only then are
 * paths looked at, and anything that is not a capture this node knows and a plain `.pcap` file directly in its
 * folder is 404: `..`, encoded slashes or backslashes, absolute or empty names, symlinks. Answers carry no detail.
 */
import { constants } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Logger } from '../log';
import { isSafeCaptureName, PACKET_CAPTURE_GROUP, PACKET_CAPTURE_PLURAL } from './spec';

export const CAPTURE_API_PREFIX = '/api/v1/captures/';

export interface AuthenticatedUser {
  readonly username: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

export interface CaptureFileAccess {
  /** TokenReview: the user behind a bearer token, or undefined when the token is not valid. */
  authenticate(token: string): Promise<AuthenticatedUser | undefined>;
  /** SubjectAccessReview: may the user get `packetcaptures/files` of this capture? */
  authorize(user: AuthenticatedUser, namespace: string, name: string): Promise<boolean>;
}

export interface CaptureFileApiOptions {
  readonly access: CaptureFileAccess;
  /** The folder of a capture this node holds, or undefined. */
  readonly folderOf: (namespace: string, name: string) => string | undefined;
  readonly nodeName: string;
  readonly logger: Logger;
}

const FILE_NAME = /^[a-z0-9][-a-z0-9.]{0,250}\.pcap$/;
const MAX_TOKEN_LENGTH = 16 * 1024;

export interface CaptureFileEntry {
  readonly name: string;
  readonly bytes: number;
  readonly modified: string;
}

/** The plain `.pcap` files directly in a folder (symlinks and anything else left out). */
export async function listCaptureFiles(folder: string): Promise<CaptureFileEntry[]> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return [];
  }
  const files: CaptureFileEntry[] = [];
  for (const name of names.filter((candidate) => FILE_NAME.test(candidate)).sort()) {
    const info = await lstat(join(folder, name)).catch(() => undefined);
    if (info?.isFile() === true) files.push({ name, bytes: info.size, modified: info.mtime.toISOString() });
  }
  return files;
}

/** The path's segments after the prefix, or undefined when the raw path smuggles separators or dot segments. */
export function captureRoute(
  rawUrl: string,
): { namespace: string; name: string; file: string | undefined } | undefined {
  const rawPath = rawUrl.split('?')[0] ?? '';
  if (!rawPath.startsWith(CAPTURE_API_PREFIX)) return undefined;
  // Encoded slashes, backslashes, NULs and dots are never part of a valid route: refuse rather than decode.
  if (/%2f|%5c|%00|%2e|\\/i.test(rawPath)) return undefined;
  const segments = rawPath.slice(CAPTURE_API_PREFIX.length).split('/');
  if (segments.length < 3 || segments.length > 4 || segments[2] !== 'files') return undefined;
  let decoded: string[];
  try {
    decoded = segments.map((segment) => decodeURIComponent(segment));
  } catch {
    return undefined;
  }
  const [namespace, name, , file] = decoded as [string, string, string, string | undefined];
  if (!isSafeCaptureName(namespace, name)) return undefined;
  if (file !== undefined && (!FILE_NAME.test(file) || file.includes('..'))) return undefined;
  return { namespace, name, file };
}

function bearerToken(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined || header.length > MAX_TOKEN_LENGTH) return undefined;
  const match = /^Bearer ([!-~]+)$/.exec(header.trim());
  return match?.[1];
}

function send(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
  response.end(`${text}\n`);
}

/** The request handler; `http.ts` hands it every path under /api/v1/captures/. */
export function captureFileApi(
  options: CaptureFileApiOptions,
): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  return async (request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      send(response, 405, 'method not allowed', { allow: 'GET, HEAD' });
      return;
    }
    const token = bearerToken(request);
    const user = token === undefined ? undefined : await options.access.authenticate(token);
    if (user === undefined) {
      send(response, 401, 'unauthorized', { 'www-authenticate': 'Bearer' });
      return;
    }
    const route = captureRoute(request.url ?? '');
    if (route === undefined) {
      options.logger.log('warn', 'capture file request refused: not a capture path', {
        user: user.username,
        path: (request.url ?? '').slice(0, 200),
      });
      send(response, 404, 'not found');
      return;
    }
    if (!(await options.access.authorize(user, route.namespace, route.name))) {
      send(response, 403, 'forbidden');
      return;
    }
    const folder = options.folderOf(route.namespace, route.name);
    if (folder === undefined) {
      send(response, 404, 'not found');
      return;
    }
    const files = await listCaptureFiles(folder);
    if (route.file === undefined) {
      const body = JSON.stringify({
        namespace: route.namespace,
        name: route.name,
        node: options.nodeName,
        files,
      });
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(request.method === 'HEAD' ? undefined : body);
      return;
    }
    if (!files.some((file) => file.name === route.file)) {
      send(response, 404, 'not found');
      return;
    }
    // O_NOFOLLOW: a symlink swapped in after the listing is refused by the kernel, not followed.
    const handle = await open(join(folder, route.file), constants.O_RDONLY | constants.O_NOFOLLOW).catch(
      () => undefined,
    );
    if (handle === undefined) {
      send(response, 404, 'not found');
      return;
    }
    const info = await handle.stat();
    if (!info.isFile()) {
      await handle.close();
      send(response, 404, 'not found');
      return;
    }
    options.logger.log('info', 'capture file served', {
      user: user.username,
      capture: `${route.namespace}/${route.name}`,
      file: route.file,
    });
    response.writeHead(200, {
      'content-type': 'application/vnd.tcpdump.pcap',
      'content-length': String(info.size),
      'content-disposition': `attachment; filename="${options.nodeName}-${route.file}"`,
      'cache-control': 'no-store',
    });
    if (request.method === 'HEAD') {
      await handle.close();
      response.end();
      return;
    }
    if (info.size === 0) {
      await handle.close();
      response.end();
      return;
    }
    // The stream owns the handle from here and closes it at its end or on error.
    const stream = handle.createReadStream({ start: 0, end: info.size - 1 });
    stream.pipe(response);
    await new Promise<void>((resolve) => {
      stream.once('close', resolve);
      response.once('close', () => {
        stream.destroy();
        resolve();
      });
    });
  };
}

export const FILES_SUBRESOURCE = { group: PACKET_CAPTURE_GROUP, resource: PACKET_CAPTURE_PLURAL, subresource: 'files' };
