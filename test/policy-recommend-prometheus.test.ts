/**
 * Recommendations from the cluster's flow history in Prometheus, end to end: a real Prometheus (Debian's package)
 * scrapes `flowlens serve --demo --resources <the demo cluster>` with `api.prometheus` pointing back at it. For the
 * same run, `/api/v1/recommendations?observed=prometheus` must recommend exactly what `?observed=local` does, but
 * for the peers Prometheus' labels know only as `world` / `private` (documented: no address, so no CIDR), which are
 * skipped with a counted warning; `flowlens policy recommend --prometheus` must agree with the endpoint. Also the
 * CLI's flag mistakes, each one line naming the flag and the fix.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { demoResourceObjects } from '@flowlens/exporter/dist/src/demo/resources';
import { DEMO_TOPOLOGY, ipInCidr } from '@flowlens/exporter/dist/src/demo/topology';
import { fetchText, freePort, runFlowlens, tail, testWorkspace, waitFor, type Spawned } from './support';
import { TestPrometheus } from './prometheus-server';

const workspace = testWorkspace('flowlens-recommend-prometheus-');
const { processes } = workspace;
const TOKEN = 'recommend-t0ken';
const SET_NETS: ReadonlySet<string> = new Set(DEMO_TOPOLOGY.networkSets.flatMap((set) => [...set.nets]));

type Policy = { metadata: { name: string }; spec: Record<string, unknown> };
type Rule = Record<string, unknown>;

interface Answer {
  policies: Policy[];
  warnings: string[];
  flowsUsed: number;
  flowsSkipped: Record<string, number>;
  observed: { source: string; flows: number; dropped: number; skipped?: Record<string, number> };
}

/**
 * The policies without what only an address can give: Kubernetes ipBlocks and Calico `nets` peers (rules left
 * with no peer go). Everything else, the per-policy count of observed flows included, must be the same.
 */
function withoutAddresses(policies: readonly Policy[]): unknown[] {
  return policies.map((policy) => {
    const spec: Record<string, unknown> = { ...policy.spec };
    for (const direction of ['ingress', 'egress'] as const) {
      const rules = (spec[direction] as Rule[] | undefined) ?? [];
      spec[direction] = rules.flatMap((rule): Rule[] => {
        const peersKey = 'from' in rule ? 'from' : 'to' in rule ? 'to' : undefined;
        if (peersKey !== undefined) {
          const peers = (rule[peersKey] as Rule[]).filter((peer) => !('ipBlock' in peer));
          return peers.length === 0 ? [] : [{ ...rule, [peersKey]: peers }];
        }
        const entity = (direction === 'ingress' ? rule['source'] : rule['destination']) as Rule | undefined;
        return entity !== undefined && 'nets' in entity ? [] : [rule];
      });
    }
    return { ...policy, spec };
  });
}

/** Every address block in the policies: ipBlock CIDRs and Calico nets. */
function addressBlocks(policies: readonly Policy[]): string[] {
  const found: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (typeof value === 'object' && value !== null) {
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'ipBlock') found.push((inner as { cidr: string }).cidr);
        else if (key === 'nets') found.push(...(inner as string[]));
        else visit(inner);
      }
    }
  };
  visit(policies);
  return found;
}

