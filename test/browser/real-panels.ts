/**
 * The browser assertions for the drawn panels, against their DOM contract (grafana-plugin/README.md, "The service
 * graph panel" and "Policy flow panel"), run by test/browser.test.ts against the plugin's BUILT modules.
 *
 * Service graph: root `[data-testid=flowlens-service-graph]` with `data-node-count`/`data-edge-count`; `<canvas
 * data-testid=sg-canvas>`; legend `sg-legend-{allowed,denied,mixed}`, each with an `sg-swatch` whose background is
 * the canvas stroke color of that verdict; native controls: a `Search workloads` input (Enter selects the first match
 * and centres it), `Only denied` and `Only unhealthy` checkboxes, a `Namespaces` `<select multiple>`, `Protocol`,
 * `Port`, `Level`, `Color by` selects; side panel `sg-details` titled (`sg-details-title`) `namespace/name` for a
 * node, `source → target` for an edge; performance measures `flowlens:service-graph:layout` and
 * `flowlens:service-graph:draw`; dragging pans.
 *
 * Policy flow: root `[data-testid=flowlens-policy-flow]` with `data-link-count`, `data-policy-count` (policy nodes
 * drawn); `<g data-testid=pf-node data-kind=source|policy|dest data-id>`, a policy node per policy and action
 * (`<tier>/<policy>:<action>`, `staged:<policy>:<action>`, past `topPolicies` merged into `__other__...` nodes, which
 * are not buttons); `<path data-testid=pf-link data-action data-staged>`; a "Table" radio option showing `pf-table`
 * with `pf-row` rows; clicking a policy node shows `pf-policy-filter` and leaves only that policy's nodes and links.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import {
  DEMO_DENIED_EDGE,
  expectedPolicyFlows,
  expectedServiceGraph,
  expectedServiceNodes,
  namespaceOf,
} from './expected';
import { type BrowserContext, HarnessPage, dragAcross } from './harness';

/** Per channel: antialiased edges blend into the background, their cores keep the stroke color. */
const COLOR_TOLERANCE = 12;

async function numberAttribute(locator: Locator, name: string): Promise<number> {
  const value = await locator.getAttribute(name, { timeout: 30_000 });
  assert.ok(value !== null && /^\d+$/.test(value), `${name}="${value}" is a count`);
  return Number(value);
}

/** Waits until the attribute holds `expected` (the panels update asynchronously), then compares. */
async function expectCount(locator: Locator, name: string, expected: number, why: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  let actual = await numberAttribute(locator, name);
  while (actual !== expected && Date.now() < deadline) {
    await new Promise((resolveSleep) => setTimeout(resolveSleep, 100));
    actual = await numberAttribute(locator, name);
  }
  assert.equal(actual, expected, `${name}: ${why}`);
}

/** Two animation frames: whatever a change scheduled with requestAnimationFrame has been drawn. */
function nextFrames(page: Page): Promise<unknown> {
  return page.evaluate('new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))');
}

async function swatchColor(page: Page, verdict: 'allowed' | 'denied' | 'mixed'): Promise<string> {
  const swatch = page.getByTestId(`sg-legend-${verdict}`).getByTestId('sg-swatch');
  return swatch.evaluate((element) => {
    const view = globalThis as unknown as { getComputedStyle(target: unknown): { backgroundColor: string } };
    return view.getComputedStyle(element).backgroundColor;
  });
}

/** The tag name and type of a labelled control: the panels' controls are native elements. */
function controlKind(locator: Locator): Promise<string> {
  return locator.evaluate((element) => {
    const control = element as unknown as { tagName: string; type?: string; multiple?: boolean };
    return `${control.tagName.toLowerCase()}${control.multiple ? '[multiple]' : ''}:${control.type ?? ''}`;
  });
}

async function detailsTitle(page: Page): Promise<string> {
  await page.getByTestId('sg-details').waitFor({ timeout: 30_000 });
  return ((await page.getByTestId('sg-details-title').textContent()) ?? '').trim();
}

function dataIds(locator: Locator): Promise<string[]> {
  return locator.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-id') ?? '').sort());
}

