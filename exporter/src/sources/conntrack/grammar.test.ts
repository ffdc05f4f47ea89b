import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError, type IngestErrorReason } from '../types';
import { MAX_ENTRY_BYTES, parseConntrackEntry } from './grammar';

// Lines as the kernel and conntrack-tools 1.4.7 printed them in a test network namespace.
const TCP_PROC =
  'ipv4     2 tcp      6 119 TIME_WAIT src=10.251.2.2 dst=10.251.1.2 sport=40072 dport=8080 packets=6 bytes=5320 src=10.251.1.2 dst=10.251.2.2 sport=8080 dport=40072 packets=4 bytes=5216 [ASSURED] mark=0 zone=0 use=2';
const UDP_UNREPLIED =
  'ipv4     2 udp      17 29 src=10.251.2.2 dst=10.251.1.2 sport=53726 dport=9999 packets=1 bytes=33 [UNREPLIED] src=10.251.1.2 dst=10.251.2.2 sport=9999 dport=53726 packets=0 bytes=0 mark=0 zone=0 use=2';
const TCP_TOOL =
  'ipv4     2 tcp      6 119 TIME_WAIT src=10.251.2.2 dst=10.251.1.2 sport=40072 dport=8080 packets=6 bytes=5320 src=10.251.1.2 dst=10.251.2.2 sport=8080 dport=40072 packets=4 bytes=5216 [ASSURED] mark=0 use=1 id=870925489';

test('a TCP entry from /proc: both tuples, counters, state and flags', () => {
  const entry = parseConntrackEntry(TCP_PROC);
  assert.deepEqual(entry, {
    family: 'ipv4',
    protocolName: 'tcp',
    protocolNumber: 6,
    timeoutSeconds: 119,
    state: 'TIME_WAIT',
    original: {
      src: '10.251.2.2',
      dst: '10.251.1.2',
      sport: 40072,
      dport: 8080,
      icmpId: undefined,
      packets: 6,
      bytes: 5320,
    },
    reply: {
      src: '10.251.1.2',
      dst: '10.251.2.2',
      sport: 8080,
      dport: 40072,
      icmpId: undefined,
      packets: 4,
      bytes: 5216,
    },
    unreplied: false,
    assured: true,
    zone: 0,
    id: undefined,
    accounting: true,
  });
});

test('an unreplied UDP entry has no state and says so', () => {
  const entry = parseConntrackEntry(UDP_UNREPLIED);
  assert.equal(entry.protocolName, 'udp');
  assert.equal(entry.state, '');
  assert.equal(entry.unreplied, true);
  assert.equal(entry.assured, false);
  assert.equal(entry.reply.packets, 0);
});

test('the tool’s extended output has the kernel id after the attributes, not confused with a tuple field', () => {
  const entry = parseConntrackEntry(TCP_TOOL);
  assert.equal(entry.id, 870925489);
  assert.equal(entry.original.icmpId, undefined);
  // Without -o extended the tool leaves out the family columns; the address tells the family.
  const short = parseConntrackEntry(TCP_TOOL.replace(/^ipv4\s+2\s+/, ''));
  assert.equal(short.family, 'ipv4');
  assert.deepEqual(short.reply, entry.reply);
});

test('ICMP entries keep the echo id of their tuple apart from the entry id', () => {
  const entry = parseConntrackEntry(
    'ipv4     2 icmp     1 29 src=10.0.0.1 dst=10.0.0.2 type=8 code=0 id=4242 packets=1 bytes=84 src=10.0.0.2 dst=10.0.0.1 type=0 code=0 id=4242 packets=1 bytes=84 mark=0 use=1 id=77',
  );
  assert.equal(entry.original.icmpId, 4242);
  assert.equal(entry.reply.icmpId, 4242);
  assert.equal(entry.id, 77);
  assert.equal(entry.original.sport, undefined);
});

test('IPv6, other protocols, zones and accounting off', () => {
  const entry = parseConntrackEntry(
    'ipv6     10 tcp      6 431999 ESTABLISHED src=fd00::1 dst=fd00::2 sport=5000 dport=443 src=fd00::2 dst=fd00::1 sport=443 dport=5000 [ASSURED] mark=0 zone=3 use=2',
  );
  assert.equal(entry.family, 'ipv6');
  assert.equal(entry.zone, 3);
  assert.equal(entry.accounting, false);
  assert.equal(entry.original.bytes, undefined);
  const gre = parseConntrackEntry(
    'ipv4     2 gre      47 179 src=10.0.0.1 dst=10.0.0.2 srckey=0x0 dstkey=0x0 src=10.0.0.2 dst=10.0.0.1 srckey=0x0 dstkey=0x0 mark=0 zone=0 use=2',
  );
  assert.equal(gre.protocolName, 'gre');
  assert.equal(gre.reply.sport, undefined);
  const unknown = parseConntrackEntry(
    'ipv4     2 unknown  132 599 src=10.0.0.1 dst=10.0.0.2 src=10.0.0.2 dst=10.0.0.1 mark=0 zone=0 use=2',
  );
  assert.deepEqual([unknown.protocolName, unknown.protocolNumber], ['unknown', 132]);
});

