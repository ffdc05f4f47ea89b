/**
 * The browser test's machinery, shared by test/browser.test.ts and the browser bench (test/browser/bench.ts):
 * builds the harness page (grafana-plugin/harness, webpack), serves it with the plugin's built modules and the
 * Prometheus results on loopback, and drives Debian's Chromium through playwright-core (never a downloaded browser).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, sep } from 'node:path';
import assert from 'node:assert/strict';
import { chromium, type Browser, type ConsoleMessage, type Locator, type Page } from 'playwright-core';
import { REPO_ROOT, fetchText } from '../support';
import type { ExpectedGraph } from './expected';
import type {
  FlowlensHarness,
  MountRequest,
  MountResult,
  PanelName,
  PrometheusQuery,
  PrometheusQueryResult,
  PrometheusResults,
  PrometheusSample,
} from './harness-api';

export type { PrometheusQuery, PrometheusQueryResult, PrometheusResults, PrometheusSample };
import { GrafanaAppBackend, readPluginJson } from './plugin-proxy';

export const PLUGIN_DIR = join(REPO_ROOT, 'grafana-plugin');
export const HARNESS_DIR = join(PLUGIN_DIR, 'harness');
export const HARNESS_DIST = join(HARNESS_DIR, 'dist');
export const PLUGIN_DIST = join(PLUGIN_DIR, 'dist');
/** @grafana/ui's icons, which Grafana serves at public/build/img/icons/ and @grafana/ui's Icon loads from there. */
const GRAFANA_UI_IMAGES = join(
  dirname(createRequire(join(PLUGIN_DIR, 'package.json')).resolve('@grafana/ui/package.json')),
  'dist',
  'public',
  'img',
);
/** Debian's `chromium` package (scripts/ensure-system-deps.mjs installs it). */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-background-networking',
  '--no-first-run',
];

/**
 * Builds the harness bundle and the Node.js build of src/queries.ts into grafana-plugin/harness/dist (webpack's
 * filesystem cache makes a rebuild quick). The plugin itself must be built already (`npm run build`).
 */
export function buildHarness(): void {
  for (const panel of ['service-graph', 'policy-flow']) {
    const module = join(PLUGIN_DIST, 'panels', panel, 'module.js');
    if (!existsSync(module)) throw new Error(`${module} is missing: run \`npm run build\` first`);
  }
  const requireFromPlugin = createRequire(join(PLUGIN_DIR, 'package.json'));
  const webpackCli = requireFromPlugin.resolve('webpack-cli/bin/cli.js');
  const result = spawnSync(
    process.execPath,
    [webpackCli, '-c', join(HARNESS_DIR, 'webpack.config.mjs'), '--stats', 'errors-warnings'],
    { cwd: PLUGIN_DIR, encoding: 'utf8', timeout: 300_000 },
  );
  if (result.status !== 0) {
    throw new Error(
      `building the harness failed (${result.signal ?? result.status}):\n${result.stdout}\n${result.stderr}`,
    );
  }
}

/** A template variable's query as src/queries.ts declares it: Grafana's `query_result(...)` and a regex. */
export interface VariableQuery {
  name: string;
  query: string;
  regex: string;
}

/** A hotspot category: its ranking query, the volume behind each row, and the labels that name a row. */
export interface HotspotTable {
  by: string;
  rank: PrometheusQuery;
  volume: PrometheusQuery;
}

/** The parts of src/queries.ts the tests run: the panels' queries, and every page's. */
export interface PanelQueries {
  SERVICE_GRAPH_QUERIES: PrometheusQuery[];
  POLICY_FLOW_QUERIES: PrometheusQuery[];
  DNS_QUERIES: Record<string, PrometheusQuery>;
  HTTP_QUERIES: Record<string, PrometheusQuery>;
  CAPTURE_QUERIES: Record<string, PrometheusQuery>;
  ANOMALY_QUERIES: Record<string, PrometheusQuery>;
  HOTSPOT_QUERIES: Record<string, HotspotTable>;
  HOTSPOT_LIMIT: number;
  HOTSPOT_MIN_VOLUME: number;
  NAMESPACE_VARIABLE: VariableQuery;
  WORKLOAD_VARIABLE: VariableQuery;
  CAPTURE_NAMESPACE_VARIABLE: VariableQuery;
  withVariables(query: PrometheusQuery, values?: { namespace?: string; workload?: string }): PrometheusQuery;
}

/** grafana-plugin/src/queries.ts, as built for Node.js with the harness. */
export function panelQueries(): PanelQueries {
  const requireHere = createRequire(__filename);
  return requireHere(join(HARNESS_DIST, 'queries.cjs')) as PanelQueries;
}

