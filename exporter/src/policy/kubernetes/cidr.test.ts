import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Cidr, cidrContains, cidrStrictlyWithin, parseCidr, parseIp } from './cidr';

function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  assert.ok(parsed, `${text} should parse`);
  return parsed;
}

function contains(block: string, ip: string): boolean {
  const address = parseIp(ip);
  assert.ok(address, `${ip} should parse`);
  return cidrContains(cidr(block), address);
}

test('IPv4 and IPv6 addresses', () => {
  assert.deepEqual(parseIp('10.0.1.2'), { family: 4, value: 0x0a000102n });
  assert.deepEqual(parseIp('::'), { family: 6, value: 0n });
  assert.deepEqual(parseIp('::1'), { family: 6, value: 1n });
  assert.deepEqual(parseIp('fd00::1:2'), { family: 6, value: (0xfd00n << 112n) | 0x10002n });
  assert.deepEqual(parseIp('::ffff:10.0.0.1'), { family: 6, value: (0xffffn << 32n) | 0x0a000001n });
  assert.deepEqual(parseIp('1:2:3:4:5:6:7:8'), parseIp('1:2:3:4:5:6:7:8'));
  for (const bad of [
    '',
    '10.0.0',
    '10.0.0.256',
    '01.0.0.1',
    '1::2::3',
    'fd00:::1',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7:8::',
    'g::1',
  ]) {
    assert.equal(parseIp(bad), undefined, bad);
  }
});

test('containment, host bits cleared, families kept apart', () => {
  assert.equal(contains('10.0.0.0/16', '10.0.255.255'), true);
  assert.equal(contains('10.0.0.0/16', '10.1.0.0'), false);
  assert.equal(contains('10.0.0.7/8', '10.200.0.1'), true);
  assert.equal(contains('0.0.0.0/0', '203.0.113.1'), true);
  assert.equal(contains('0.0.0.0/0', '::1'), false);
  assert.equal(contains('::/0', '10.0.0.1'), false);
  assert.equal(contains('fd00::2:0/112', 'fd00::2:ffff'), true);
  assert.equal(contains('fd00::2:0/112', 'fd00::3:0'), false);
  assert.equal(contains('10.0.0.1/32', '10.0.0.1'), true);
  assert.equal(contains('10.0.0.1/32', '10.0.0.2'), false);
  assert.equal(cidrStrictlyWithin(cidr('10.0.1.0/24'), cidr('10.0.0.0/16')), true);
  assert.equal(cidrStrictlyWithin(cidr('10.0.0.0/16'), cidr('10.0.0.0/16')), false);
  assert.equal(cidrStrictlyWithin(cidr('10.1.0.0/24'), cidr('10.0.0.0/16')), false);
  for (const bad of ['10.0.0.0', '10.0.0.0/', '10.0.0.0/33', '10.0.0.0/-1', 'fd00::/129', '10.0.0.0/8/8']) {
    assert.equal(parseCidr(bad), undefined, bad);
  }
});
