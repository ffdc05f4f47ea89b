/**
 * `flowlens policy recommend` as a user runs it, on test/fixtures/recommend: YAML on stdout that `policy check`
 * (with the same resources) then says allows what was observed and denies what was not; mistakes exit 2 with one
 * line naming the flag; and the same recommendations from `serve` at /api/v1/recommendations, behind its token.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { FIXTURES, fetchText, freePort, runFlowlens, testWorkspace, waitFor } from './support';

const workspace = testWorkspace('flowlens-policy-recommend-');
const { processes } = workspace;
const RESOURCES = join(FIXTURES, 'recommend', 'resources.yaml');
const FLOWS = `hubble:${join(FIXTURES, 'recommend', 'hubble-flows.ndjson')}`;
const FRONTEND = 'shop/frontend-7d4b9c8f5-x2x7k';
const CART = 'shop/cart-5f6d7c8b9d-q4w8z';
const PAYMENTS = 'payments/payments-api-7b8c9d6f5-q4w8z';

interface CheckReport {
  verdict: string;
  staged: { direction: string; verdict: string; policy: string }[];
}

async function recommend(...args: string[]): Promise<string> {
  const result = await runFlowlens(processes, [
    'policy',
    'recommend',
    '--resources',
    RESOURCES,
    '--source',
    FLOWS,
    ...args,
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, '', 'no warnings on the fixture');
  return result.stdout;
}

/** The fixture's resources plus the recommended policies, as one file for `policy check`. */
function withPolicies(name: string, yaml: string): string {
  const path = join(workspace.dir(), name);
  writeFileSync(path, `${readFileSync(RESOURCES, 'utf8')}\n${yaml}`);
  return path;
}

