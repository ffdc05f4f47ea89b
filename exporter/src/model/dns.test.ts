import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DnsTextMemo, normalizeQname, normalizeQtype, normalizeRcode } from './dns';

test('response codes normalize to the upper-case mnemonic whatever the spelling', () => {
  const table: [string | number, string | undefined][] = [
    ['NOERROR', 'NOERROR'],
    ['NoError', 'NOERROR'],
    ['noerror', 'NOERROR'],
    [0, 'NOERROR'],
    ['0', 'NOERROR'],
    ['NXDomain', 'NXDOMAIN'],
    ['nxdomain', 'NXDOMAIN'],
    [3, 'NXDOMAIN'],
    ['ServFail', 'SERVFAIL'],
    [2, 'SERVFAIL'],
    ['Refused', 'REFUSED'],
    [5, 'REFUSED'],
    ['FormErr', 'FORMERR'],
    [1, 'FORMERR'],
    ['NotImp', 'NOTIMP'],
    ['NOTIMPL', 'NOTIMP'],
    [4, 'NOTIMP'],
    ['YXDomain', 'YXDOMAIN'],
    ['NotAuth', 'NOTAUTH'],
    ['NotZone', 'NOTZONE'],
    ['BADSIG', 'BADVERS'],
    [16, 'BADVERS'],
    ['BadCookie', 'BADCOOKIE'],
    [' NXDOMAIN ', 'NXDOMAIN'],
    // Unassigned numbers share one value; text that is no code at all is rejected.
    [12, 'OTHER'],
    [3841, 'OTHER'],
    ['Bogus', undefined],
    ['', undefined],
    [-1, undefined],
    [1.5, undefined],
    [70000, undefined],
  ];
  for (const [input, expected] of table) {
    assert.equal(normalizeRcode(input), expected, `rcode ${JSON.stringify(input)}`);
  }
});

test('query types are upper-case mnemonics; names lose case and their trailing dot', () => {
  assert.equal(normalizeQtype('aaaa'), 'AAAA');
  assert.equal(normalizeQtype('TYPE65'), 'TYPE65');
  assert.equal(normalizeQtype('A B'), undefined);
  assert.equal(normalizeQtype('1'), undefined);
  assert.equal(normalizeQname('Cart.Shop.svc.cluster.local.'), 'cart.shop.svc.cluster.local');
  assert.equal(normalizeQname('.'), '.');
});

test('DnsTextMemo gives what the normalizers give, on first sight, on a hit and after it was cleared for room', () => {
  const memo = new DnsTextMemo(2);
  for (let round = 0; round < 2; round++) {
    assert.equal(memo.qtype('aaaa'), 'AAAA');
    assert.equal(memo.qtype('A;B'), undefined);
    assert.equal(memo.qtype('srv'), 'SRV');
    assert.equal(memo.qtype('a'), 'A');
    assert.equal(memo.rcode('NoError'), 'NOERROR');
    assert.equal(memo.rcode('3'), 'NXDOMAIN');
    assert.equal(memo.rcode(2), 'SERVFAIL');
    assert.equal(memo.rcode('bogus'), undefined);
    assert.equal(memo.rcode('notimpl'), 'NOTIMP');
  }
});
