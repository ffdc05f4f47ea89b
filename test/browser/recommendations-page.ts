/**
 * The app's Recommendations page in a real browser, against a real exporter, run by test/browser.test.ts: the harness
 * page loads the BUILT app module (grafana-plugin/dist/module.js) as Grafana does and opens `plugin.root` at
 * /a/<id>/recommendations; its calls go through the harness server's emulation of Grafana's plugin proxy
 * (test/browser/plugin-proxy.ts, driven by dist/plugin.json's `routes`) to `flowlens serve --demo` with an `api`
 * section, the demo cluster as `resources` and a stale `flowlens-recommended-cart` enforced, so the diff has a
 * `changed` policy (and `new` ones).
 *
 * The demo keeps drawing flows, so counts move between two calls: what the page shows is compared with the answer
 * the proxy passed to the page (recorded as it went by, parsed here, not with the page's data code); a direct call to
 * the exporter checks that answer is the exporter's (same policies and statuses once the demo has shown every
 * workload).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { demoResourceObjects, demoWorkloadPods } from '@flowlens/exporter/dist/src/demo/resources';
import { childEnvironment, fetchText, freePort, testWorkspace, waitFor } from '../support';
import { type BrowserContext, HarnessPage } from './harness';
import type { GrafanaAppBackend } from './plugin-proxy';

const TOKEN = 'browser-recommendations-token';
const STALE_POLICY = 'flowlens-recommended-cart';
/** In test/artifacts: the page as it opens, and the changed policy of shop (docs/images/browser-recommendations.png). */
const SCREENSHOT = 'recommendations.png';
const CHANGED_SCREENSHOT = 'recommendations-changed.png';

/** The fields of the exporter's answer the assertions read (its documented JSON, docs/api.md). */
interface Answer {
  format: string;
  namespace: string | null;
  diff: {
    policies: {
      kind: string;
      namespace: string;
      name: string;
      status: string;
      yaml: string;
      yamlDiff: { op: string; text: string }[] | null;
    }[];
    traffic: {
      observedDeniedToday: { evaluated: number; denied: number; flows: { source: string; destination: string }[] };
      allowedBeyondObserved: { allowed: number; estimatedAllowed: number; sampled: boolean };
    };
  };
}

/** The stale policy the cluster enforces for the demo's cart: ingress on a port nobody uses, so every flow to it is denied. */
function staleCartPolicy(): Record<string, unknown> {
  const cart = demoWorkloadPods().find(
    (workload) => workload.spec.namespace === 'shop' && workload.spec.name === 'cart',
  );
  assert.ok(cart, 'the demo has shop/cart');
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: STALE_POLICY,
      namespace: 'shop',
      labels: { 'app.kubernetes.io/managed-by': 'flowlens' },
      resourceVersion: '1',
      uid: 'browser-recommendations-cart',
    },
    spec: {
      podSelector: { matchLabels: cart.spec.labels },
      policyTypes: ['Ingress'],
      ingress: [{ ports: [{ protocol: 'TCP', port: 1 }] }],
    },
  };
}

/** What each policy section of the page shows: its label, and its heading row's text (title, badge, counts). */
interface DrawnPolicy {
  label: string;
  row: string[];
  removed: string[];
  added: string[];
}

async function drawnPolicies(page: Page): Promise<DrawnPolicy[]> {
  // A string, evaluated in the page: this project's TypeScript has no DOM types.
  return (await page.evaluate(`[...document.querySelectorAll('section[aria-label]')]
    .filter((section) => section.getAttribute('aria-label') !== 'Traffic')
    .map((section) => ({
      label: section.getAttribute('aria-label'),
      row: section.firstElementChild.innerText.split('\\n').map((text) => text.trim()).filter((text) => text !== ''),
      removed: [...section.querySelectorAll('[data-op=removed]')].map((line) => line.textContent),
      added: [...section.querySelectorAll('[data-op=added]')].map((line) => line.textContent),
    }))`)) as DrawnPolicy[];
}

/** The answer the proxy last passed on for a query that has these parameters. */
function proxiedAnswer(app: GrafanaAppBackend, parameters: Record<string, string | undefined>): Answer {
  const call = [...app.calls].reverse().find((made) => {
    const query = new URL(made.target).searchParams;
    return Object.entries(parameters).every(([name, value]) => (query.get(name) ?? undefined) === value);
  });
  assert.ok(call, `the proxy passed on an answer for ${JSON.stringify(parameters)}`);
  assert.equal(call.status, 200, call.body);
  return JSON.parse(call.body) as Answer;
}

