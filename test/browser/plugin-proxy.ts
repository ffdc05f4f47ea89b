/**
 * Grafana's server side of an app plugin, for the harness server: the plugin's settings (GET
 * /api/plugins/<id>/settings: jsonData and which secureJsonData keys are set, never their values) and its plugin proxy
 * (/api/plugin-proxy/<id>/<path>), both driven by the BUILT dist/plugin.json as Grafana reads it. The proxy follows
 * pkg/api/pluginproxy/pluginproxy.go (Grafana 12/13):
 * - a route matches when its method is empty, `*` or the request's, and its `path` matches the proxied path as a
 *   route pattern (web.NewTree: literal segments must all match, `*` takes the rest, `:name` one segment). Grafana
 *   before 9 matched by prefix; today `exporter/api/v1/recommendationsX` or `.../recommendations/x` is no match;
 * - no match: 404 `{"message":"plugin route match not found"}`; a role below `reqRole`: 403;
 * - the target is the route's `url` rendered with `.JsonData` and `.SecureJsonData`, plus what `*` took, with the
 *   request's query string; Cookie is dropped, the route's `headers` are rendered and set (the token's only way out);
 * - the upstream's status, headers (less Set-Cookie) and body go back as they came: an app route's 401 stays a 401
 *   (only the data source proxy turns it into a 400); an unreachable upstream is a 502 with no body.
 * Not emulated: X-Grafana-Context / X-Grafana-User headers and the ID token forwarding (the exporter reads none),
 * `reqAction` RBAC (the route has none), route `body` and `tokenAuth`/`jwtTokenAuth` (not used by plugin.json).
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface PluginRouteHeader {
  name: string;
  content: string;
}

/** A `routes` entry of plugin.json, as Grafana's plugins.Route reads it (the fields the proxy uses). */
export interface PluginRoute {
  path: string;
  method?: string;
  reqRole?: string;
  url: string;
  headers?: PluginRouteHeader[];
}

export interface AppPluginJson {
  id: string;
  name: string;
  type: string;
  info: Record<string, unknown>;
  includes?: unknown[];
  dependencies?: Record<string, unknown>;
  routes?: PluginRoute[];
}

/** What an admin saved on the Configuration page: jsonData (readable) and secureJsonData (server-only). */
export interface AppSettings {
  jsonData: Record<string, unknown>;
  secureJsonData: Record<string, string>;
}

export type OrgRole = 'Viewer' | 'Editor' | 'Admin';
const ROLE_RANK: Record<OrgRole, number> = { Viewer: 1, Editor: 2, Admin: 3 };

export function readPluginJson(path: string): AppPluginJson {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as AppPluginJson;
  for (const [index, route] of (parsed.routes ?? []).entries()) {
    if (typeof route.path !== 'string' || typeof route.url !== 'string') {
      throw new Error(`${path}: routes[${index}] needs a string path and url`);
    }
  }
  return parsed;
}

/**
 * Matches `proxyPath` against a route pattern as Grafana's web.Tree does for the patterns plugins use: the rest
 * taken by `*` (empty when the pattern has none), or undefined when it does not match.
 */
export function matchRoutePath(pattern: string, proxyPath: string): { rest: string } | undefined {
  const patternSegments = pattern.split('/').filter((segment) => segment !== '');
  const pathSegments = proxyPath.split('/').filter((segment) => segment !== '');
  for (const [index, segment] of patternSegments.entries()) {
    if (segment === '*') return { rest: pathSegments.slice(index).join('/') };
    const actual = pathSegments[index];
    if (actual === undefined) return undefined;
    if (segment.startsWith(':')) continue;
    if (segment !== actual) return undefined;
  }
  return pathSegments.length === patternSegments.length ? { rest: '' } : undefined;
}

/** The first route Grafana would take for this method and path (its loop breaks at the first match). */
export function findRoute(
  routes: PluginRoute[],
  method: string,
  proxyPath: string,
): { route: PluginRoute; rest: string } | undefined {
  for (const route of routes) {
    if (route.method !== undefined && route.method !== '' && route.method !== '*' && route.method !== method) continue;
    const match = matchRoutePath(route.path, proxyPath);
    if (match !== undefined) return { route, rest: match.rest };
  }
  return undefined;
}

/**
 * Renders a route template the way Go's text/template renders Grafana's templateData for the `{{ .JsonData.key }}`
 * and `{{ .SecureJsonData.key }}` actions plugin.json uses: a missing jsonData key (map[string]any) prints
 * `<no value>`, a missing secureJsonData key (map[string]string) the empty string. Any other action is refused, as a
 * template Grafana could not render fails the request.
 */
export function renderRouteTemplate(template: string, settings: AppSettings): string {
  return template.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (_whole, action: string) => {
    const field = /^\.(JsonData|SecureJsonData)\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(action);
    if (field === null)
      throw new Error(`route template action {{ ${action} }} is not .JsonData.<key> or .SecureJsonData.<key>`);
    if (field[1] === 'SecureJsonData') return settings.secureJsonData[field[2]!] ?? '';
    const value = settings.jsonData[field[2]!];
    return value === undefined || value === null ? '<no value>' : String(value);
  });
}

