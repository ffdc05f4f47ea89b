import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InterfaceResolutionError, parseLinkKind, parseRouteGet, resolvePodInterface } from './interface';

/** `ip` answering a route to `dev` and that device's kind, recording what it was asked. */
function fakeIp(dev: string, kind: string | undefined, asked: string[][] = []) {
  return async (args: readonly string[]) => {
    asked.push([...args]);
    if (args[1] === 'route') return JSON.stringify([{ dst: args[3], dev, prefsrc: '10.0.0.1', flags: [], uid: 0 }]);
    const link: Record<string, unknown> = { ifindex: 7, ifname: dev, flags: ['UP'] };
    if (kind !== undefined) link['linkinfo'] = { info_kind: kind };
    return JSON.stringify([link]);
  };
}

test('the route to a pod IP names its host interface: a veth is the pod’s own, a bridge is shared', async () => {
  const asked: string[][] = [];
  assert.deepEqual(await resolvePodInterface('10.1.2.3', fakeIp('cali1234', 'veth', asked)), {
    device: 'cali1234',
    shared: false,
  });
  assert.deepEqual(asked, [
    ['-j', 'route', 'get', '10.1.2.3'],
    ['-j', '-d', 'link', 'show', 'dev', 'cali1234'],
  ]);
  assert.deepEqual(await resolvePodInterface('10.1.2.3', fakeIp('cni0', 'bridge')), { device: 'cni0', shared: true });
  assert.deepEqual(await resolvePodInterface('fd00::3', fakeIp('eni9f', 'veth')), { device: 'eni9f', shared: false });
});

test('routes that do not end at a pod on this node are refused', async () => {
  await assert.rejects(resolvePodInterface('10.1.2.3', fakeIp('cilium_host', 'veth')), /not supported/);
  await assert.rejects(resolvePodInterface('10.1.2.3', fakeIp('lo', undefined)), /does not carry/);
  // The node's own subnet: on-link on its NIC, which is no pod's interface.
  await assert.rejects(resolvePodInterface('192.0.2.10', fakeIp('eth0', undefined)), /eth0, not a veth or bridge/);
  await assert.rejects(resolvePodInterface('10.1.2.3', fakeIp('antrea-gw0', 'openvswitch')), /a openvswitch device/);
  const viaGateway = async () => JSON.stringify([{ dst: '10.1.2.3', gateway: '192.168.0.1', dev: 'eth0' }]);
  await assert.rejects(resolvePodInterface('10.1.2.3', viaGateway), /not on this node/);
  await assert.rejects(resolvePodInterface('10.1.2.3; reboot', fakeIp('x', 'veth')), /is not an IP address/);
});

test('ip -j output that is not what iproute2 prints is refused, naming the field', () => {
  const routes: [string, RegExp][] = [
    ['dev cali1', /output is not JSON/],
    ['{}', /expected a list holding one route object/],
    ['[]', /expected a list holding one route object/],
    ['[{"dst":"10.1.2.3"}]', /no "dev" \(device\) string/],
    ['[{"dev":7}]', /no "dev" \(device\) string/],
    ['[{"dev":"eth0","gateway":1}]', /"gateway" must be a string/],
  ];
  for (const [output, message] of routes) {
    assert.throws(() => parseRouteGet(output, '10.1.2.3'), InterfaceResolutionError);
    assert.throws(() => parseRouteGet(output, '10.1.2.3'), message);
  }
  const links: [string, RegExp][] = [
    ['7: cali1: <UP>', /output is not JSON/],
    ['[]', /expected a list holding one link object/],
    ['[{"linkinfo":{"info_kind":3}}]', /"linkinfo.info_kind" must be a string/],
    ['[{"linkinfo":null}]', /"linkinfo.info_kind" must be a string/],
  ];
  for (const [output, message] of links) assert.throws(() => parseLinkKind(output, 'cali1'), message);
  assert.equal(parseLinkKind('[{"ifname":"eth0"}]', 'eth0'), '');
});
