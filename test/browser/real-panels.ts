/**
 * The browser assertions for the drawn panels, against the DOM contract the service graph and policy flow panels
 * implement (grafana-plugin/README.md, "Browser test"). Written before those panels exist: test/browser.test.ts runs
 * them against the reference doubles in test/browser/reference-panels (which meet the contract and nothing more), so
 * the assertions themselves are known to work; once the panels are merged, `registerRealPanelTests(() => context)`
 * there (one line, marked) runs them against the built plugin, and the today-only table assertions go.
 *
 * Service graph: root `[data-testid=flowlens-service-graph]` with `data-node-count`/`data-edge-count`; `<canvas
 * data-testid=sg-canvas>`; legend `sg-legend-{allowed,denied,mixed}`, each with an `sg-swatch` whose background is
 * the canvas stroke color of that verdict; a `Search workloads` input (Enter selects the first match and centres it);
 * `Only denied` and `Only unhealthy` switches; a `Namespaces` multi-select; `Protocol`, `Port`, `Color by` controls;
 * side panel `sg-details` titled (`sg-details-title`) `namespace/name` for a node, `source → target` for an edge;
 * performance measures `flowlens:service-graph:layout` and `flowlens:service-graph:draw`; dragging pans.
 *
 * Policy flow: root `[data-testid=flowlens-policy-flow]` with `data-link-count`, `data-policy-count`; `<g
 * data-testid=pf-node data-kind=source|policy|dest data-id>`; `<path data-testid=pf-link data-action data-staged>`; a
 * `Table` toggle showing `pf-table`; clicking a policy node shows `pf-policy-filter` and leaves only its links.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { expectedServiceGraph, namespaceOf } from './expected';
import { type BrowserContext, HarnessPage, type PrometheusResults, dragAcross } from './harness';

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

/**
 * @grafana/ui's Switch draws its knob as a `<label for>` over the (transparent) checkbox: a click where the user
 * clicks lands on that label, which toggles the checkbox. `force` lets Playwright click there anyway.
 */