test('blanks: runs of spaces and tabs separate tokens alike', () => {
  const entry = parseConntrackEntry(`  ${TCP_PROC.replace(/ +/g, '\t ')}  `);
  assert.deepEqual(entry, parseConntrackEntry(TCP_PROC));
  assert.equal(entry.original.dst, '10.251.1.2');
});

test('unknown attributes and flags of newer kernels are ignored', () => {
  const entry = parseConntrackEntry(`${TCP_PROC} [OFFLOAD] secctx=system_u:object_r:x delta-time=12 labels=0x1`);
  assert.equal(entry.reply.bytes, 5216);
});

function reasonOf(line: string): IngestErrorReason {
  try {
    parseConntrackEntry(line);
  } catch (error) {
    assert.ok(error instanceof DecodeError, `expected a DecodeError, got ${String(error)}`);
    return error.reason;
  }
  assert.fail(`expected ${JSON.stringify(line)} to be rejected`);
}

test('bad entries are rejected with a reason each', () => {
  const cases: [string, IngestErrorReason][] = [
    ['garbage line', 'malformed'],
    ['', 'malformed'],
    ['ipv4 2 tcp', 'truncated'],
    [TCP_PROC.slice(0, TCP_PROC.indexOf(' src=10.251.1.2')), 'truncated'],
    ['ipv4     2 tcp      6 119 TIME_WAIT', 'truncated'],
    [TCP_PROC.replace('sport=40072', 'sport=many'), 'wrong_type'],
    [TCP_PROC.replace('sport=40072', 'sport=70000'), 'wrong_type'],
    [TCP_PROC.replace('bytes=5216', 'bytes=-1'), 'wrong_type'],
    [TCP_PROC.replace('bytes=5216', 'bytes=99999999999999999999'), 'wrong_type'],
    [TCP_PROC.replace('dst=10.251.1.2', 'dst=10.251.1.300'), 'wrong_type'],
    [TCP_PROC.replace('dst=10.251.1.2', 'dst=10.251.1'), 'wrong_type'],
    [TCP_PROC.replace('dst=10.251.1.2', 'dst=10.251.1.2.'), 'wrong_type'],
    [TCP_PROC.replace('dst=10.251.1.2', 'dst=10.251.01.2'), 'wrong_type'],
    [TCP_PROC.replace('dst=10.251.1.2', 'dst=10..1.2'), 'wrong_type'],
    [TCP_PROC.replace('dst=10.251.1.2', 'dst=fd00:::1:::'), 'wrong_type'],
    [TCP_PROC.replace('dst=10.251.1.2', 'dst=ten.251.1.2'), 'wrong_type'],
    [TCP_PROC.replace('sport=40072', 'sport='), 'wrong_type'],
    [TCP_PROC.replace('sport=40072', 'sport=4e4'), 'wrong_type'],
    [TCP_PROC.replace('ipv4     2', 'ipv4     10'), 'wrong_type'],
    [TCP_PROC.replace('tcp      6 ', 'tcp      600 '), 'wrong_type'],
    [TCP_PROC.replace('ipv4     2', 'ipv6     10'), 'wrong_type'],
    [TCP_PROC.replace(' bytes=5216', ''), 'missing_field'],
    [TCP_PROC.replace(' dport=40072', ''), 'missing_field'],
    [TCP_PROC.replace('dst=10.251.2.2 ', ''), 'missing_field'],
    [TCP_PROC.replace('[ASSURED]', '[ASSURED'), 'malformed'],
    [TCP_PROC.replace('[ASSURED]', 'ASSURED'), 'malformed'],
    [`${TCP_PROC} ${'x'.repeat(MAX_ENTRY_BYTES)}`, 'oversized'],
  ];
  for (const [line, reason] of cases) assert.equal(reasonOf(line), reason, line.slice(0, 200));
});

test('a bad entry does not disturb the next one', () => {
  assert.equal(reasonOf(TCP_PROC.replace('sport=40072', 'sport=x')), 'wrong_type');
  assert.equal(parseConntrackEntry(TCP_PROC).original.sport, 40072);
});
