import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addressFromHex,
  counter,
  isLocalOnlyAddressHex,
  parseCounterPairs,
  parseSockstat,
  parseSocketTable,
  type SocketEntry,
} from './proc-net';
import { DecodeError } from '../types';

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const LISTEN =
  '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000003 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0\n';
const ESTABLISHED =
  '   1: 0A00000A:C350 0B00000A:0050 01 0000012C:00000064 01:00000014 00000000  1000        0 4343 2 0000000000000000 20 4 30 10 -1\n';
const TCP6_HEADER =
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const TCP6_LISTEN =
  '   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 777 1 0000000000000000 100 0 0 10 0\n';

function parse(text: string): { entries: SocketEntry[]; bad: { reason: string; line: number }[] } {
  const entries: SocketEntry[] = [];
  const bad: { reason: string; line: number }[] = [];
  parseSocketTable(
    text,
    (entry) => entries.push({ ...entry }),
    (error, line) => bad.push({ reason: error.reason, line }),
  );
  return { entries, bad };
}

test('a socket table: addresses, ports, state, queues and inode of each entry', () => {
  const { entries, bad } = parse(HEADER + LISTEN + ESTABLISHED);
  assert.deepEqual(bad, []);
  assert.deepEqual(entries, [
    {
      localAddressHex: '0100007F',
      localPort: 8080,
      remotePort: 0,
      remoteIsAny: true,
      state: 10,
      txQueue: 0,
      rxQueue: 3,
      inode: 4242,
    },
    {
      localAddressHex: '0A00000A',
      localPort: 50000,
      remotePort: 80,
      remoteIsAny: false,
      state: 1,
      txQueue: 300,
      rxQueue: 100,
      inode: 4343,
    },
  ]);
  assert.equal(addressFromHex('0A00000A'), '10.0.0.10');
});

test('an IPv6 table reads 32-digit addresses', () => {
  const { entries, bad } = parse(TCP6_HEADER + TCP6_LISTEN);
  assert.deepEqual(bad, []);
  assert.equal(entries.length, 1);
  assert.equal(entries[0]?.localPort, 22);
  assert.equal(entries[0]?.inode, 777);
  assert.equal(entries[0]?.localAddressHex.length, 32);
});

test('a bad entry is reported by reason and line; the entries around it still count', () => {
  const cases: { line: string; reason: string }[] = [
    { line: '   2: 0100007F:1F90\n', reason: 'truncated' },
    {
      line: '   2: 0100007Z:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1\n',
      reason: 'malformed',
    },
    {
      line: '   2: 0100007F:1F90 00000000:0000 0F 00000000:00000000 00:00000000 00000000 0 0 1 1\n',
      reason: 'wrong_type',
    },
    { line: '   2: 0100007F:1F90 00000000:0000 0A 0000:00000000 00:00000000 00000000 0 0 1 1\n', reason: 'wrong_type' },
    {
      line: '   2: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 inode 1\n',
      reason: 'wrong_type',
    },
    {
      line: '   2: 0100007F:1F90 0000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1\n',
      reason: 'malformed',
    },
    { line: 'garbage\n', reason: 'wrong_type' },
  ];
  for (const { line, reason } of cases) {
    const { entries, bad } = parse(HEADER + LISTEN + line + ESTABLISHED);
    assert.deepEqual(bad, [{ reason, line: 3 }], line);
    assert.deepEqual(
      entries.map((entry) => entry.inode),
      [4242, 4343],
      line,
    );
  }
});

test('a table cut off mid-entry reports the partial entry as truncated', () => {
  const { entries, bad } = parse(HEADER + LISTEN + ESTABLISHED.slice(0, 40));
  assert.equal(entries.length, 1);
  assert.deepEqual(bad, [{ reason: 'truncated', line: 3 }]);
});

test('a file that is not a socket table is rejected whole', () => {
  assert.throws(
    () => parse('Tcp: RtoAlgorithm\nTcp: 1\n'),
    (error: unknown) => error instanceof DecodeError && error.reason === 'malformed',
  );
  assert.throws(
    () => parse('  sl  local_address'),
    (error: unknown) => error instanceof DecodeError && error.reason === 'truncated',
  );
});