function assertPoliciesDrawn(drawn: DrawnPolicy[], answer: Answer): void {
  assert.deepEqual(
    drawn.map((policy) => `${policy.label} ${policy.row[1]}`),
    answer.diff.policies.map((policy) => `${policy.kind} ${policy.namespace}/${policy.name} ${policy.status}`),
    'one section per policy of the answer, in its order, with its status badge',
  );
}

/** Waits for the proxy to have passed on an answer for these parameters, then for the page to draw its policies. */
async function answerDrawn(
  page: Page,
  app: GrafanaAppBackend,
  parameters: Record<string, string | undefined>,
): Promise<Answer> {
  await waitFor(
    () => {
      try {
        proxiedAnswer(app, parameters);
        return true;
      } catch {
        return false;
      }
    },
    30_000,
    { description: `the page to ask for ${JSON.stringify(parameters)}` },
  );
  const answer = proxiedAnswer(app, parameters);
  const labels = answer.diff.policies.map((policy) => `${policy.kind} ${policy.namespace}/${policy.name}`);
  await page.waitForFunction(
    `JSON.stringify([...document.querySelectorAll('section[aria-label]')].map((s) => s.getAttribute('aria-label')).filter((label) => label !== 'Traffic')) === ${JSON.stringify(JSON.stringify(labels))}`,
    undefined,
    { timeout: 30_000 },
  );
  return answer;
}

async function openRecommendations(context: BrowserContext, pluginId: string): Promise<HarnessPage> {
  const harnessPage = await HarnessPage.open(context.browser, context.server.base, { width: 1280, height: 1000 });
  await harnessPage.call('mountApp', { pluginId, path: 'recommendations' });
  return harnessPage;
}