/** Runs each query as an instant query through Prometheus' HTTP API, keeping its answer as it came. */
export async function runQueries(prometheusBase: string, queries: PrometheusQuery[]): Promise<PrometheusResults> {
  const results: Record<string, PrometheusQueryResult> = {};
  for (const query of queries) {
    const response = await fetchText(`${prometheusBase}/api/v1/query?query=${encodeURIComponent(query.expr)}`);
    results[query.refId] = JSON.parse(response.body) as PrometheusQueryResult;
  }
  return { queries, results, stepSeconds: 15 };
}

/** Everything the browser tests share: the Prometheus results of both views, the server, the browser. */
export interface BrowserContext {
  browser: Browser;
  /** The real Prometheus the results came from, for tests that run queries of their own. */
  prometheusBase: string;
  queries: PanelQueries;
  server: HarnessServer;
  serviceGraph: PrometheusResults;
  policyFlow: PrometheusResults;
  /** The service graph the service graph's results should give, worked out from the raw answers. */
  expected: ExpectedGraph;
  /** Where screenshots go. */
  artifacts: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.css': 'text/css',
};

/**
 * The page's server, on loopback: `/` the harness page, `/harness/*` its bundle, `/dist/*` the plugin's built
 * modules (as Grafana serves public/plugins/<id>/), `/public/build/img/*` @grafana/ui's icons (as Grafana serves
 * them), `/api/prometheus-results?panel=` the results set for a panel; and for the app plugin what Grafana's server
 * gives its pages (test/browser/plugin-proxy.ts): `/public/plugins/<id>/*` its built files, its settings, and its
 * plugin proxy, which alone reaches past loopback's harness (to the routes' upstreams, as Grafana's does).
 */
export class HarnessServer {
  private server: Server | undefined;
  private readonly results = new Map<PanelName, PrometheusResults>();
  base = '';
  private appBackend: GrafanaAppBackend | undefined;

  /** The app plugin's settings and proxy, from the built dist/plugin.json (read when first asked for). */
  get app(): GrafanaAppBackend {
    if (this.appBackend === undefined) {
      const plugin = readPluginJson(join(PLUGIN_DIST, 'plugin.json'));
      this.appBackend = new GrafanaAppBackend(plugin, `public/plugins/${plugin.id}/module.js`);
    }
    return this.appBackend;
  }

  setResults(panel: PanelName, results: PrometheusResults): void {
    this.results.set(panel, results);
  }

