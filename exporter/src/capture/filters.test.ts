import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bpfExpression, CaptureSpecError, parseCaptureFilters, parsePort } from './filters';

const filters = (value: unknown) => parseCaptureFilters(value, 'spec.filters');

test('filters become a BPF expression: OR between filters, AND inside one', () => {
  assert.equal(bpfExpression(filters(undefined)), '');
  assert.equal(bpfExpression(filters([{ protocol: 'TCP', ports: [80] }])), 'tcp port 80');
  assert.equal(
    bpfExpression(
      filters([
        { protocol: 'tcp', ports: [80, '8000-8080'] },
        { protocol: 'UDP', ports: ['53'] },
      ]),
    ),
    '((tcp port 80 or tcp portrange 8000-8080) or udp port 53)',
  );
  assert.equal(bpfExpression(filters([{ protocol: 'ICMP' }, { protocol: 'sctp' }])), '((icmp or icmp6) or sctp)');
  assert.equal(bpfExpression(filters([{ ports: [443] }])), 'port 443');
  assert.equal(bpfExpression(filters([{ protocol: 'udp' }]), '10.0.0.7'), 'host 10.0.0.7 and udp');
  assert.equal(bpfExpression([], 'fd00::7'), 'host fd00::7');
});

test('ports: integers and ranges within 1..65535', () => {
  assert.deepEqual(parsePort(1, 'p'), { from: 1, to: 1 });
  assert.deepEqual(parsePort('65535', 'p'), { from: 65535, to: 65535 });
  assert.deepEqual(parsePort(' 10-20 ', 'p'), { from: 10, to: 20 });
  for (const bad of [0, 65536, 1.5, -1, '0', '20-10', '1-70000', 'http', '80 or host 1.2.3.4', '', null, true, {}]) {
    assert.throws(() => parsePort(bad, 'spec.filters[0].ports[1]'), /spec\.filters\[0\]\.ports\[1\] must be a port/);
  }
});

test('malformed, oversized and wrongly typed filters are refused naming the field', () => {
  const cases: [unknown, RegExp][] = [
    ['tcp', /spec\.filters must be a list/],
    [[{ protocol: 'http' }], /spec\.filters\[0\]\.protocol must be one of TCP, UDP, ICMP, SCTP, got string "http"/],
    [[{ protocol: 6 }], /protocol must be one of .* got number 6/],
    [[{ protocol: 'tcp or host 1.2.3.4' }], /protocol must be one of/],
    [[{ protocol: 'icmp', ports: [1] }], /ports must be empty for protocol ICMP/],
    [[{}], /spec\.filters\[0\] needs a protocol, ports or both/],
    [[{ protocol: 'tcp', port: 80 }], /spec\.filters\[0\]\.port is not a filter field/],
    [[{ protocol: 'tcp', ports: 80 }], /spec\.filters\[0\]\.ports must be a list/],
    [['tcp'], /spec\.filters\[0\] must be an object/],
    [[{ protocol: 'tcp', ports: Array.from({ length: 33 }, (_v, i) => i + 1) }], /33 entries; at most 32/],
    [Array.from({ length: 17 }, () => ({ protocol: 'tcp' })), /17 filters; at most 16/],
  ];
  for (const [value, message] of cases) {
    assert.throws(() => filters(value), CaptureSpecError);
    assert.throws(() => filters(value), message);
  }
  assert.throws(() => bpfExpression([], '10.0.0.1 or port 22'), /is not an IP/);
});