export function registerRealPanelTests(context: () => BrowserContext): void {
  test('service graph: counts, only-denied pixels, node and edge details, namespace filter, native controls', async () => {
    const { browser, server, serviceGraph, expected, artifacts } = context();
    const page = await HarnessPage.open(browser, server.base);
    try {
      const mounted = await page.mount({ panel: 'service-graph', frames: 'prometheus', width: 1200, height: 800 });
      assert.equal(mounted.defaults['onlyDenied'], false, "the defaults come from the plugin's options builder");
      assert.ok(mounted.frameCount > expected.edges.length, 'one frame per series, several rules per edge');
      assert.ok(expected.edges.length >= 10, `the demo has dozens of edges, got ${expected.edges.length}`);
      const root = page.page.getByTestId('flowlens-service-graph');
      await expectCount(root, 'data-node-count', expected.nodes.length, 'the nodes of the Prometheus frames');
      await expectCount(root, 'data-edge-count', expected.edges.length, 'the non-idle edges of the frames');
      const canvas = page.page.getByTestId('sg-canvas');
      await canvas.waitFor();
      await nextFrames(page.page);
      const measures = (await page.call('measures', 'flowlens:service-graph:')).map((measure) => measure.name);
      assert.ok(measures.includes('flowlens:service-graph:layout'), measures.join(', '));
      assert.ok(measures.includes('flowlens:service-graph:draw'), measures.join(', '));

      // The native controls the contract names, each found by its label.
      const controls: [string, string][] = [
        ['Search workloads', 'input:text'],
        ['Only denied', 'input:checkbox'],
        ['Only unhealthy', 'input:checkbox'],
        ['Namespaces', 'select[multiple]:select-multiple'],
        ['Protocol', 'select:select-one'],
        ['Port', 'select:select-one'],
        ['Level', 'select:select-one'],
        ['Color by', 'select:select-one'],
        ['Show services', 'input:checkbox'],
      ];
      for (const [label, kind] of controls) {
        assert.equal(await controlKind(page.page.getByLabel(label, { exact: true })), kind, `the control ${label}`);
      }
      assert.equal(await page.page.getByLabel('Only unhealthy', { exact: true }).isChecked(), false);
      assert.equal(await page.page.getByLabel('Show services', { exact: true }).isChecked(), false, 'off by default');
      // Endpoints outside the cluster (world, private, network sets) are drawn as networks, with a legend entry.
      const networks = expected.nodes.filter((id) => namespaceOf(id) === '');
      assert.ok(networks.length > 0, `the demo has peers outside the cluster: ${expected.nodes.join(', ')}`);
      await page.page.getByTestId('sg-legend-node-network').waitFor({ timeout: 30_000 });
      assert.equal(await page.page.getByTestId('sg-legend-node-service').count(), 0, 'no service node by default');

      const allowedColor = await swatchColor(page.page, 'allowed');
      const deniedColor = await swatchColor(page.page, 'denied');
      assert.notEqual(allowedColor, deniedColor, 'the legend tells allowed from denied');
      const colorCounts = () =>
        page.call('canvasColorCounts', '[data-testid="sg-canvas"]', [allowedColor, deniedColor], COLOR_TOLERANCE);
      const before = await colorCounts();
      assert.ok(before.counts[0]!.pixels > 0, `allowed edges drawn in ${allowedColor}`);
      assert.ok(before.counts[1]!.pixels > 0, `denied edges drawn in ${deniedColor}`);
      await page.page.getByTestId('harness-panel').screenshot({ path: join(artifacts, 'service-graph.png') });

      // Only denied: fewer edges, none drawn in the allowed color.
      const onlyDenied = page.page.getByLabel('Only denied', { exact: true });
      await onlyDenied.check();
      const deniedEdges = expected.edges.filter((edge) => edge.verdict !== 'allowed');
      assert.ok(deniedEdges.length > 0 && deniedEdges.length < expected.edges.length);
      await expectCount(root, 'data-edge-count', deniedEdges.length, 'only the edges with denied flows');
      await nextFrames(page.page);
      const after = await colorCounts();
      assert.ok(after.counts[1]!.pixels > 0, `the denied edges still drawn in ${deniedColor}`);
      assert.equal(after.counts[0]!.pixels, 0, `no pixel in the allowed color ${allowedColor}`);
      await page.page
        .getByTestId('harness-panel')
        .screenshot({ path: join(artifacts, 'service-graph-only-denied.png') });

      // Search, Enter: the first match is selected and centred, so a click in the canvas' centre selects it. The
      // search also narrows the drawing to the edges of the matching nodes: with Only denied still on, the denied
      // edges of data/orders-db.
      const target = DEMO_DENIED_EDGE.target;
      assert.deepEqual(
        expected.nodes.filter((node) => node.includes(target)),
        [target],
        'the searched text matches one node',
      );
      const fullyDenied = deniedEdges
        .filter((edge) => edge.verdict === 'denied' && (edge.source === target || edge.target === target))
        .map((edge) => `${edge.source} → ${edge.target}`);
      assert.ok(fullyDenied.includes(`${DEMO_DENIED_EDGE.source} → ${target}`), `denied edges: ${fullyDenied}`);
      const search = page.page.getByLabel('Search workloads', { exact: true });
      await search.fill(target);
      await search.press('Enter');
      await nextFrames(page.page);
      const box = await canvas.boundingBox();
      assert.ok(box, 'the canvas is laid out');
      const centre = { x: box.width / 2, y: box.height / 2 };
      await canvas.click({ position: centre });
      assert.equal(await detailsTitle(page.page), target, 'the node found and centred is the one clicked');
      await page.page.getByTestId('harness-panel').screenshot({ path: join(artifacts, 'service-graph-details.png') });

      // An edge: the pixel in the denied color nearest to the centred node, clear of its disc (radius 10 at zoom
      // 1.2 at least, and picking prefers nodes): every edge in that color is a fully denied edge of the node.
      await nextFrames(page.page);
      const edgePixel = await page.call(
        'nearestCanvasPixel',
        '[data-testid="sg-canvas"]',
        deniedColor,
        COLOR_TOLERANCE,
        centre,
        30,
      );
      assert.ok(edgePixel, `a pixel in the denied color ${deniedColor} around the centred ${target}`);
      await canvas.click({ position: edgePixel });
      const edgeTitle = await detailsTitle(page.page);
      assert.ok(edgeTitle.includes('→'), `an edge's details, got "${edgeTitle}"`);
      assert.ok(fullyDenied.includes(edgeTitle), `"${edgeTitle}" is one of ${target}'s denied edges: ${fullyDenied}`);
      await page.page
        .getByTestId('harness-panel')
        .screenshot({ path: join(artifacts, 'service-graph-edge-details.png') });
      await page.page.getByRole('button', { name: 'Close details' }).click();
      await page.page.getByTestId('sg-details').waitFor({ state: 'detached', timeout: 30_000 });

      await search.fill('');
      await onlyDenied.uncheck();
      await expectCount(root, 'data-edge-count', expected.edges.length, 'all edges again');
      await expectCount(root, 'data-node-count', expected.nodes.length, 'all nodes again');

      // Show services: a service node per dest_service of the shown edges, between callers and backends.
      const services = expectedServiceNodes(serviceGraph, expected);
      assert.ok(services.length > 0, 'the demo addresses flows to services');
      const showServices = page.page.getByLabel('Show services', { exact: true });
      await showServices.check();
      await expectCount(
        root,
        'data-node-count',
        expected.nodes.length + services.length,
        `the nodes and the services ${services.join(', ')}`,
      );
      await page.page.getByTestId('sg-legend-node-service').waitFor({ timeout: 30_000 });
      await nextFrames(page.page);
      await page.page.getByTestId('harness-panel').screenshot({ path: join(artifacts, 'service-graph-services.png') });
      await showServices.uncheck();
      await expectCount(root, 'data-node-count', expected.nodes.length, 'no service nodes again');
      await expectCount(root, 'data-edge-count', expected.edges.length, 'the workload edges again');

      // Namespace filter: edges with either end in `data`.
      const namespace = namespaceOf(target);
      const narrowed = expectedServiceGraph(serviceGraph, [namespace]);
      assert.ok(narrowed.edges.length > 0 && narrowed.edges.length < expected.edges.length);
      await page.page.getByLabel('Namespaces', { exact: true }).selectOption([namespace]);
      await expectCount(root, 'data-edge-count', narrowed.edges.length, `edges with an end in ${namespace}`);
      await expectCount(root, 'data-node-count', narrowed.nodes.length, `their nodes`);
      assert.deepEqual(page.errors, []);
    } finally {
      await page.close();
    }
  });

  test('policy flow: policy nodes and links of the real frames, click a policy to filter, table mode', async () => {
    const { browser, server, policyFlow, artifacts } = context();
    const page = await HarnessPage.open(browser, server.base);
    try {
      const mounted = await page.mount({ panel: 'policy-flow', frames: 'prometheus', width: 1200, height: 800 });
      const topPolicies = mounted.defaults['topPolicies'];
      assert.equal(topPolicies, 40, "topPolicies' default");
      const expected = expectedPolicyFlows(policyFlow, topPolicies);
      assert.ok(expected.policyNodes.length > 1, `policy nodes: ${expected.policyNodes.join(', ')}`);
      const root = page.page.getByTestId('flowlens-policy-flow');
      await expectCount(root, 'data-policy-count', expected.policyNodes.length, expected.policyNodes.join(', '));
      const policyNodes = page.page.locator('[data-testid="pf-node"][data-kind="policy"]');
      assert.deepEqual(await dataIds(policyNodes), expected.policyNodes, 'one node per policy and action');
      const links = page.page.getByTestId('pf-link');
      const linkCount = await numberAttribute(root, 'data-link-count');
      assert.equal(await links.count(), linkCount, 'one path per link');
      assert.ok((await page.page.locator('[data-testid="pf-node"][data-kind="source"]').count()) > 0);
      assert.ok((await page.page.locator('[data-testid="pf-node"][data-kind="dest"]').count()) > 0);
      assert.ok((await page.page.locator('[data-testid="pf-link"][data-action="deny"]').count()) > 0, 'denied flows');
      assert.ok((await page.page.locator('[data-testid="pf-link"][data-staged="true"]').count()) > 0, 'staged policy');
      // Merged nodes stand for several policies: only a real policy's node is a button.
      const buttons = page.page.locator('[data-testid="pf-node"][data-kind="policy"][role="button"]');
      assert.deepEqual(
        await dataIds(buttons),
        expected.policyNodes.filter((id) => !id.startsWith('__other__')),
        'the policy nodes that filter on a click',
      );
      await page.page.getByTestId('harness-panel').screenshot({ path: join(artifacts, 'policy-flow.png') });

      // Click a policy: only its nodes (one per action) and their links remain.
      const denying = expected.flows.find((flow) => flow.action === 'deny' && !flow.staged);
      assert.ok(denying, 'an enforced policy denies some flows');
      const ownNodes = [...new Set(expected.flows.filter((f) => f.policy === denying.policy).map((f) => f.node))];
      const ownFlows = expected.flows.filter((flow) => flow.policy === denying.policy).length;
      await page.page.locator(`[data-testid="pf-node"][data-id="${denying.node}"]`).click();
      await page.page.getByTestId('pf-policy-filter').waitFor({ timeout: 30_000 });
      await expectCount(root, 'data-policy-count', ownNodes.length, `the nodes of ${denying.policy}`);
      assert.deepEqual(await dataIds(policyNodes), ownNodes.sort());
      const filteredLinks = await numberAttribute(root, 'data-link-count');
      assert.ok(filteredLinks > 0 && filteredLinks < linkCount, `${filteredLinks} of ${linkCount} links remain`);
      assert.equal(await links.count(), filteredLinks);
      assert.deepEqual(
        [...new Set(await links.evaluateAll((paths) => paths.map((path) => path.getAttribute('data-action'))))].sort(),
        [...new Set(expected.flows.filter((f) => f.policy === denying.policy).map((f) => f.action))].sort(),
        "the links carry the policy's actions only",
      );

      // The table, still filtered: a row per flow through the policy; clearing the filter lists every flow.
      await page.page.getByRole('radio', { name: 'Table', exact: true }).check();
      const table = page.page.getByTestId('pf-table');
      await table.waitFor({ timeout: 30_000 });
      assert.equal(await root.getAttribute('data-mode'), 'table');
      const rows = table.getByTestId('pf-row');
      assert.equal(await rows.count(), ownFlows, `the flows through ${denying.policy}`);
      await page.page.getByRole('button', { name: 'Clear policy filter' }).click();
      await page.page.getByTestId('pf-policy-filter').waitFor({ state: 'detached', timeout: 30_000 });
      await expectCount(root, 'data-policy-count', expected.policyNodes.length, 'every policy node again');
      assert.equal(await rows.count(), expected.flows.length, 'a row per flow');
      await page.page.getByTestId('harness-panel').screenshot({ path: join(artifacts, 'policy-flow-table.png') });
      assert.deepEqual(page.errors, []);
    } finally {
      await page.close();
    }
  });

  test('service graph at scale: 1,000 nodes and 5,000 edges drawn, measured, and panned', async () => {
    const { browser, server, artifacts } = context();
    const page = await HarnessPage.open(browser, server.base);
    try {
      const mounted = await page.mount({
        panel: 'service-graph',
        frames: 'synthetic',
        synthetic: { nodes: 1000, edges: 5000 },
        width: 1200,
        height: 800,
      });
      assert.deepEqual(
        { nodes: mounted.expected?.nodes, edges: mounted.expected?.edges },
        { nodes: 1000, edges: 5000 },
        'the synthetic graph asked for',
      );
      const root = page.page.getByTestId('flowlens-service-graph');
      await expectCount(root, 'data-node-count', 1000, 'every synthetic node');
      await expectCount(root, 'data-edge-count', 5000, 'every synthetic edge');
      await nextFrames(page.page);
      const layouts = await page.call('measures', 'flowlens:service-graph:layout');
      assert.ok(layouts.length > 0, 'the layout was measured');
      const drawsBefore = (await page.call('measures', 'flowlens:service-graph:draw')).length;
      assert.ok(drawsBefore > 0, 'the draw was measured');
      // A pan redraws (requestAnimationFrame): frames are recorded; their timings are the bench's, not asserted.
      await dragAcross(page.page, page.page.getByTestId('sg-canvas'), 500);
      await nextFrames(page.page);
      const drawsAfter = (await page.call('measures', 'flowlens:service-graph:draw')).length;
      assert.ok(
        drawsAfter > drawsBefore,
        `panning redrew the graph (${drawsBefore} draws before, ${drawsAfter} after)`,
      );
      await page.page.getByTestId('harness-panel').screenshot({ path: join(artifacts, 'service-graph-scale.png') });
      assert.deepEqual(page.errors, []);
    } finally {
      await page.close();
    }
  });
}