async function check(
  resources: string,
  from: string,
  to: string,
  port: string,
  protocol = 'TCP',
): Promise<CheckReport> {
  const result = await runFlowlens(processes, [
    'policy',
    'check',
    '--resources',
    resources,
    '--from',
    from,
    '--to',
    to,
    '--port',
    port,
    '--protocol',
    protocol,
  ]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as CheckReport;
}

describe('flowlens policy recommend', () => {
  test('Kubernetes NetworkPolicies that policy check says allow the observed flows and deny the rest', async () => {
    const yaml = await recommend();
    const objects = parseAllDocuments(yaml).map(
      (document) => document.toJS() as { kind: string; metadata: { name: string } },
    );
    assert.deepEqual(
      objects.map((object) => `${object.kind} ${object.metadata.name}`),
      [
        'NetworkPolicy flowlens-recommended-coredns',
        'NetworkPolicy flowlens-recommended-payments-api',
        'NetworkPolicy flowlens-recommended-cart',
        'NetworkPolicy flowlens-recommended-cart-canary',
        'NetworkPolicy flowlens-recommended-frontend',
      ],
    );
    assert.equal(await recommend(), yaml, 'the same input gives the same bytes');
    const resources = withPolicies('kubernetes.yaml', yaml);
    assert.equal((await check(resources, FRONTEND, CART, '8080')).verdict, 'allow', 'observed');
    assert.equal((await check(resources, CART, PAYMENTS, '8443')).verdict, 'allow', 'observed');
    assert.equal((await check(resources, CART, '10.244.0.6', '53', 'UDP')).verdict, 'allow', 'DNS');
    assert.equal((await check(resources, FRONTEND, PAYMENTS, '8443')).verdict, 'deny', 'dropped, so never allowed');
    assert.equal((await check(resources, CART, FRONTEND, '8080')).verdict, 'deny', 'the reverse direction');
    assert.equal((await check(resources, PAYMENTS, '198.51.100.9', '443')).verdict, 'deny', 'an unobserved address');
    assert.equal((await check(resources, PAYMENTS, '198.51.100.7', '443')).verdict, 'allow', 'an observed address');
  });

  test('Calico staged policies: policy check shows what they would allow and deny', async () => {
    const yaml = await recommend('--format', 'calico-staged', '--namespace', 'payments');
    const objects = parseAllDocuments(yaml).map((document) => document.toJS() as { kind: string });
    assert.deepEqual(
      objects.map((object) => object.kind),
      ['StagedNetworkPolicy'],
    );
    const resources = withPolicies('calico.yaml', yaml);
    const observed = await check(resources, CART, PAYMENTS, '8443');
    assert.equal(observed.verdict, 'allow');
    assert.deepEqual(
      observed.staged.map((entry) => [entry.direction, entry.verdict, entry.policy]),
      [['ingress', 'allow', 'payments/flowlens-recommended-payments-api']],
    );
    const unobserved = await check(resources, FRONTEND, PAYMENTS, '8443');
    assert.equal(unobserved.verdict, 'allow', 'staged: nothing enforced');
    assert.deepEqual(
      unobserved.staged.map((entry) => [entry.direction, entry.verdict, entry.policy]),
      [['ingress', 'deny', 'payments/flowlens-recommended-payments-api']],
    );
    const partner = await check(resources, PAYMENTS, '203.0.113.77', '443');
    assert.deepEqual(
      partner.staged.map((entry) => [entry.direction, entry.verdict]),
      [['egress', 'allow']],
      'the partner network set is allowed as a whole',
    );
  });

  test('--diff: against the policies of --resources, per policy and for the traffic; YAML unchanged without it', async () => {
    const resources = withPolicies(
      'enforced.yaml',
      `---\n${readFileSync(join(FIXTURES, 'recommend', 'enforced.yaml'), 'utf8')}`,
    );
    const run = (...args: string[]) =>
      runFlowlens(processes, ['policy', 'recommend', '--resources', resources, '--source', FLOWS, ...args]);
    const result = await run('--namespace', 'shop', '--diff');
    assert.equal(result.code, 0, result.stderr);
    const out = result.stdout;
    assert.match(out, /^# 1 new, 1 changed, 1 unchanged$/m);
    assert.match(out, /^NetworkPolicy shop\/flowlens-recommended-cart: changed$/m);
    assert.match(out, /^ {2}- {10}port: 9090\n {2}\+ {10}port: 8080$/m, 'the stale port, line by line');
    assert.doesNotMatch(out, /resourceVersion|uid:/, 'server-set fields are not differences');
    assert.match(out, /^NetworkPolicy shop\/flowlens-recommended-cart-canary: unchanged$/m);
    assert.match(
      out,
      /^NetworkPolicy shop\/flowlens-recommended-frontend: new\n {2}selects: shop\/frontend\n {2}enforced on these workloads today: shop\/frontend-from-shop \(kubernetes, ingress\)$/m,
    );
    assert.match(out, /observed flows the enforced policies deny today: 1 of 5/);
    assert.match(
      out,
      /shop\/frontend -> shop\/cart TCP\/8080: denied at ingress by shop\/flowlens-recommended-cart; recommended: allow/,
    );
    assert.match(
      out,
      /allowed today beyond the observed flows \(the recommendation denies them\): 11 of 70 unobserved workload pairs; all evaluated/,
    );
    assert.match(out, /shop\/frontend -> shop\/frontend TCP\/8443: allowed by shop\/frontend-from-shop/);
    const yaml = await run('--namespace', 'shop');
    assert.equal(yaml.code, 0);
    assert.match(yaml.stdout, /^# Recommended by flowlens policy recommend/, 'YAML without --diff');
  });

  test('mistakes exit 2 with one line naming the flag and the fix', async () => {
    const cases: [string[], RegExp][] = [
      [['--source', FLOWS], /policy recommend needs --resources FILE/],
      [['--resources', RESOURCES], /policy recommend needs at least one --source KIND:PATH/],
      [
        ['--resources', RESOURCES, '--source', FLOWS, '--format', 'cilium'],
        /--format "cilium" must be one of kubernetes, calico-staged/,
      ],
      [
        ['--resources', RESOURCES, '--source', FLOWS, '--namespace', 'Shop'],
        /--namespace "Shop" must be a namespace name/,
      ],
      [
        ['--resources', RESOURCES, '--source', FLOWS, '--namespace', 'billing'],
        /--namespace "billing": no pods in namespace billing/,
      ],
      [['--resources', RESOURCES, '--source', 'bogus:x'], /unknown kind "bogus"/],
      [
        ['--resources', RESOURCES, '--source', FLOWS, '--from', 'x'],
        /unknown flag --from for flowlens policy recommend/,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await runFlowlens(processes, ['policy', 'recommend', ...args]);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, message);
    }
    const subcommand = await runFlowlens(processes, ['policy', 'suggest']);
    assert.equal(subcommand.code, 2);
    assert.match(subcommand.stderr, /needs a subcommand: check or recommend/);
  });

  test('unreadable or truncated resources and malformed flow lines are named; bad lines do not stop it', async () => {
    const missing = await runFlowlens(processes, [
      'policy',
      'recommend',
      '--resources',
      '/nonexistent.yaml',
      '--source',
      FLOWS,
    ]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /resources file \/nonexistent.yaml cannot be read: ENOENT/);
    const truncated = join(workspace.dir(), 'truncated.yaml');
    writeFileSync(
      truncated,
      readFileSync(RESOURCES, 'utf8')
        .slice(0, 900)
        .replace(/\n[^\n]*$/, '\n    labels: { app: [\n'),
    );
    const cut = await runFlowlens(processes, ['policy', 'recommend', '--resources', truncated, '--source', FLOWS]);
    assert.equal(cut.code, 1);
    assert.match(cut.stderr, /truncated.yaml: document 1 is not valid YAML or JSON/);
    const flows = join(workspace.dir(), 'flows.ndjson');
    writeFileSync(
      flows,
      `${readFileSync(join(FIXTURES, 'recommend', 'hubble-flows.ndjson'), 'utf8')}{"flow": {"verdict": 7}}\nnot json\n{"flow":`,
    );
    const result = await runFlowlens(processes, [
      'policy',
      'recommend',
      '--resources',
      RESOURCES,
      '--source',
      `hubble:${flows}`,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /input line rejected/);
    assert.equal(result.stdout, await recommend(), 'the good lines recommend as before');
  });
});

describe('serve: /api/v1/recommendations', () => {
  test('the observed flows recommend the same policies, for callers with the token only', async () => {
    const token = join(workspace.dir(), 'api-token');
    writeFileSync(token, 'api-s3cret\n');
    const config = join(workspace.dir(), 'api.yaml');
    writeFileSync(config, `resources: ${RESOURCES}\napi:\n  tokenFile: ${token}\n  maxObservedFlows: 1000\n`);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const exporter = processes.startFlowlens([
      'serve',
      '--listen',
      `127.0.0.1:${port}`,
      '--config',
      config,
      '--source',
      FLOWS,
    ]);
    const url = `${base}/api/v1/recommendations`;
    const headers = { authorization: 'Bearer api-s3cret', accept: 'application/yaml' };
    // The file source reads from the start; every distinct observed flow of the fixture arrives.
    await waitFor(async () => (await fetchText(url, { headers })).body.includes('from 8 observed flows'), 30_000, {
      description: 'the eight observed flows of the fixture',
      process: exporter,
    });
    assert.equal((await fetchText(url, { headers })).body, await recommend());
    const refused = await fetchText(url);
    assert.equal(refused.status, 401);
    assert.doesNotMatch(refused.body, /payments/);
  });
});