  async start(): Promise<void> {
    const server = createServer((request, response) => {
      if (this.app.handle(request, response)) return;
      void this.handle(request.url ?? '/').then(
        ({ status, type, body }) => {
          response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
          response.end(body);
        },
        (error: unknown) => {
          response.writeHead(500, { 'content-type': 'text/plain' });
          response.end(String(error));
        },
      );
    });
    this.server = server;
    await new Promise<void>((resolveListen, rejectListen) => {
      server.once('error', rejectListen);
      server.listen(0, '127.0.0.1', () => resolveListen());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('the harness server has no port');
    this.base = `http://127.0.0.1:${address.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
  }

  private async handle(url: string): Promise<{ status: number; type: string; body: string | Buffer }> {
    const { pathname, searchParams } = new URL(url, 'http://harness');
    if (pathname === '/') return this.file(join(HARNESS_DIR, 'index.html'));
    if (pathname === '/api/prometheus-results') {
      const results = this.results.get(searchParams.get('panel') as PanelName);
      if (results === undefined) return { status: 404, type: 'text/plain', body: 'no results for this panel' };
      return { status: 200, type: 'application/json', body: JSON.stringify(results) };
    }
    if (pathname.startsWith('/harness/')) return this.file(join(HARNESS_DIST, pathname.slice('/harness/'.length)));
    if (pathname.startsWith('/dist/')) return this.file(join(PLUGIN_DIST, pathname.slice('/dist/'.length)));
    const pluginFolder = `/public/plugins/${this.app.plugin.id}/`;
    if (pathname.startsWith(pluginFolder)) return this.file(join(PLUGIN_DIST, pathname.slice(pluginFolder.length)));
    if (pathname.startsWith('/public/build/img/')) {
      return this.file(join(GRAFANA_UI_IMAGES, pathname.slice('/public/build/img/'.length)));
    }
    return { status: 404, type: 'text/plain', body: 'not found' };
  }

  private async file(path: string): Promise<{ status: number; type: string; body: string | Buffer }> {
    const normalized = normalize(path);
    const allowed = [HARNESS_DIR, PLUGIN_DIST, GRAFANA_UI_IMAGES].some((root) => normalized.startsWith(root + sep));
    if (!allowed) return { status: 403, type: 'text/plain', body: 'outside the served folders' };
    try {
      return {
        status: 200,
        type: CONTENT_TYPES[extname(normalized)] ?? 'application/octet-stream',
        body: await readFile(normalized),
      };
    } catch {
      return { status: 404, type: 'text/plain', body: 'not found' };
    }
  }
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/**
 * What a Grafana server serves from its own public/ folder and no npm package ships, so the harness cannot: the web
 * fonts @grafana/ui's GlobalStyles declares (Inter, Roboto Mono, at public/fonts/; text falls back to the theme's
 * other fonts) and the `spinner` icon of @grafana/ui's Spinner (LoadingPlaceholder), which Grafana keeps at
 * public/build/img/icons/unicons/spinner.svg (@grafana/ui's own icon folder has none; the spinner is drawn without
 * its glyph). Their failed loads are the expected errors; nothing else is excused.
 */
function isGrafanaServerAsset(url: string): boolean {
  const { pathname } = new URL(url, 'http://harness');
  return /\/public\/fonts\/[^?#]+\.woff2$/.test(pathname) || pathname === '/public/build/img/icons/unicons/spinner.svg';
}

/** A page of the harness, with every console error and uncaught exception kept for the test to check. */
export class HarnessPage {
  readonly errors: string[] = [];

  private constructor(readonly page: Page) {
    page.on('console', (message: ConsoleMessage) => {
      if (message.type() !== 'error' || isGrafanaServerAsset(message.location().url)) return;
      this.errors.push(`console.error: ${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error: Error) => this.errors.push(`uncaught: ${error.stack ?? error.message}`));
    page.on('requestfailed', (request) => {
      if (isGrafanaServerAsset(request.url())) return;
      this.errors.push(`request failed: ${request.url()} (${request.failure()?.errorText ?? '?'})`);
    });
  }

  static async open(browser: Browser, base: string, viewport = { width: 1280, height: 900 }): Promise<HarnessPage> {
    const page = await browser.newPage({ viewport, deviceScaleFactor: 1 });
    const harnessPage = new HarnessPage(page);
    await page.goto(`${base}/`, { waitUntil: 'load' });
    // A string, evaluated in the page: this project's TypeScript has no DOM types.
    await page.waitForFunction("document.documentElement.dataset.harness === 'ready'", undefined, { timeout: 30_000 });
    return harnessPage;
  }

  /** Calls one of the harness API's methods in the page. */
  call<K extends keyof FlowlensHarness>(
    method: K,
    ...args: Parameters<FlowlensHarness[K]>
  ): Promise<Awaited<ReturnType<FlowlensHarness[K]>>> {
    return this.page.evaluate(
      ([name, params]) => {
        const harness = (
          globalThis as unknown as { flowlensHarness: Record<string, (...values: unknown[]) => unknown> }
        ).flowlensHarness;
        return harness[name]!(...params);
      },
      [method, args] as [string, unknown[]],
    ) as Promise<Awaited<ReturnType<FlowlensHarness[K]>>>;
  }

  mount(request: MountRequest): Promise<MountResult> {
    return this.call('mount', request);
  }

  async close(): Promise<void> {
    await this.page.close();
  }
}

/**
 * A mouse drag across the middle of `locator` lasting about `durationMs` (one move per 16 ms), with the page's
 * animation frames recorded meanwhile; returns their intervals in milliseconds. Used by the real panels' test and the bench.
 */
export async function dragAcross(page: Page, locator: Locator, durationMs: number): Promise<number[]> {
  const box = await locator.boundingBox();
  assert.ok(box, 'the element is laid out');
  const start = { x: box.x + box.width * 0.3, y: box.y + box.height * 0.5 };
  const steps = Math.max(2, Math.round(durationMs / 16));
  await page.evaluate('window.flowlensHarness.startFrameRecorder()');
  await page.mouse.move(start.x, start.y);
  await page.mouse.down();
  const began = Date.now();
  for (let step = 1; step <= steps; step++) {
    const along = step / steps;
    // There and back: a pan to the right and down, then back, so the graph stays in view.
    const offset = along < 0.5 ? along * 2 : (1 - along) * 2;
    await page.mouse.move(start.x + offset * box.width * 0.4, start.y + offset * box.height * 0.2);
    const due = began + step * 16;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((resolveWait) => setTimeout(resolveWait, wait));
  }
  await page.mouse.up();
  return (await page.evaluate('window.flowlensHarness.stopFrameRecorder()')) as number[];
}