describe('recommendations from Prometheus equal those from the local observed set', () => {
  let exporter: Spawned;
  let prometheus: TestPrometheus;
  let resources: string;
  let base: string;

  before(async () => {
    resources = join(workspace.dir(), 'demo-resources.json');
    writeFileSync(resources, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: demoResourceObjects() }));
    const tokenFile = join(workspace.dir(), 'api-token');
    writeFileSync(tokenFile, `${TOKEN}\n`);
    const [exporterPort, prometheusPort] = [await freePort(), await freePort()];
    const config = join(workspace.dir(), 'flowlens.yaml');
    writeFileSync(
      config,
      [
        `resources: ${resources}`,
        'api:',
        `  tokenFile: ${tokenFile}`,
        '  prometheus:',
        `    url: http://127.0.0.1:${prometheusPort}`,
        '    range: 1h',
        // Each poll below must see the scrapes since the last: answers are not reused (the default reuses a minute).
        '    cache: 0',
        '',
      ].join('\n'),
    );
    exporter = processes.startFlowlens([
      'serve',
      '--demo',
      '--listen',
      `127.0.0.1:${exporterPort}`,
      '--config',
      config,
    ]);
    base = `http://127.0.0.1:${exporterPort}`;
    await waitFor(async () => (await fetchText(`${base}/readyz`)).status === 200, 30_000, {
      description: 'the exporter to be ready',
      process: exporter,
    });
    prometheus = await TestPrometheus.start(processes, workspace.dir(), {
      targets: [`127.0.0.1:${exporterPort}`],
      port: prometheusPort,
    });
    await waitFor(
      async () => (await prometheus.queryVector('count(flowlens_flows_total{action="allow"})')).length > 0,
      60_000,
      { description: 'allowed flows in Prometheus', process: prometheus.process, intervalMs: 500 },
    );
  });

  after(() => {
    if (process.exitCode !== undefined && process.exitCode !== 0) {
      process.stderr.write(
        `--- prometheus ---\n${prometheus?.logTail()}\n--- flowlens ---\n${tail(exporter?.stderr ?? '')}\n`,
      );
    }
  });

  async function recommendations(query: string): Promise<Answer> {
    const answer = await fetchText(`${base}/api/v1/recommendations?${query}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(answer.status, 200, answer.body);
    return JSON.parse(answer.body) as Answer;
  }

  /**
   * Both sources' answers once they agree. The demo keeps drawing flows, and a tuple the exporter just saw
   * reaches Prometheus at its next scrape (every second): equal answers come within a few scrapes.
   */
  async function agreeing(format: string): Promise<{ local: Answer; fromPrometheus: Answer }> {
    let last: { local: Answer; fromPrometheus: Answer } | undefined;
    try {
      await waitFor(
        async () => {
          const fromPrometheus = await recommendations(`format=${format}&observed=prometheus`);
          const local = await recommendations(`format=${format}&observed=local`);
          last = { local, fromPrometheus };
          return (
            JSON.stringify(withoutAddresses(local.policies)) ===
            JSON.stringify(withoutAddresses(fromPrometheus.policies))
          );
        },
        90_000,
        { description: `${format}: the same policies from both sources`, process: exporter, intervalMs: 1000 },
      );
    } catch (error) {
      if (last !== undefined) {
        // The difference, as an assertion's diff, is the useful failure message.
        assert.deepEqual(withoutAddresses(last.fromPrometheus.policies), withoutAddresses(last.local.policies));
      }
      throw error;
    }
    assert.ok(last !== undefined);
    return last;
  }

  for (const format of ['kubernetes', 'calico-staged'] as const) {
    test(`${format}: the same policies, but for peers Prometheus knows only as world/private`, async () => {
      const { local, fromPrometheus } = await agreeing(format);
      assert.equal(local.observed.source, 'local');
      assert.equal(fromPrometheus.observed.source, 'prometheus', 'the default source once api.prometheus is set');
      assert.equal(
        (await recommendations(`format=${format}`)).observed.source,
        'prometheus',
        'no observed parameter: Prometheus',
      );
      assert.ok(fromPrometheus.policies.length > 20, `${fromPrometheus.policies.length} policies: the whole demo`);
      assert.equal(fromPrometheus.observed.dropped, 0);
      assert.ok(fromPrometheus.observed.flows > 50, `${fromPrometheus.observed.flows} distinct flows from Prometheus`);
      assert.equal(
        fromPrometheus.flowsUsed,
        local.flowsUsed,
        `the same flows used; skipped: local ${JSON.stringify(local.flowsSkipped)}, Prometheus ${JSON.stringify(fromPrometheus.flowsSkipped)} and ${JSON.stringify(fromPrometheus.observed.skipped)} before`,
      );
      // The demo's flow logs aggregate outside peers as Calico does (`pub` / `pvt`, no address), so the local set
      // has no address for them either; the addresses either side allows are network sets' (whole CIDRs from
      // Prometheus, observed members locally).
      for (const block of [...addressBlocks(local.policies), ...addressBlocks(fromPrometheus.policies)]) {
        const [address] = block.split('/');
        assert.ok(
          [...SET_NETS].some((net) => ipInCidr(address ?? '', net)),
          `${block} is in a network set`,
        );
      }
      const skipped = fromPrometheus.observed.skipped?.['aggregate peer'] ?? 0;
      assert.ok(skipped > 0, JSON.stringify(fromPrometheus.observed));
      assert.ok(
        fromPrometheus.warnings.some((warning) =>
          warning.startsWith(
            `${skipped} flows from Prometheus with a peer outside the cluster known only as an aggregate`,
          ),
        ),
        fromPrometheus.warnings.join('\n'),
      );
    });
  }

  test('flowlens policy recommend --prometheus recommends what the endpoint does; with --source, the union', async () => {
    const flags = ['policy', 'recommend', '--resources', resources, '--prometheus', prometheus.base, '--range', '1h'];
    let cli: Policy[] = [];
    let endpoint: Policy[] = [];
    await waitFor(
      async () => {
        const result = await runFlowlens(processes, flags);
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stderr, /flows from Prometheus with a peer outside the cluster known only as an aggregate/);
        cli = parseAllDocuments(result.stdout).map((document) => document.toJS() as Policy);
        endpoint = (await recommendations('observed=prometheus')).policies;
        return JSON.stringify(cli) === JSON.stringify(endpoint);
      },
      60_000,
      { description: 'the CLI and the endpoint to agree', intervalMs: 1000 },
    );
    assert.deepEqual(cli, endpoint);

    // Debian's Prometheus keeps 15 days by default: a longer range is said to read only what is kept.
    const month = await runFlowlens(processes, [...flags.slice(0, -1), '30d']);
    assert.equal(month.code, 0, month.stderr);
    assert.match(month.stderr, /warning: the range 30d is longer than Prometheus' retention \(15d\)/);

    const flows = join(workspace.dir(), 'one-flow.ndjson');
    writeFileSync(
      flows,
      `${JSON.stringify({
        start_time: 1764150000,
        end_time: 1764150010,
        source_type: 'net',
        source_name: '-',
        source_name_aggr: 'pub',
        source_namespace: '-',
        source_ip: '198.51.100.23',
        dest_type: 'wep',
        dest_name: DEMO_TOPOLOGY.pods[0]!.name,
        dest_name_aggr: '-',
        dest_namespace: DEMO_TOPOLOGY.pods[0]!.namespace,
        dest_ip: DEMO_TOPOLOGY.pods[0]!.ip,
        dest_port: 443,
        proto: 'tcp',
        bytes_in: 100,
        bytes_out: 200,
        packets_in: 1,
        packets_out: 2,
        action: 'allow',
        reporter: 'dst',
        num_flows: 1,
      })}\n`,
    );
    const union = await runFlowlens(processes, [...flags, '--source', `calico-flows:${flows}`]);
    assert.equal(union.code, 0, union.stderr);
    assert.match(
      union.stderr,
      /observed flows: 1 from --source, \d+ from Prometheus over 1h; the policies allow their union \(\d+\)/,
    );
    assert.ok(
      addressBlocks(parseAllDocuments(union.stdout).map((document) => document.toJS() as Policy)).includes(
        '198.51.100.23/32',
      ),
      "the --source flow's address is allowed",
    );
  });
});

test('policy recommend --prometheus mistakes exit 2 with one line naming the flag and the fix', async () => {
  const resources = join(workspace.dir(), 'empty.yaml');
  writeFileSync(resources, 'apiVersion: v1\nkind: List\nitems: []\n');
  const cases: [string[], RegExp][] = [
    [[], /needs at least one --source KIND:PATH or --prometheus URL/],
    [['--range', '7d'], /--range is for --prometheus URL; add --prometheus or drop it/],
    [['--prometheus', 'prom:9090'], /--prometheus "prom:9090" must be an http:\/\/ or https:\/\/ URL/],
    [
      ['--prometheus', 'http://admin:pw@prom:9090'],
      /--prometheus .*basic auth, not in the URL \(--prometheus-user and --prometheus-password-file\)/,
    ],
    [['--prometheus', 'http://prom', '--range', 'a week'], /--range "a week" must be a number and one unit/],
    [
      ['--prometheus', 'http://prom', '--prometheus-user', 'u'],
      /--prometheus-user and --prometheus-password-file go together/,
    ],
    [
      [
        '--prometheus',
        'http://prom',
        '--prometheus-token-file',
        't',
        '--prometheus-user',
        'u',
        '--prometheus-password-file',
        'p',
      ],
      /give --prometheus-token-file or --prometheus-user with --prometheus-password-file, not both/,
    ],
    [
      ['--prometheus', 'http://prom', '--prometheus-ca-file', 'ca.crt'],
      /--prometheus-ca-file is for an https:\/\/ --prometheus URL/,
    ],
    [['--prometheus', 'http://prom', '--prometheus-timeout', 'soon'], /--prometheus-timeout "soon" is not a duration/],
  ];
  for (const [args, message] of cases) {
    const result = await runFlowlens(processes, ['policy', 'recommend', '--resources', resources, ...args]);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, message);
    assert.doesNotMatch(result.stderr, /:pw@/, 'a password is never repeated');
  }
  const port = await freePort();
  const unreachable = await runFlowlens(processes, [
    'policy',
    'recommend',
    '--resources',
    resources,
    '--prometheus',
    `http://127.0.0.1:${port}`,
  ]);
  assert.equal(unreachable.code, 1);
  assert.match(
    unreachable.stderr,
    /observed flows from Prometheus: Prometheus at http:\/\/127.0.0.1:\d+\/: .*ECONNREFUSED/,
  );
});
