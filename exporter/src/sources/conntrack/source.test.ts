import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryLogger } from '../../log';
import type { FlowRecord } from '../../model/flow';
import type { GeneratorContext, SourceGauge } from '../types';
import {
  ConntrackPoller,
  DEFAULT_CONNTRACK_OPTIONS,
  DEFAULT_CONNTRACK_PATH,
  fileInput,
  parseConntrackArgument,
  toolInput,
} from './source';

const TCP =
  'ipv4     2 tcp      6 119 ESTABLISHED src=10.251.2.2 dst=10.251.1.2 sport=40072 dport=8080 packets=6 bytes=5320 src=10.251.1.2 dst=10.251.2.2 sport=8080 dport=40072 packets=4 bytes=5216 [ASSURED] mark=0 zone=0 use=2';
const UDP =
  'ipv4     2 udp      17 29 src=10.251.2.2 dst=10.251.1.2 sport=53726 dport=9999 packets=1 bytes=33 [UNREPLIED] src=10.251.1.2 dst=10.251.2.2 sport=9999 dport=53726 packets=0 bytes=0 mark=0 zone=0 use=2';

interface Recorded {
  context: GeneratorContext;
  flows: FlowRecord[];
  rejected: { reason: string; where: string; position: number }[];
  gauges: Map<SourceGauge, number>;
  logger: MemoryLogger;
}

function recorder(mode: 'serve' | 'replay'): Recorded {
  const flows: FlowRecord[] = [];
  const rejected: Recorded['rejected'] = [];
  const gauges = new Map<SourceGauge, number>();
  const logger = new MemoryLogger();
  const context: GeneratorContext = {
    mode,
    logger,
    sink: {
      flow: (record) => flows.push(record),
      dns: () => assert.fail('no DNS from conntrack'),
      sockets: () => assert.fail('no socket scans from conntrack'),
      http: () => assert.fail('no HTTP from conntrack'),
      audit: () => assert.fail('no audit from conntrack'),
      skipped: () => undefined,
    },
    feedLine: () => assert.fail('conntrack feeds no lines'),
    rejected: (error, where, position) => rejected.push({ reason: error.reason, where, position }),
    gauge: (name, value) => gauges.set(name, value),
  };
  return { context, flows, rejected, gauges, logger };
}