export function registerRecommendationsPageTests(getContext: () => BrowserContext): void {
  describe('the Recommendations page, through the plugin proxy, against a real exporter', () => {
    const workspace = testWorkspace('flowlens-browser-recommendations-');
    let exporterUrl = '';
    let direct: Answer | undefined;

    before(async () => {
      const dir = workspace.dir();
      const resources = join(dir, 'demo-resources.json');
      await writeFile(
        resources,
        JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [...demoResourceObjects(), staleCartPolicy()] }),
      );
      const tokenFile = join(dir, 'token');
      await writeFile(tokenFile, `${TOKEN}\n`);
      const config = join(dir, 'flowlens.yaml');
      await writeFile(config, `resources: ${resources}\napi:\n  tokenFile: ${tokenFile}\n`);
      const port = await freePort();
      exporterUrl = `http://127.0.0.1:${port}`;
      const exporter = workspace.processes.startFlowlens(
        ['serve', '--demo', '--config', config, '--listen', `127.0.0.1:${port}`],
        { env: childEnvironment() },
      );
      // Every demo workload seen (the policy list stops growing) and the stale policy diffed.
      let previous = '';
      await waitFor(
        async () => {
          const reply = await fetchText(`${exporterUrl}/api/v1/recommendations?format=kubernetes&diff=true`, {
            headers: { authorization: `Bearer ${TOKEN}` },
          });
          if (reply.status !== 200) return false;
          direct = JSON.parse(reply.body) as Answer;
          const listed = direct.diff.policies.map((policy) => `${policy.name}:${policy.status}`).join(' ');
          const stable = listed === previous;
          previous = listed;
          return stable && direct.diff.policies.some((policy) => policy.name === STALE_POLICY);
        },
        60_000,
        { description: 'the demo recommendations to list every workload', process: exporter, intervalMs: 2_000 },
      );
    });

    test('the plugin proxy follows plugin.json: the route only, GET only, the token added on the server', async () => {
      const { server } = getContext();
      const app = server.app;
      app.configure({ jsonData: { exporterUrl }, secureJsonData: { exporterToken: TOKEN } });
      const route = `${server.base}/api/plugin-proxy/${app.plugin.id}/exporter/api/v1/recommendations`;
      const callsBefore = app.calls.length;
      for (const outside of ['exporter/api/v1/flows', 'exporter/api/v1/recommendationsX', 'exporter/metrics', 'x']) {
        const reply = await fetchText(`${server.base}/api/plugin-proxy/${app.plugin.id}/${outside}`);
        assert.equal(reply.status, 404, `${outside}: ${reply.body}`);
        assert.equal((JSON.parse(reply.body) as { message: string }).message, 'plugin route match not found');
      }
      const post = await fetchText(route, { method: 'POST', body: '{}' });
      assert.equal(post.status, 404, 'the route is GET only: Grafana finds no route for a POST');
      assert.equal(app.calls.length, callsBefore, 'nothing outside the route reached the exporter');
      const reply = await fetchText(`${route}?namespace=shop&format=kubernetes&diff=true`);
      assert.equal(reply.status, 200, reply.body);
      assert.equal((JSON.parse(reply.body) as Answer).namespace, 'shop', 'the query string went through');
      assert.equal(
        app.calls.at(-1)?.target,
        `${exporterUrl}/api/v1/recommendations?namespace=shop&format=kubernetes&diff=true`,
      );
      const settings = await fetchText(`${server.base}/api/plugins/${app.plugin.id}/settings`);
      const meta = JSON.parse(settings.body) as { jsonData: unknown; secureJsonFields: unknown };
      assert.deepEqual(meta.jsonData, { exporterUrl });
      assert.deepEqual(meta.secureJsonFields, { exporterToken: true });
      assert.ok(!settings.body.includes(TOKEN), 'the settings the page reads hold no token');
    });

    test("the page shows the exporter answer: policies, badges, a changed policy's lines, the traffic", async () => {
      const context = getContext();
      const app = context.server.app;
      app.configure({ jsonData: { exporterUrl }, secureJsonData: { exporterToken: TOKEN } });
      const harnessPage = await HarnessPage.open(context.browser, context.server.base, { width: 1280, height: 1000 });
      // Every response the page gets from here on, the settings and the proxied answers included.
      const bodies: Promise<string>[] = [];
      harnessPage.page.on('response', (response) => {
        bodies.push(response.text().catch(() => ''));
      });
      await harnessPage.call('mountApp', { pluginId: app.plugin.id, path: 'recommendations' });
      try {
        const page = harnessPage.page;
        await page.locator('section[aria-label="Traffic"]').waitFor({ timeout: 30_000 });
        const answer = proxiedAnswer(app, { format: 'kubernetes', diff: 'true', namespace: undefined });
        assert.equal(answer.namespace, null);
        assert.deepEqual(
          answer.diff.policies.map((policy) => `${policy.name}:${policy.status}`),
          direct!.diff.policies.map((policy) => `${policy.name}:${policy.status}`),
          "the page got the exporter's answer: the same policies and statuses as a direct call",
        );
        const drawn = await drawnPolicies(page);
        assertPoliciesDrawn(drawn, answer);
        assert.ok(
          answer.diff.policies.some((policy) => policy.status === 'new'),
          'the diff has new policies',
        );

        const stale = answer.diff.policies.find((policy) => policy.name === STALE_POLICY);
        assert.equal(stale?.status, 'changed');
        const removed = (stale.yamlDiff ?? []).filter((line) => line.op === 'removed').map((line) => line.text);
        const added = (stale.yamlDiff ?? []).filter((line) => line.op === 'added').map((line) => line.text);
        assert.ok(
          removed.some((line) => line.includes('port: 1')),
          `the stale port is removed: ${removed.join(' | ')}`,
        );
        const drawnStale = drawn.find((policy) => policy.label.endsWith(`/${STALE_POLICY}`));
        assert.ok(drawnStale, 'the changed policy is drawn');
        assert.deepEqual(
          drawnStale.removed.map((line) => line.slice(2)),
          removed,
          'its removed lines, marked -',
        );
        assert.deepEqual(
          drawnStale.added.map((line) => line.slice(2)),
          added,
          'its added lines, marked +',
        );
        assert.ok(drawnStale.removed.every((line) => line.startsWith('- ')));
        assert.ok(drawnStale.row.includes(`+${added.length} −${removed.length} lines`), drawnStale.row.join(' | '));

        const traffic = await page.locator('section[aria-label="Traffic"]').innerText();
        const today = answer.diff.traffic.observedDeniedToday;
        assert.ok(today.denied > 0, 'the demo flows to cart are denied by the stale policy');
        assert.ok(traffic.includes(`${today.denied} of ${today.evaluated} observed flows`), traffic);
        for (const flow of today.flows) assert.ok(traffic.includes(`${flow.source} → ${flow.destination}`), traffic);
        const beyond = answer.diff.traffic.allowedBeyondObserved;
        assert.ok(traffic.includes(String(beyond.sampled ? beyond.estimatedAllowed : beyond.allowed)), traffic);
        assert.deepEqual(harnessPage.errors, []);

        const screenshot = join(context.artifacts, SCREENSHOT);
        await page.screenshot({ path: screenshot, fullPage: false });
        const received = await Promise.all(bodies);
        assert.ok(
          received.some((body) => body.includes('"secureJsonFields"')),
          'the settings were among them',
        );
        assert.ok(received.length > 2 && received.every((body) => !body.includes(TOKEN)), 'no answer holds the token');
      } finally {
        await harnessPage.close();
      }
    });

    test('the namespace picker asks again for one namespace, the format toggle for Calico staged policies', async () => {
      const context = getContext();
      const app = context.server.app;
      app.configure({ jsonData: { exporterUrl }, secureJsonData: { exporterToken: TOKEN } });
      const harnessPage = await openRecommendations(context, app.plugin.id);
      try {
        const page = harnessPage.page;
        await page.locator('section[aria-label="Traffic"]').waitFor({ timeout: 30_000 });
        await page.locator('#flowlens-recommendations-namespace').click();
        await page.locator('#flowlens-recommendations-namespace').fill('shop');
        await page.getByRole('option', { name: 'shop', exact: true }).click();
        const inShop = await answerDrawn(page, app, { namespace: 'shop', format: 'kubernetes', diff: 'true' });
        assert.equal(inShop.namespace, 'shop');
        assert.ok(inShop.diff.policies.every((policy) => policy.namespace === 'shop'));
        assertPoliciesDrawn(await drawnPolicies(page), inShop);
        const staleSection = page.locator(`section[aria-label="NetworkPolicy shop/${STALE_POLICY}"]`);
        await staleSection.scrollIntoViewIfNeeded();
        await page.screenshot({ path: join(context.artifacts, CHANGED_SCREENSHOT) });

        await page.getByRole('radio', { name: 'Calico staged' }).click();
        const staged = await answerDrawn(page, app, { namespace: 'shop', format: 'calico-staged', diff: 'true' });
        assert.equal(staged.format, 'calico-staged');
        assert.ok(staged.diff.policies.length > 0);
        for (const policy of staged.diff.policies) {
          assert.equal(policy.kind, 'StagedNetworkPolicy');
          assert.match(policy.yaml, /^kind: StagedNetworkPolicy$/m);
        }
        assertPoliciesDrawn(await drawnPolicies(page), staged);
        const yamlText = await page.locator('pre').first().innerText();
        assert.match(yamlText, /kind: StagedNetworkPolicy/);
        assert.deepEqual(harnessPage.errors, []);
      } finally {
        await harnessPage.close();
      }
    });

    test('a wrong token: the page shows the 401 and links the Configuration page', async () => {
      const context = getContext();
      const app = context.server.app;
      app.configure({ jsonData: { exporterUrl }, secureJsonData: { exporterToken: 'not-the-token' } });
      const harnessPage = await openRecommendations(context, app.plugin.id);
      try {
        const page = harnessPage.page;
        await page.getByText('The exporter refused the token (401)').waitFor({ timeout: 30_000 });
        assert.equal(app.calls.at(-1)?.status, 401, 'the exporter answered 401, and the proxy passed it on');
        const link = page.getByRole('link', { name: 'Open the Configuration page' });
        assert.equal(await link.getAttribute('href'), `/plugins/${app.plugin.id}`);
        // Chromium reports each failed response on the console: the 401s (the call and Grafana's one retry) only.
        assert.deepEqual(
          harnessPage.errors.filter((error) => !/status of 401 .*\/api\/plugin-proxy\//.test(error)),
          [],
        );
      } finally {
        await harnessPage.close();
      }
    });

    test('no exporter URL: the page says so and links the Configuration page, without calling', async () => {
      const context = getContext();
      const app = context.server.app;
      app.configure({ jsonData: {}, secureJsonData: { exporterToken: TOKEN } });
      const callsBefore = app.calls.length;
      const harnessPage = await openRecommendations(context, app.plugin.id);
      try {
        const page = harnessPage.page;
        await page.getByText('The exporter API URL is not set').waitFor({ timeout: 30_000 });
        const link = page.getByRole('link', { name: 'Open the Configuration page' });
        assert.equal(await link.getAttribute('href'), `/plugins/${app.plugin.id}`);
        assert.equal(app.calls.length, callsBefore, 'no call without a URL');
        assert.deepEqual(harnessPage.errors, []);
      } finally {
        await harnessPage.close();
      }
    });
  });
}
