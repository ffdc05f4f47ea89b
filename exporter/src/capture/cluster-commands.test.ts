import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLabelSelectorString } from '../policy/kubernetes/label-selector-string';
import { specFromFlags } from './cluster-commands';
import { capturePath, parseCaptureReference, selectorToResource } from './kube-cli';

test('a selector string becomes the resource’s matchLabels and matchExpressions', () => {
  assert.deepEqual(selectorToResource(parseLabelSelectorString('app=web,tier!=db,env in (a,b),team,!legacy', 's')), {
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'NotIn', values: ['db'] },
      { key: 'env', operator: 'In', values: ['a', 'b'] },
      { key: 'team', operator: 'Exists' },
      { key: 'legacy', operator: 'DoesNotExist' },
    ],
  });
  assert.deepEqual(selectorToResource(parseLabelSelectorString('', 's')), {});
  // The same key twice: the second goes to matchExpressions (matchLabels holds one value per key).
  assert.deepEqual(selectorToResource(parseLabelSelectorString('app=web,app=api', 's')), {
    matchLabels: { app: 'web' },
    matchExpressions: [{ key: 'app', operator: 'In', values: ['api'] }],
  });
});

test('create flags become a spec the controller’s parser accepts; mistakes name the flag', () => {
  assert.deepEqual(
    specFromFlags(
      { selector: 'app=web', protocol: 'udp', port: ['53', '5000-5100'], duration: '5m', 'snap-length': '96' },
      Date.now(),
    ),
    {
      selector: { matchLabels: { app: 'web' } },
      filters: [{ protocol: 'UDP', ports: [53, '5000-5100'] }],
      duration: '5m',
      snapLength: 96,
    },
  );
  const cases: [Record<string, string | string[]>, RegExp][] = [
    [{}, /needs --selector/],
    [{ selector: 'app in' }, /--selector "app in": expected "\(" after in/],
    [{ selector: '', 'max-bytes': '1Ti' }, /--max-bytes must be a byte count/],
    [{ selector: '', 'end-time': 'later' }, /--end-time must be an RFC 3339 time/],
    [{ selector: '', duration: '1m', 'end-time': '2030-01-01T00:00:00Z' }, /exclusive/],
    [{ selector: '', protocol: 'icmp', port: ['1'] }, /ports must be empty for protocol ICMP/],
  ];
  for (const [flags, message] of cases) assert.throws(() => specFromFlags(flags, Date.now()), message);
});

test('NAMESPACE/NAME references and API paths', () => {
  assert.deepEqual(parseCaptureReference('shop/web-debug', 'x'), { namespace: 'shop', name: 'web-debug' });
  for (const bad of [undefined, '', 'shop', 'shop/', '/x', 'a/b/c', 'shop/../x', 'Shop/x']) {
    assert.throws(() => parseCaptureReference(bad, 'capture fetch'), /capture fetch needs NAMESPACE\/NAME/);
  }
  assert.equal(capturePath('shop', 'x'), '/apis/flowlens.io/v1alpha1/namespaces/shop/packetcaptures/x');
});