/** Grafana's util.JoinURLFragments: one slash between the two, none added for an empty second part. */
function joinUrlFragments(first: string, second: string): string {
  if (second === '') return first;
  return `${first.replace(/\/+$/, '')}/${second.replace(/^\/+/, '')}`;
}

function sendJson(response: ServerResponse, status: number, body: Record<string, unknown>): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  response.end(`${JSON.stringify(body)}\n`);
}

/** One upstream call the proxy made: where to, and the answer it passed on. */
export interface ProxiedCall {
  target: string;
  status: number;
  body: string;
}

/** The app plugin's settings endpoint and proxy for one app, as a signed-in user of `role` sees them. */
export class GrafanaAppBackend {
  private settings: AppSettings = { jsonData: {}, secureJsonData: {} };
  /** The proxy's upstream calls, newest last: what the page was sent, for the test to compare with what it shows. */
  readonly calls: ProxiedCall[] = [];

  constructor(
    readonly plugin: AppPluginJson,
    private readonly moduleUrl: string,
    private readonly role: OrgRole = 'Viewer',
  ) {}

  configure(settings: AppSettings): void {
    this.settings = { jsonData: { ...settings.jsonData }, secureJsonData: { ...settings.secureJsonData } };
  }

  /** Handles the request when it is the app's (true), else leaves it to the caller (false). */
  handle(request: IncomingMessage, response: ServerResponse): boolean {
    const url = new URL(request.url ?? '/', 'http://grafana');
    if (url.pathname === `/api/plugins/${this.plugin.id}/settings`) {
      this.sendSettings(response);
      return true;
    }
    if (url.pathname === '/api/login/ping') {
      // The signed-in user's session is fine: Grafana's backendSrv retries a 401 once after this answers.
      sendJson(response, 200, { message: 'Logged in' });
      return true;
    }
    const prefix = `/api/plugin-proxy/${this.plugin.id}/`;
    if (!url.pathname.startsWith(prefix)) return false;
    this.proxy(request, response, url, url.pathname.slice(prefix.length));
    return true;
  }

  /** Grafana's plugin settings DTO: what the page may know. secureJsonFields says which secrets are set, not what. */
  private sendSettings(response: ServerResponse): void {
    const { id, name, type, info, includes, dependencies } = this.plugin;
    const secureJsonFields = Object.fromEntries(
      Object.entries(this.settings.secureJsonData)
        .filter(([, value]) => value !== '')
        .map(([key]) => [key, true]),
    );
    sendJson(response, 200, {
      id,
      name,
      type,
      info,
      includes,
      dependencies,
      module: this.moduleUrl,
      baseUrl: this.moduleUrl.slice(0, this.moduleUrl.lastIndexOf('/')),
      enabled: true,
      pinned: true,
      jsonData: this.settings.jsonData,
      secureJsonFields,
    });
  }

  private proxy(request: IncomingMessage, response: ServerResponse, url: URL, proxyPath: string): void {
    let path: string;
    try {
      path = decodeURIComponent(proxyPath);
    } catch {
      // Go's server refuses a malformed escape before any handler runs.
      response.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('400 Bad Request');
      return;
    }
    const found = findRoute(this.plugin.routes ?? [], request.method ?? 'GET', path);
    if (found === undefined) {
      sendJson(response, 404, { message: 'plugin route match not found' });
      return;
    }
    const { route, rest } = found;
    if (route.reqRole !== undefined && ROLE_RANK[this.role] < ROLE_RANK[route.reqRole as OrgRole]) {
      sendJson(response, 403, { message: 'plugin proxy route access denied' });
      return;
    }
    let target: URL;
    const headers: Record<string, string> = {};
    try {
      const base = new URL(renderRouteTemplate(route.url, this.settings));
      target = new URL(base.href);
      target.pathname = joinUrlFragments(base.pathname, rest);
      target.search = url.search;
      for (const header of route.headers ?? []) {
        headers[header.name.toLowerCase()] = renderRouteTemplate(header.content, this.settings);
      }
    } catch (error) {
      sendJson(response, 500, { message: 'Could not interpolate plugin route url', error: String(error) });
      return;
    }
    // The browser's headers go on, less its cookies and the hop's own; the route's headers win.
    const forwarded: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined || ['cookie', 'host', 'connection', 'authorization'].includes(name)) continue;
      forwarded[name] = value;
    }
    Object.assign(forwarded, headers);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const upstream = send(target, { method: request.method, headers: forwarded }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        const body = Buffer.concat(chunks);
        this.calls.push({ target: target.href, status: answer.statusCode ?? 502, body: body.toString('utf8') });
        const kept: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          if (value === undefined || ['set-cookie', 'connection', 'transfer-encoding'].includes(name)) continue;
          kept[name] = value;
        }
        response.writeHead(answer.statusCode ?? 502, { ...kept, 'content-length': String(body.length) });
        response.end(body);
      });
    });
    upstream.on('error', () => {
      this.calls.push({ target: target.href, status: 502, body: '' });
      response.writeHead(502);
      response.end();
    });
    request.pipe(upstream);
  }
}