test('IPv6 and IPv4-mapped addresses read as people write them; loopback and any are not pod addresses', () => {
  // fd00::1 as the kernel prints it: four little-endian words.
  assert.equal(addressFromHex('000000FD000000000000000001000000'), 'fd00::1');
  assert.equal(addressFromHex('0000000000000000FFFF00000A00000A'), '10.0.0.10');
  assert.ok(isLocalOnlyAddressHex('0100007F'));
  assert.ok(isLocalOnlyAddressHex('00000000'));
  assert.ok(isLocalOnlyAddressHex('00000000000000000000000001000000'));
  assert.ok(!isLocalOnlyAddressHex('0A00000A'));
  assert.ok(!isLocalOnlyAddressHex('000000FD000000000000000001000000'));
});

const SNMP =
  'Ip: Forwarding DefaultTTL\nIp: 1 64\n' +
  'Tcp: RtoAlgorithm MaxConn EstabResets RetransSegs OutRsts\nTcp: 1 -1 4 17 9\n';

test('counter files: header and value lines in pairs, by section', () => {
  const sections = parseCounterPairs(SNMP);
  assert.equal(counter(sections, 'Tcp', 'RetransSegs', 'snmp'), 17);
  assert.equal(counter(sections, 'Tcp', 'OutRsts', 'snmp'), 9);
  assert.equal(sections.get('Tcp')?.get('MaxConn'), -1);
  assert.equal(sections.get('Ip')?.get('DefaultTTL'), 64);
});

test('bad counter files are rejected by reason', () => {
  const cases: { text: string; reason: string }[] = [
    { text: 'Tcp: A B\nTcp: 1 2', reason: 'truncated' },
    { text: 'Tcp: A B\n', reason: 'truncated' },
    { text: 'Tcp: A B\nUdp: 1 2\n', reason: 'malformed' },
    { text: 'Tcp: A B\nTcp: 1\n', reason: 'malformed' },
    { text: 'Tcp: A B\nTcp: 1 two\n', reason: 'wrong_type' },
    { text: 'no colon here\nTcp: 1\n', reason: 'malformed' },
  ];
  for (const { text, reason } of cases) {
    assert.throws(
      () => parseCounterPairs(text),
      (error: unknown) => error instanceof DecodeError && error.reason === reason,
      text,
    );
  }
  // Sections not asked for are not parsed, so their bad values do not lose the file.
  const selective = parseCounterPairs(SNMP.replace('Ip: 1 64', 'Ip: 1 lots'), new Set(['Tcp']));
  assert.equal(selective.get('Tcp')?.get('RetransSegs'), 17);
  assert.equal(selective.has('Ip'), false);
  assert.throws(
    () => parseCounterPairs('Ip: A\nTcp: 1\n', new Set(['Tcp'])),
    (error: unknown) => error instanceof DecodeError && error.reason === 'malformed',
  );
  const sections = parseCounterPairs(SNMP);
  assert.throws(
    () => counter(sections, 'TcpExt', 'ListenOverflows', 'netstat'),
    (error: unknown) => error instanceof DecodeError && error.reason === 'missing_field',
  );
  assert.throws(
    () => counter(sections, 'Tcp', 'MaxConn', 'snmp'),
    (error: unknown) => error instanceof DecodeError && error.reason === 'wrong_type',
  );
});

test('sockstat: name/value pairs per protocol; bad lines rejected by reason', () => {
  const stats = parseSockstat(
    'sockets: used 74\nTCP: inuse 8 orphan 0 tw 901 alloc 8 mem 33\nFRAG: inuse 0 memory 0\n',
  );
  assert.equal(stats.get('TCP')?.get('tw'), 901);
  assert.equal(stats.get('sockets')?.get('used'), 74);
  const cases: { text: string; reason: string }[] = [
    { text: 'TCP: inuse 8', reason: 'truncated' },
    { text: 'TCP: inuse\n', reason: 'malformed' },
    { text: 'TCP: inuse -1\n', reason: 'wrong_type' },
    { text: 'no colon\n', reason: 'malformed' },
  ];
  for (const { text, reason } of cases) {
    assert.throws(
      () => parseSockstat(text),
      (error: unknown) => error instanceof DecodeError && error.reason === reason,
      text,
    );
  }
});