async function withFile(text: string, work: (path: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'flowlens-conntrack-'));
  try {
    const path = join(dir, 'nf_conntrack');
    await writeFile(path, text);
    await work(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('the argument: a path, the tool, interval, budget and reporter; mistakes name the fix', () => {
  assert.deepEqual(
    parseConntrackArgument('', () => true),
    DEFAULT_CONNTRACK_OPTIONS,
  );
  assert.equal(parseConntrackArgument('', () => false).path, undefined, 'no file: the tool');
  assert.deepEqual(
    parseConntrackArgument('/tmp/snap,interval=2,max-connections=5,reporter=src', () => false),
    {
      path: '/tmp/snap',
      intervalSeconds: 2,
      maxConnections: 5,
      reporter: 'src',
      localCidrs: [],
    },
  );
  assert.equal(parseConntrackArgument('path=/x/y', () => true).path, '/x/y');
  assert.equal(parseConntrackArgument('tool', () => true).path, undefined);
  assert.equal(
    parseConntrackArgument('local-cidr=10.244.1.0/24,local-cidr=fd00:1::/64', () => true).localCidrs.length,
    2,
  );
  assert.equal(DEFAULT_CONNTRACK_OPTIONS.path, DEFAULT_CONNTRACK_PATH);
  const mistakes: [string, RegExp][] = [
    ['interval=0', /interval must be whole seconds from 1 to 3600, got "0"/],
    ['interval=soon', /interval must be/],
    ['max-connections=-1', /max-connections must be a whole number/],
    ['reporter=both', /reporter must be src or dst, got "both"/],
    ['colour=red', /unknown option "colour"/],
    ['/a,/b', /"path" is given twice/],
    ['tool,/a', /"path" is given twice/],
    ['path=', /path= needs a file/],
    ['local-cidr=10.244.1.0', /local-cidr must be a CIDR such as 10.244.1.0\/24, got "10.244.1.0"/],
    ['local-cidr=10.244.1.0/33', /local-cidr must be a CIDR/],
  ];
  for (const [argument, message] of mistakes) {
    assert.throws(() => parseConntrackArgument(argument, () => true), message, argument);
  }
});

test('replay reads a snapshot once: every connection a flow, bad lines counted by reason, the rest decoded', async () => {
  const text = [TCP, 'not an entry', TCP.replace('sport=40072', 'sport=port'), '', UDP, `${TCP} ${'x'.repeat(5000)}`]
    .join('\n')
    .concat('\n');
  await withFile(text, async (path) => {
    const recorded = recorder('replay');
    const poller = new ConntrackPoller({ ...DEFAULT_CONNTRACK_OPTIONS, path }, fileInput(path), recorded.context);
    await poller.start();
    assert.deepEqual(
      recorded.flows.map((flow) => [flow.protocol, flow.destPort, flow.flows, flow.bytesForward, flow.bytesReverse]),
      [
        ['tcp', 8080, 1, 5320, 5216],
        ['udp', 9999, 1, 33, 0],
      ],
    );
    assert.deepEqual(recorded.rejected, [
      { reason: 'malformed', where: path, position: 2 },
      { reason: 'wrong_type', where: path, position: 3 },
      { reason: 'oversized', where: path, position: 6 },
    ]);
    assert.equal(recorded.gauges.get('conntrackConnections'), 2);
    assert.equal(recorded.gauges.get('conntrackUntracked'), 0);
    assert.equal(recorded.gauges.get('conntrackAccounting'), 1);
    await poller.stop();
  });
});

test('a snapshot cut off mid-entry loses only that entry', async () => {
  await withFile(`${UDP}\n${TCP.slice(0, 80)}`, async (path) => {
    const recorded = recorder('replay');
    await new ConntrackPoller({ ...DEFAULT_CONNTRACK_OPTIONS, path }, fileInput(path), recorded.context).start();
    assert.equal(recorded.flows.length, 1);
    assert.deepEqual(recorded.rejected, [{ reason: 'truncated', where: path, position: 2 }]);
  });
});

test('accounting off: flows still count, the gauge is 0 and a warning says how to turn it on', async () => {
  const noCounters = TCP.replace(/ packets=\d+ bytes=\d+/g, '');
  await withFile(`${noCounters}\n`, async (path) => {
    const recorded = recorder('replay');
    await new ConntrackPoller({ ...DEFAULT_CONNTRACK_OPTIONS, path }, fileInput(path), recorded.context).start();
    assert.deepEqual(
      recorded.flows.map((flow) => [flow.flows, flow.bytesForward, flow.packetsReverse]),
      [[1, 0, 0]],
    );
    assert.equal(recorded.gauges.get('conntrackAccounting'), 0);
    const warning = recorded.logger.entries.find((entry) => entry.message.startsWith('conntrack accounting is off'));
    assert.ok(warning, 'a warning about accounting');
    assert.match(warning.message, /net\.netfilter\.nf_conntrack_acct=1/);
  });
});

test('serve polls: deltas between polls, ended connections, and a failed read ends nothing', async () => {
  await withFile(`${TCP}\n`, async (path) => {
    const recorded = recorder('serve');
    let now = 1000;
    const poller = new ConntrackPoller(
      { ...DEFAULT_CONNTRACK_OPTIONS, path, intervalSeconds: 3600 },
      fileInput(path),
      recorded.context,
      () => now,
    );
    await poller.start();
    assert.equal(recorded.flows.length, 0, 'the first poll is a baseline');
    assert.equal(recorded.gauges.get('conntrackConnections'), 1);
    now += 10;
    await writeFile(path, `${TCP.replace('bytes=5320', 'bytes=6320')}\n${UDP}\n`);
    await poller.poll(false);
    assert.deepEqual(
      recorded.flows.map((flow) => [flow.protocol, flow.flows, flow.flowsStarted, flow.bytesForward]),
      [
        ['tcp', 0, 0, 1000],
        ['udp', 1, 1, 33],
      ],
    );
    await rm(path);
    now += 10;
    assert.equal(await poller.poll(false), undefined, 'the read failed');
    assert.equal(recorded.flows.length, 2, 'nothing ended on a failed read');
    assert.ok(recorded.logger.entries.some((entry) => entry.message === 'conntrack poll failed'));
    await writeFile(path, `${UDP}\n`);
    await poller.poll(false);
    assert.equal(recorded.flows.length, 2, 'missing once is not ended yet');
    await poller.poll(false);
    assert.deepEqual(
      recorded.flows.slice(2).map((flow) => [flow.protocol, flow.flowsCompleted]),
      [['tcp', 1]],
    );
    await poller.stop();
  });
});

test('replay fails when its input cannot be read; serve keeps polling', async () => {
  const missing = join(tmpdir(), 'flowlens-conntrack-missing', 'nf_conntrack');
  const replay = recorder('replay');
  const options = { ...DEFAULT_CONNTRACK_OPTIONS, path: missing };
  await assert.rejects(
    new ConntrackPoller(options, fileInput(missing), replay.context).start(),
    /conntrack source: cannot read .*nf_conntrack: ENOENT/,
  );
  const serve = recorder('serve');
  const poller = new ConntrackPoller(
    { ...options, path: undefined, intervalSeconds: 3600 },
    toolInput('flowlens-no-such-conntrack-tool'),
    serve.context,
  );
  await poller.start();
  const failure = serve.logger.entries.find((entry) => entry.message === 'conntrack poll failed');
  assert.match(String(failure?.fields['error']), /cannot run flowlens-no-such-conntrack-tool/);
  await poller.stop();
});
