/**
 * The contract between the exporter's `/api/v1/recommendations?diff=true` and the Grafana app's Recommendations
 * page: the page's jest tests read test/fixtures/recommend/recommendations-answer.json, and this test asks a real
 * `flowlens serve` (the fixture cluster of test/fixtures/recommend, with enforced.yaml's policies, and its Hubble
 * flows) the same question and requires the same answer, so neither side can change the shape alone.
 *
 * To regenerate the fixture after a deliberate change of the answer (then fix the page's reader and tests):
 *   npm run build && FLOWLENS_UPDATE_FIXTURES=1 node --test test/dist/recommendations-contract.test.js
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { fetchText, freePort, testWorkspace, waitFor } from './support';
import { completeAnswer, recommendFixtureServe, RECOMMENDATIONS_ANSWER } from './recommend-fixture';

const workspace = testWorkspace('flowlens-recommendations-contract-');
/** The page's question: one namespace, Kubernetes format, with the diff. */
const QUESTION = '/api/v1/recommendations?namespace=shop&format=kubernetes&diff=true';

test("the exporter's answer with the diff is the fixture the Grafana page is tested with", async () => {
  const port = await freePort();
  const exporter = workspace.processes.startFlowlens(recommendFixtureServe(workspace.dir(), port, 'contract-token'));
  const url = `http://127.0.0.1:${port}${QUESTION}`;
  const headers = { authorization: 'Bearer contract-token' };
  let body = '';
  // The file source reads from the start: the answer is complete once the fixture's eight distinct flows are in.
  await waitFor(
    async () => {
      const answer = await fetchText(url, { headers });
      body = answer.body;
      return completeAnswer(answer);
    },
    30_000,
    { description: "the fixture's eight observed flows", process: exporter },
  );
  const actual = JSON.parse(body) as unknown;
  if (process.env['FLOWLENS_UPDATE_FIXTURES'] === '1') {
    writeFileSync(RECOMMENDATIONS_ANSWER, `${JSON.stringify(actual, null, 2)}\n`);
  }
  const expected = JSON.parse(readFileSync(RECOMMENDATIONS_ANSWER, 'utf8')) as unknown;
  assert.deepEqual(
    actual,
    expected,
    'the answer changed: regenerate the fixture (see the comment above) and update the Grafana page if its shape changed',
  );
  // Not vacuous: the fixture holds every status and both traffic findings the page draws.
  const answer = actual as {
    diff: { policies: { status: string }[]; traffic: { observedDeniedToday: { denied: number } } };
  };
  assert.deepEqual(answer.diff.policies.map((policy) => policy.status).sort(), ['changed', 'new', 'unchanged']);
  assert.equal(answer.diff.traffic.observedDeniedToday.denied, 1);
  // The answers came from the recommendation worker; SIGTERM stops it with the rest, and the process exits cleanly.
  assert.deepEqual(await exporter.stop('SIGTERM'), { code: 0, signal: null });
  assert.match(exporter.stderr, /"msg":"stopped"/);
});
