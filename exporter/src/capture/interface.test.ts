import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InterfaceResolutionError, parseRouteGet, resolvePodInterface } from './interface';

test('the route to a pod IP names its host interface; a bridge is shared', async () => {
  const sys = mkdtempSync(join(tmpdir(), 'flowlens-sysnet-'));
  try {
    mkdirSync(join(sys, 'cali1234', 'brport'), { recursive: true });
    mkdirSync(join(sys, 'cni0', 'bridge'), { recursive: true });
    const asked: string[][] = [];
    const answer = (dev: string) => async (args: readonly string[]) => {
      asked.push([...args]);
      return JSON.stringify([{ dst: args[3], dev, prefsrc: '10.0.0.1', flags: [], uid: 0, cache: [] }]);
    };
    assert.deepEqual(await resolvePodInterface('10.1.2.3', answer('cali1234'), sys), {
      device: 'cali1234',
      shared: false,
    });
    assert.deepEqual(asked[0], ['-j', 'route', 'get', '10.1.2.3']);
    assert.deepEqual(await resolvePodInterface('10.1.2.3', answer('cni0'), sys), { device: 'cni0', shared: true });
    await assert.rejects(resolvePodInterface('10.1.2.3', answer('cilium_host'), sys), /not supported/);
    await assert.rejects(resolvePodInterface('10.1.2.3', answer('lo'), sys), /does not carry/);
    const viaGateway = async () => JSON.stringify([{ dst: '10.1.2.3', gateway: '192.168.0.1', dev: 'eth0' }]);
    await assert.rejects(resolvePodInterface('10.1.2.3', viaGateway, sys), /not on this node/);
    await assert.rejects(resolvePodInterface('10.1.2.3; reboot', answer('x'), sys), /is not an IP address/);
  } finally {
    rmSync(sys, { recursive: true, force: true });
  }
});

test('ip -j route get output that is not what iproute2 prints is refused, naming the field', () => {
  const cases: [string, RegExp][] = [
    ['dev cali1', /output is not JSON/],
    ['{}', /expected a list holding one route object/],
    ['[]', /expected a list holding one route object/],
    ['[{"dst":"10.1.2.3"}]', /no "dev" \(device\) string/],
    ['[{"dev":7}]', /no "dev" \(device\) string/],
    ['[{"dev":"eth0","gateway":1}]', /"gateway" must be a string/],
  ];
  for (const [output, message] of cases) {
    assert.throws(() => parseRouteGet(output, '10.1.2.3'), InterfaceResolutionError);
    assert.throws(() => parseRouteGet(output, '10.1.2.3'), message);
  }
});