async function setSwitch(locator: Locator, on: boolean): Promise<void> {
  await locator.setChecked(on, { force: true, timeout: 30_000 });
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

/** The policies the policy flow's results name (enforced and staged), each a policy node. */
function expectedPolicies(results: PrometheusResults): string[] {
  const policies = new Set<string>();
  for (const result of Object.values(results.results)) {
    for (const sample of result.data?.result ?? []) {
      const policy = sample.metric['policy'];
      if (policy !== undefined && policy !== '' && Number(sample.value[1]) > 0) policies.add(policy);
    }
  }
  return [...policies].sort();
}

export function registerRealPanelTests(context: () => BrowserContext): void {
  test('service graph: counts, only-denied pixels, search and select, namespace filter', async () => {
    const { browser, server, serviceGraph, expected, artifacts } = context();
    const page = await HarnessPage.open(browser, server.base);
    try {
      await page.mount({ panel: 'service-graph', frames: 'prometheus', width: 1200, height: 800 });
      const root = page.page.getByTestId('flowlens-service-graph');
      await expectCount(root, 'data-node-count', expected.nodes.length, 'the nodes of the Prometheus frames');
      await expectCount(root, 'data-edge-count', expected.edges.length, 'the non-idle edges of the frames');
      const canvas = page.page.getByTestId('sg-canvas');
      await canvas.waitFor();
      await nextFrames(page.page);
      const measures = (await page.call('measures', 'flowlens:service-graph:')).map((measure) => measure.name);
      assert.ok(measures.includes('flowlens:service-graph:layout'), measures.join(', '));
      assert.ok(measures.includes('flowlens:service-graph:draw'), measures.join(', '));

      const allowedColor = await swatchColor(page.page, 'allowed');
      const deniedColor = await swatchColor(page.page, 'denied');
      assert.notEqual(allowedColor, deniedColor, 'the legend tells allowed from denied');
      const before = await page.call(
        'canvasColorCounts',
        '[data-testid="sg-canvas"]',
        [allowedColor, deniedColor],
        COLOR_TOLERANCE,
      );
      assert.ok(before.counts[0]!.pixels > 0, `allowed edges drawn in ${allowedColor}`);
      assert.ok(before.counts[1]!.pixels > 0, `denied edges drawn in ${deniedColor}`);
      await page.page.getByTestId('harness-panel').screenshot({ path: join(artifacts, 'real-service-graph.png') });

      // Only denied: fewer edges, none drawn in the allowed color.
      await setSwitch(page.page.getByLabel('Only denied'), true);
      const deniedEdges = expected.edges.filter((edge) => edge.verdict !== 'allowed');
      await expectCount(root, 'data-edge-count', deniedEdges.length, 'only the edges with denied flows');
      await nextFrames(page.page);
      const after = await page.call(
        'canvasColorCounts',
        '[data-testid="sg-canvas"]',
        [allowedColor, deniedColor],
        COLOR_TOLERANCE,
      );
      assert.ok(after.counts[1]!.pixels > 0, `the denied edges still drawn in ${deniedColor}`);
      assert.equal(after.counts[0]!.pixels, 0, `no pixel in the allowed color ${allowedColor}`);
      await page.page
        .getByTestId('harness-panel')
        .screenshot({ path: join(artifacts, 'real-service-graph-only-denied.png') });
      await setSwitch(page.page.getByLabel('Only denied'), false);
      await expectCount(root, 'data-edge-count', expected.edges.length, 'all edges again');

      // Search, Enter: the first match is selected and centred, so a click in the canvas' centre selects it.
      const target = 'data/orders-db';
      assert.deepEqual(
        expected.nodes.filter((node) => node.includes(target)),
        [target],
        'the searched text matches one node',
      );
      const search = page.page.getByLabel('Search workloads');
      await search.fill(target);
      await search.press('Enter');
      await nextFrames(page.page);
      await canvas.click({ position: await centreOf(canvas) });
      await page.page.getByTestId('sg-details').waitFor({ timeout: 30_000 });
      assert.equal((await page.page.getByTestId('sg-details-title').textContent())?.trim(), target);
      await page.page
        .getByTestId('harness-panel')
        .screenshot({ path: join(artifacts, 'real-service-graph-details.png') });
      await search.fill('');

      // Namespace filter: edges with either end in `data`.
      const namespace = 'data';
      assert.ok(expected.nodes.some((node) => namespaceOf(node) === namespace));
      const narrowed = expectedServiceGraph(serviceGraph, [namespace]);
      assert.ok(narrowed.edges.length < expected.edges.length);
      const namespaces = page.page.getByLabel('Namespaces');
      await namespaces.click();
      await namespaces.fill(namespace);
      await namespaces.press('Enter');
      await expectCount(root, 'data-edge-count', narrowed.edges.length, `edges with an end in ${namespace}`);
      await expectCount(root, 'data-node-count', narrowed.nodes.length, `their nodes`);
      for (const label of ['Only unhealthy', 'Protocol', 'Port', 'Color by']) {
        assert.ok((await page.page.getByLabel(label).count()) > 0, `a control labelled ${label}`);
      }
      assert.deepEqual(page.errors, []);
    } finally {
      await page.close();
    }
  });

  test('policy flow: nodes and links of the real frames, table mode, click a policy to filter', async () => {
    const { browser, server, policyFlow, artifacts } = context();
    const page = await HarnessPage.open(browser, server.base);
    try {
      await page.mount({ panel: 'policy-flow', frames: 'prometheus', width: 1200, height: 800 });
      const root = page.page.getByTestId('flowlens-policy-flow');
      const policies = expectedPolicies(policyFlow);
      assert.ok(policies.length > 0);
      await expectCount(
        root,
        'data-policy-count',
        policies.length,
        `the policies of the frames: ${policies.join(', ')}`,
      );
      const links = page.page.getByTestId('pf-link');
      const linkCount = await numberAttribute(root, 'data-link-count');
      assert.equal(await links.count(), linkCount, 'one path per link');
      const policyNodes = page.page.locator('[data-testid="pf-node"][data-kind="policy"]');
      assert.deepEqual(
        (await policyNodes.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-id') ?? ''))).sort(),
        policies,
      );
      assert.ok((await page.page.locator('[data-testid="pf-node"][data-kind="source"]').count()) > 0);
      assert.ok((await page.page.locator('[data-testid="pf-node"][data-kind="dest"]').count()) > 0);
      assert.ok((await page.page.locator('[data-testid="pf-link"][data-action="deny"]').count()) > 0, 'denied flows');
      assert.ok((await page.page.locator('[data-testid="pf-link"][data-staged="true"]').count()) > 0, 'staged policy');
      await page.page.getByTestId('harness-panel').screenshot({ path: join(artifacts, 'real-policy-flow.png') });

      // Click a policy: only its links remain.
      const policyNode = policyNodes.first();
      const policy = await policyNode.getAttribute('data-id');
      await policyNode.click();
      await page.page.getByTestId('pf-policy-filter').waitFor({ timeout: 30_000 });
      const filteredLinks = await numberAttribute(root, 'data-link-count');
      assert.ok(filteredLinks > 0 && filteredLinks < linkCount, `${filteredLinks} of ${linkCount} links remain`);
      assert.equal(await links.count(), filteredLinks);
      assert.deepEqual(
        await page.page
          .locator('[data-testid="pf-node"][data-kind="policy"]')
          .evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-id'))),
        [policy],
      );

      await page.page
        .getByRole('radio', { name: 'Table' })
        .or(page.page.getByRole('button', { name: 'Table' }))
        .first()
        .click();
      await page.page.getByTestId('pf-table').waitFor({ timeout: 30_000 });
      await page.page.getByTestId('harness-panel').screenshot({ path: join(artifacts, 'real-policy-flow-table.png') });
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
      const root = page.page.getByTestId('flowlens-service-graph');
      await expectCount(root, 'data-node-count', mounted.expected!.nodes, 'every synthetic node');
      await expectCount(root, 'data-edge-count', mounted.expected!.edges, 'every synthetic edge');
      await nextFrames(page.page);
      const measures = (await page.call('measures', 'flowlens:service-graph:')).map((measure) => measure.name);
      assert.ok(measures.includes('flowlens:service-graph:layout') && measures.includes('flowlens:service-graph:draw'));
      // A pan redraws (requestAnimationFrame): frames are recorded; their timings are the bench's, not asserted.
      const drawsBefore = (await page.call('measures', 'flowlens:service-graph:draw')).length;
      await dragAcross(page.page, page.page.getByTestId('sg-canvas'), 500);
      const drawsAfter = (await page.call('measures', 'flowlens:service-graph:draw')).length;
      assert.ok(drawsAfter > drawsBefore, 'panning redrew the graph');
      await page.page
        .getByTestId('harness-panel')
        .screenshot({ path: join(artifacts, 'real-service-graph-scale.png') });
      assert.deepEqual(page.errors, []);
    } finally {
      await page.close();
    }
  });
}

async function centreOf(locator: Locator): Promise<{ x: number; y: number }> {
  const box = await locator.boundingBox();
  assert.ok(box, 'the element is laid out');
  return { x: box.width / 2, y: box.height / 2 };
}
