/**
 * `flowlens replay`: files read to their end through the real pipeline, exposition on stdout. Covers the
 * counting of good and bad lines, the logging of bad ones, both output formats, and the command's errors.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CALICO_FIXTURE,
  FIXTURES,
  HUBBLE_FIXTURE,
  findSamples,
  runFlowlens,
  sampleValue,
  sumSamples,
  type RunResult,
  type Sample,
  testWorkspace,
  errorsByReason,
  replayFlowlens,
} from './support';

const workspace = testWorkspace('flowlens-replay-');
const { processes } = workspace;
const replay = (args: readonly string[]) => replayFlowlens(processes, args);

/** The JSON log lines of a stderr; fails on any line that is not a JSON object. */
function logLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const parsed: unknown = JSON.parse(line);
      assert.ok(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed), `not a JSON object: ${line}`);
      return parsed as Record<string, unknown>;
    });
}

/** Lines 1 and 13 of the Calico fixture: valid records with num_flows 3 and 1. */
function validCalicoLines(): [string, string] {
  const lines = readFileSync(CALICO_FIXTURE, 'utf8').split('\n');
  return [lines[0]!, lines[12]!];
}

describe('flowlens replay of the Calico fixture', () => {
  let result: RunResult;
  let samples: Sample[];

  before(async () => {
    ({ result, samples } = await replay(['--source', `calico-flows:${CALICO_FIXTURE}`]));
  });

  test('counts the bytes and flows of the six valid lines', () => {
    assert.equal(sumSamples(samples, 'flowlens_flow_bytes_total'), 10530);
    assert.equal(sumSamples(samples, 'flowlens_flows_total'), 22);
    assert.equal(sampleValue(samples, 'flowlens_ingest_records_total', { source: 'calico-flows' }), 6);
  });

  test('counts each rejected line by reason', () => {
    assert.deepEqual(errorsByReason(samples, 'calico-flows'), {
      malformed: 2,
      truncated: 1,
      oversized: 0,
      wrong_type: 2,
      missing_field: 1,
    });
  });

  test('labels flows with their workloads and namespaces', () => {
    const namespaces = new Set(
      findSamples(samples, 'flowlens_flows_total').map((sample) => sample.labels['source_namespace']),
    );
    assert.ok(namespaces.has('shop'), `source namespaces: ${[...namespaces].join(', ')}`);
    assert.ok(namespaces.has('monitoring'), `source namespaces: ${[...namespaces].join(', ')}`);
  });

  test('logs each rejected line to stderr as JSON naming the file and line number', () => {
    const rejections = logLines(result.stderr).filter((entry) => entry['msg'] === 'input line rejected');
    assert.deepEqual(
      rejections.map((entry) => entry['line']),
      [6, 7, 8, 9, 10, 11],
    );
    for (const entry of rejections) {
      assert.equal(entry['file'], CALICO_FIXTURE);
      assert.equal(entry['source'], 'calico-flows');
      assert.equal(entry['level'], 'warn');
      assert.equal(typeof entry['reason'], 'string');
    }
    assert.deepEqual(
      rejections.map((entry) => entry['reason']),
      ['wrong_type', 'truncated', 'malformed', 'malformed', 'missing_field', 'wrong_type'],
    );
  });

  test('keeps stdout a pure exposition: every family has HELP and TYPE, no log lines', () => {
    assert.doesNotMatch(result.stdout, /^\{/m);
    assert.match(result.stdout, /^# HELP flowlens_flows_total /m);
    assert.match(result.stdout, /^# TYPE flowlens_flows_total counter$/m);
    assert.doesNotMatch(result.stdout, /# EOF/);
  });
});

describe('flowlens replay of the Hubble fixture', () => {
  let samples: Sample[];

  before(async () => {
    ({ samples } = await replay(['--source', `hubble:${HUBBLE_FIXTURE}`]));
  });

  test('counts one flow per non-reply L3/L4 flow', () => {
    assert.equal(sumSamples(samples, 'flowlens_flows_total'), 3);
    assert.equal(sampleValue(samples, 'flowlens_ingest_records_total', { source: 'hubble' }), 3);
  });

  test('counts replies, DNS request events and lost-events notices as skipped', () => {
    assert.equal(sampleValue(samples, 'flowlens_ingest_skipped_total', { source: 'hubble', reason: 'reply' }), 1);
    assert.equal(sampleValue(samples, 'flowlens_ingest_skipped_total', { source: 'hubble', reason: 'dns_request' }), 1);
    assert.equal(sampleValue(samples, 'flowlens_ingest_skipped_total', { source: 'hubble', reason: 'lost_events' }), 1);
  });

  test('rejects the seven bad lines', () => {
    assert.equal(sumSamples(samples, 'flowlens_ingest_errors_total', { source: 'hubble' }), 7);
  });
});

describe('flowlens replay output and inputs', () => {
  test('--format openmetrics ends with # EOF', async () => {
    const { result, samples } = await replay(['--source', `calico-flows:${CALICO_FIXTURE}`, '--format', 'openmetrics']);
    assert.ok(result.stdout.endsWith('\n# EOF\n'), `ends with: ${JSON.stringify(result.stdout.slice(-60))}`);
    assert.equal(result.stdout.indexOf('# EOF'), result.stdout.length - '# EOF\n'.length);
    assert.match(result.stdout, /^# TYPE flowlens_flows counter$/m);
    assert.equal(sumSamples(samples, 'flowlens_flows_total'), 22);
  });

  test('a line over 1 MiB is counted as oversized and the lines around it are read', async () => {
    const [first, last] = validCalicoLines();
    const file = join(workspace.dir(), 'oversized.ndjson');
    const huge = `{"padding":"${'x'.repeat(1.5 * 1024 * 1024)}"}`;
    await writeFile(file, `${first}\n${huge}\n${last}\n`);
    const { samples } = await replay(['--source', `calico-flows:${file}`]);
    assert.deepEqual(errorsByReason(samples, 'calico-flows'), {
      malformed: 0,
      truncated: 0,
      oversized: 1,
      wrong_type: 0,
      missing_field: 0,
    });
    assert.equal(sampleValue(samples, 'flowlens_ingest_records_total', { source: 'calico-flows' }), 2);
    assert.equal(sumSamples(samples, 'flowlens_flows_total'), 4);
  });

  test('rejected lines are logged at most ten times per minute, and all are counted', async () => {
    const file = join(workspace.dir(), 'many-bad.ndjson');
    const [first] = validCalicoLines();
    await writeFile(file, `${first}\n${'not json\n'.repeat(25)}`);
    const { result, samples } = await replay(['--source', `calico-flows:${file}`]);
    assert.equal(
      sampleValue(samples, 'flowlens_ingest_errors_total', { source: 'calico-flows', reason: 'malformed' }),
      25,
    );
    assert.equal(sampleValue(samples, 'flowlens_ingest_records_total', { source: 'calico-flows' }), 1);
    const rejections = logLines(result.stderr).filter((entry) => entry['msg'] === 'input line rejected');
    assert.deepEqual(
      rejections.map((entry) => entry['line']),
      [2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    );
  });

  test('a file source given twice gets the ids calico-flows and calico-flows-2', async () => {
    const { samples } = await replay([
      '--source',
      `calico-flows:${CALICO_FIXTURE}`,
      '--source',
      `calico-flows:${CALICO_FIXTURE}`,
    ]);
    assert.equal(sampleValue(samples, 'flowlens_ingest_records_total', { source: 'calico-flows' }), 6);
    assert.equal(sampleValue(samples, 'flowlens_ingest_records_total', { source: 'calico-flows-2' }), 6);
    assert.equal(sumSamples(samples, 'flowlens_ingest_errors_total', { source: 'calico-flows-2' }), 6);
    assert.equal(sumSamples(samples, 'flowlens_flows_total'), 44);
  });
});

describe('flowlens replay under a cardinality attack, and with cluster context', () => {
  test('20,000 distinct workloads stay within the configured budget and the totals stay right', async () => {
    const [template] = validCalicoLines();
    const base = JSON.parse(template) as Record<string, unknown>;
    const lines: string[] = [];
    let expectedBytes = 0;
    for (let i = 0; i < 20_000; i++) {
      const bytesIn = i % 97;
      const bytesOut = i % 89;
      expectedBytes += bytesIn + bytesOut;
      lines.push(
        JSON.stringify({
          ...base,
          source_name_aggr: `scanner-${i}-*`,
          dest_port: 1024 + (i % 50000),
          action: i % 2 === 0 ? 'allow' : 'deny',
          bytes_in: bytesIn,
          bytes_out: bytesOut,
          num_flows: 1,
        }),
      );
    }
    const file = join(workspace.dir(), 'attack.ndjson');
    await writeFile(file, `${lines.join('\n')}\n`);
    const config = join(workspace.dir(), 'budget.yaml');
    await writeFile(config, 'metrics:\n  budget: 500\n');
    const { samples } = await replay(['--source', `calico-flows:${file}`, '--config', config]);
    const flowSeries = findSamples(samples, 'flowlens_flows_total');
    assert.ok(flowSeries.length <= 502, `budget 500 plus one overflow series per action, got ${flowSeries.length}`);
    assert.equal(sumSamples(samples, 'flowlens_flows_total'), 20_000);
    assert.equal(sumSamples(samples, 'flowlens_flow_bytes_total'), expectedBytes);
    const overflow = flowSeries.filter((sample) => sample.labels['source_workload'] === '__overflow__');
    assert.deepEqual(overflow.map((sample) => sample.labels['action']).sort(), ['allow', 'deny']);
    assert.equal(
      sampleValue(samples, 'flowlens_series_overflowed_samples_total', { family: 'flowlens_flows_total' }),
      20_000 - 500,
    );
    assert.equal(sampleValue(samples, 'flowlens_series_active', { family: 'flowlens_flows_total' }), 502);
  });

  test('--resources resolves Hubble pods to the workloads that own them', async () => {
    const { samples } = await replay([
      '--source',
      `hubble:${HUBBLE_FIXTURE}`,
      '--resources',
      join(FIXTURES, 'resources.yaml'),
    ]);
    const workloads = findSamples(samples, 'flowlens_flows_total').map((sample) => sample.labels['source_workload']);
    assert.ok(workloads.includes('frontend'), 'Hubble names the Deployment itself');
    assert.ok(workloads.includes('web-frontend'), 'the resources file names the owner of a pod Hubble did not resolve');
    const toCart = findSamples(samples, 'flowlens_flows_total').find(
      (sample) => sample.labels['dest_service'] === 'cart',
    );
    assert.equal(
      toCart?.labels['dest_workload'],
      'cart',
      'derived from the ReplicaSet name when the ReplicaSet is not in the file',
    );
  });

  test('--resources with network sets: an outside peer in a set is named by the set with the longest prefix', async () => {
    const flows = join(workspace.dir(), 'to-partners.ndjson');
    const hubbleFlow = (uuid: string, destination: string): string =>
      JSON.stringify({
        flow: {
          time: '2024-11-19T10:00:00Z',
          uuid,
          verdict: 'FORWARDED',
          IP: { source: '10.244.1.10', destination, ipVersion: 'IPv4' },
          l4: { TCP: { source_port: 40000, destination_port: 443 } },
          source: { namespace: 'shop', labels: ['k8s:app=frontend'], pod_name: 'frontend-7d4b9c8f5-x2x7k' },
          destination: { labels: ['reserved:world'] },
          Type: 'L3_L4',
          node_name: 'node-a',
          traffic_direction: 'EGRESS',
          is_reply: false,
        },
        node_name: 'node-a',
      });
    await writeFile(flows, [hubbleFlow('1', '203.0.113.7'), hubbleFlow('2', '198.51.100.9')].join('\n') + '\n');
    const resources = join(workspace.dir(), 'network-sets.yaml');
    await writeFile(
      resources,
      [
        'apiVersion: crd.projectcalico.org/v1',
        'kind: GlobalNetworkSet',
        'metadata: {name: partner-api}',
        'spec: {nets: [203.0.113.0/24]}',
        '---',
        'apiVersion: crd.projectcalico.org/v1',
        'kind: GlobalNetworkSet',
        'metadata: {name: documentation-ranges}',
        'spec: {nets: [203.0.0.0/8]}',
      ].join('\n'),
    );
    const { samples } = await replay(['--source', `hubble:${flows}`, '--resources', resources]);
    const partner = findSamples(samples, 'flowlens_flows_total', { dest_workload: 'partner-api' });
    assert.equal(partner.length, 1, 'the /24 wins over the /8');
    assert.equal(partner[0]?.labels['dest_namespace'], '');
    assert.equal(
      findSamples(samples, 'flowlens_flows_total', { dest_workload: 'world' }).length,
      1,
      'outside every set',
    );
  });

  test('--resources with service accounts: a Calico rule on the source pod’s service account decides', async () => {
    const resources = join(workspace.dir(), 'service-accounts.yaml');
    await writeFile(
      resources,
      [
        'apiVersion: v1',
        'kind: Namespace',
        'metadata: {name: shop}',
        '---',
        'apiVersion: v1',
        'kind: ServiceAccount',
        'metadata: {name: web-sa, namespace: shop, labels: {role: frontend}}',
        '---',
        'apiVersion: v1',
        'kind: Pod',
        'metadata: {name: web-6b8d9f7c5-qwrtz, namespace: shop, labels: {app: web}}',
        'spec: {serviceAccountName: web-sa}',
        'status: {phase: Running, podIP: 10.244.1.10, podIPs: [{ip: 10.244.1.10}]}',
        '---',
        'apiVersion: v1',
        'kind: Pod',
        'metadata: {name: batch-x7k2p, namespace: shop, labels: {app: web}}',
        'spec: {serviceAccountName: default}',
        'status: {phase: Running, podIP: 10.244.1.11, podIPs: [{ip: 10.244.1.11}]}',
        '---',
        'apiVersion: v1',
        'kind: Pod',
        'metadata: {name: db-0, namespace: shop, labels: {app: db}}',
        'spec: {serviceAccountName: default}',
        'status: {phase: Running, podIP: 10.244.2.20, podIPs: [{ip: 10.244.2.20}]}',
        '---',
        'apiVersion: crd.projectcalico.org/v1',
        'kind: Tier',
        'metadata: {name: security}',
        'spec: {order: 100}',
        '---',
        'apiVersion: crd.projectcalico.org/v1',
        'kind: GlobalNetworkPolicy',
        'metadata: {name: security.db-from-web-sa}',
        'spec:',
        '  tier: security',
        "  selector: app == 'db'",
        '  types: [Ingress]',
        '  ingress:',
        '    - action: Allow',
        '      source: {serviceAccounts: {names: [web-sa]}}',
        '    - action: Pass',
        '---',
        'apiVersion: crd.projectcalico.org/v1',
        'kind: GlobalNetworkPolicy',
        'metadata: {name: db-default-deny}',
        'spec:',
        "  selector: app == 'db'",
        '  types: [Ingress]',
        '  ingress:',
        '    - action: Deny',
      ].join('\n'),
    );
    const flows = join(workspace.dir(), 'to-db.ndjson');
    const hubbleFlow = (uuid: string, sourceIp: string, sourcePod: string): string =>
      JSON.stringify({
        flow: {
          time: '2024-11-19T10:00:00Z',
          uuid,
          verdict: 'FORWARDED',
          IP: { source: sourceIp, destination: '10.244.2.20', ipVersion: 'IPv4' },
          l4: { TCP: { source_port: 40000, destination_port: 5432 } },
          source: { namespace: 'shop', labels: ['k8s:app=web'], pod_name: sourcePod },
          destination: { namespace: 'shop', labels: ['k8s:app=db'], pod_name: 'db-0' },
          Type: 'L3_L4',
          node_name: 'node-a',
          traffic_direction: 'INGRESS',
          is_reply: false,
        },
        node_name: 'node-a',
      });
    await writeFile(
      flows,
      [hubbleFlow('1', '10.244.1.10', 'web-6b8d9f7c5-qwrtz'), hubbleFlow('2', '10.244.1.11', 'batch-x7k2p'), ''].join(
        '\n',
      ),
    );
    const { samples } = await replay(['--source', `hubble:${flows}`, '--resources', resources]);
    const policyOf = (workload: string): string =>
      `${findSamples(samples, 'flowlens_flows_total', { source_workload: workload })[0]?.labels['policy']}`;
    assert.equal(policyOf('web-6b8d9f7c5-qwrtz'), 'db-from-web-sa', 'the pod runs as web-sa: allowed in tier security');
    assert.equal(policyOf('batch-x7k2p'), 'db-default-deny', 'another account passes to the default tier');
  });

  test('--resources with policies: flows without a policy take the engine’s answer; disagreements are counted', async () => {
    const { samples } = await replay([
      '--source',
      `hubble:${HUBBLE_FIXTURE}`,
      '--resources',
      join(FIXTURES, 'policies.yaml'),
    ]);
    const toWorld = findSamples(samples, 'flowlens_flows_total', { dest_workload: 'world' });
    assert.equal(toWorld.length, 1);
    assert.equal(toWorld[0]?.labels['policy'], 'none', 'the engine found no policy selecting frontend for egress');
    assert.equal(sampleValue(samples, 'flowlens_policy_attributed_total'), 1);
    assert.equal(sampleValue(samples, 'flowlens_policy_mismatch_total'), 1, 'the Cilium policy is not in the file');
  });

  test('the demo’s staged policy shows in the staged preview and rule hits name their rules', async () => {
    const { samples } = await replay(['--source', 'demo']);
    const staged = findSamples(samples, 'flowlens_staged_policy_flows_total');
    assert.ok(staged.length > 0);
    assert.ok(staged.every((sample) => sample.labels['action'] === 'allow' || sample.labels['action'] === 'deny'));
    assert.ok(staged.some((sample) => sample.labels['policy'] === 'shop/frontend-egress'));
    const endOfTier = findSamples(samples, 'flowlens_policy_rule_hits_total', { rule: '-1', action: 'deny' });
    assert.ok(endOfTier.length > 0, 'the demo has end-of-tier denials');
  });

  test('an unreadable resources file fails with one line naming it', async () => {
    const missing = join(workspace.dir(), 'no-resources.yaml');
    const result = await runFlowlens(processes, [
      'replay',
      '--source',
      `hubble:${HUBBLE_FIXTURE}`,
      '--resources',
      missing,
    ]);
    assert.notEqual(result.code, 0);
    assert.equal(result.stderr.trim().split('\n').length, 1);
    assert.match(result.stderr, /no-resources\.yaml cannot be read/);
  });
});

describe('flowlens replay errors and help', () => {
  test('a missing file exits non-zero with one stderr line naming the path', async () => {
    const missing = join(workspace.dir(), 'does-not-exist.ndjson');
    const result = await runFlowlens(processes, ['replay', '--source', `calico-flows:${missing}`]);
    assert.notEqual(result.code, 0);
    assert.equal(result.signal, null);
    const lines = result.stderr.split('\n').filter((line) => line !== '');
    assert.equal(lines.length, 1, `stderr:\n${result.stderr}`);
    assert.match(lines[0]!, /^flowlens: /);
    assert.ok(lines[0]!.includes(missing), `stderr line does not name ${missing}: ${lines[0]}`);
    assert.equal(result.stdout, '');
  });

  test('an unknown flag exits non-zero naming it', async () => {
    const result = await runFlowlens(processes, ['replay', '--source', `calico-flows:${CALICO_FIXTURE}`, '--bogus']);
    assert.notEqual(result.code, 0);
    assert.equal(result.signal, null);
    assert.match(result.stderr, /^flowlens: .*--bogus/);
    assert.equal(result.stdout, '');
  });

  test('an unknown --format exits non-zero naming the value', async () => {
    const result = await runFlowlens(processes, [
      'replay',
      '--source',
      `calico-flows:${CALICO_FIXTURE}`,
      '--format',
      'json',
    ]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /json/);
  });

  test('serve --help exits 0 and lists its flags', async () => {
    const result = await runFlowlens(processes, ['serve', '--help']);
    assert.equal(result.code, 0, result.stderr);
    for (const flag of ['--config', '--listen', '--source', '--demo', '--state-dir']) {
      assert.ok(result.stdout.includes(flag), `serve --help does not mention ${flag}:\n${result.stdout}`);
    }
  });

  test('replay --help exits 0 and lists its flags', async () => {
    const result = await runFlowlens(processes, ['replay', '--help']);
    assert.equal(result.code, 0, result.stderr);
    for (const flag of ['--source', '--format', '--config', '--state-dir']) {
      assert.ok(result.stdout.includes(flag), `replay --help does not mention ${flag}:\n${result.stdout}`);
    }
  });
});

describe('flowlens replay --source demo: the nodes’ host connections through the conntrack path', () => {
  test('host flows to the API server and the DNS and NTP servers, and the conntrack gauges of the demo', async () => {
    const { samples } = await replay(['--source', 'demo']);
    const fromHosts = findSamples(samples, 'flowlens_flows_total', { source_workload: 'host' });
    assert.ok(fromHosts.length > 0, 'flows whose source is a node’s host network');
    for (const sample of fromHosts) {
      assert.equal(sample.labels['source_namespace'], '');
      assert.equal(sample.labels['action'], 'allow');
      assert.equal(sample.labels['reporter'], 'dst', 'conntrack’s default reporter for connections with no pod end');
    }
    const toPeer = (name: string, workload: string, port: string, protocol: string): number =>
      sumSamples(samples, name, { source_workload: 'host', dest_workload: workload, dest_port: port, protocol });
    // The kubelet's and kube-proxy's connections to the API server carry bytes in every window.
    assert.ok(toPeer('flowlens_flow_bytes_total', 'private', '6443', 'tcp') > 0);
    assert.ok(toPeer('flowlens_flows_total', 'private', '53', 'udp') > 0, 'lookups through the on-prem resolver');
    assert.ok(toPeer('flowlens_flows_total', 'world', '123', 'udp') > 0, 'NTP exchanges');
    assert.ok(sampleValue(samples, 'flowlens_conntrack_connections', { source: 'demo' }) > 0);
    assert.equal(sampleValue(samples, 'flowlens_conntrack_untracked_connections', { source: 'demo' }), 0);
    assert.equal(sampleValue(samples, 'flowlens_conntrack_accounting', { source: 'demo' }), 1);
    assert.equal(sumSamples(samples, 'flowlens_ingest_errors_total', { source: 'demo' }), 0);
  });
});
