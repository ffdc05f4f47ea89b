import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CaptureSpecError } from './filters';
import { isSafeCaptureName, parseByteCount, parseDuration, parsePacketCapture } from './spec';

const CREATED = '2026-11-26T10:00:00Z';
const CREATED_MS = Date.parse(CREATED);

function capture(spec: unknown, metadata: Record<string, unknown> = {}) {
  return {
    apiVersion: 'flowlens.io/v1alpha1',
    kind: 'PacketCapture',
    metadata: { name: 'web-debug', namespace: 'shop', uid: 'u-1', creationTimestamp: CREATED, ...metadata },
    spec,
  };
}

test('a full PacketCapture parses; defaults fill the rest', () => {
  const parsed = parsePacketCapture(
    capture({
      selector: { matchLabels: { app: 'web' } },
      filters: [{ protocol: 'TCP', ports: [8080, '9000-9100'] }],
      duration: '5m',
      snapLength: 128,
      maxBytes: '10Mi',
    }),
  );
  assert.equal(parsed.namespace, 'shop');
  assert.equal(parsed.uid, 'u-1');
  assert.equal(parsed.spec.startMs, CREATED_MS);
  assert.equal(parsed.spec.endMs, CREATED_MS + 300_000);
  assert.equal(parsed.spec.snapLength, 128);
  assert.equal(parsed.spec.maxBytes, 10 * 1024 * 1024);
  assert.deepEqual(parsed.spec.filters, [
    {
      protocol: 'tcp',
      ports: [
        { from: 8080, to: 8080 },
        { from: 9000, to: 9100 },
      ],
    },
  ]);
  const defaults = parsePacketCapture(capture({ selector: {} })).spec;
  assert.equal(defaults.endMs - defaults.startMs, 60_000);
  assert.equal(defaults.snapLength, 262_144);
  assert.equal(defaults.maxBytes, 100 * 1024 * 1024);
  const window = parsePacketCapture(
    capture({ selector: {}, startTime: '2026-11-26T11:00:00Z', endTime: '2026-11-26T11:30:00Z' }),
  ).spec;
  assert.equal(window.endMs - window.startMs, 1_800_000);
});

test('malformed, wrongly typed and oversized specs are refused naming the object, the field and the fix', () => {
  const cases: [unknown, RegExp][] = [
    [capture(undefined), /PacketCapture shop\/web-debug: spec must be an object, got nothing/],
    [capture('all'), /spec must be an object, got string "all"/],
    [capture({}), /spec\.selector is required/],
    [capture({ selector: { matchLabels: { app: 7 } } }), /spec\.selector\.matchLabels\.app must be a string/],
    [capture({ selector: {}, selectr: {} }), /spec\.selectr is not a known field/],
    [
      capture({ selector: {}, filters: [{ protocol: 'HTTP' }] }),
      /shop\/web-debug: spec\.filters\[0\]\.protocol must be one of/,
    ],
    [
      capture({ selector: {}, duration: '5 minutes' }),
      /spec\.duration "5 minutes" is not a duration: write it like 30s/,
    ],
    [capture({ selector: {}, duration: 300 }), /spec\.duration must be a string such as "5m"/],
    [capture({ selector: {}, duration: '25h' }), /must be between 1ms and 24h/],
    [capture({ selector: {}, duration: '1m', endTime: '2026-11-26T11:00:00Z' }), /exclusive: give one of them/],
    [capture({ selector: {}, endTime: '2026-11-26T09:00:00Z' }), /spec\.endTime must be after the start/],
    [capture({ selector: {}, endTime: 'tomorrow' }), /spec\.endTime must be an RFC 3339 time/],
    [capture({ selector: {}, endTime: '2026-11-28T11:00:00Z' }), /more than 24h after the start/],
    [capture({ selector: {}, snapLength: 10 }), /spec\.snapLength must be an integer from 64 to 262144, got 10/],
    [capture({ selector: {}, snapLength: '100' }), /spec\.snapLength must be an integer/],
    [capture({ selector: {}, maxBytes: '1Ti' }), /spec\.maxBytes must be a byte count from 1024/],
    [capture({ selector: {}, maxBytes: 1e12 }), /spec\.maxBytes must be a byte count/],
    [capture({ selector: {} }, { name: '../etc' }), /metadata\.name a DNS subdomain/],
    [capture({ selector: {} }, { namespace: 'a/b' }), /metadata\.namespace must be a DNS label/],
    ['PacketCapture', /must be an object/],
    [{ spec: {} }, /metadata must be an object/],
  ];
  for (const [object, message] of cases) {
    assert.throws(() => parsePacketCapture(object), CaptureSpecError);
    assert.throws(() => parsePacketCapture(object), message);
  }
});

test('durations, byte counts and names', () => {
  assert.equal(parseDuration('1h30m', 'd'), 5_400_000);
  assert.equal(parseDuration('90s', 'd'), 90_000);
  assert.equal(parseDuration('500ms', 'd'), 500);
  assert.equal(parseDuration('2m10s', 'd'), 130_000);
  for (const bad of ['', '5', 'm', '-1s', '1d', '0s', '1.5s', '5m m']) assert.throws(() => parseDuration(bad, 'd'));
  assert.equal(parseByteCount('8Ki', 'b', 1024, 1e10), 8192);
  assert.equal(parseByteCount(2048, 'b', 1024, 1e10), 2048);
  assert.equal(parseByteCount('5M', 'b', 1024, 1e10), 5_000_000);
  for (const bad of ['1', 'lots', '1.5Mi', -5, 100, '10Pi']) assert.throws(() => parseByteCount(bad, 'b', 1024, 1e10));
  assert.equal(isSafeCaptureName('shop', 'web.debug-1'), true);
  for (const [namespace, name] of [
    ['shop', '..'],
    ['shop', 'a/b'],
    ['..', 'x'],
    ['Shop', 'x'],
    ['shop', 'a..b'],
    ['', 'x'],
  ]) {
    assert.equal(isSafeCaptureName(namespace!, name!), false, `${namespace}/${name}`);
  }
});

test('the CRD manifest declares the resource the parser reads, with a status subresource', () => {
  const crd = parse(
    readFileSync(
      join(
        __dirname,
        '..',
        '..',
        '..',
        '..',
        'provisioning',
        'kubernetes',
        'components',
        'capture',
        'packetcapture-crd.yaml',
      ),
      'utf8',
    ),
  ) as {
    spec: {
      group: string;
      scope: string;
      names: { plural: string; kind: string };
      versions: {
        name: string;
        subresources: { status: unknown };
        schema: {
          openAPIV3Schema: {
            properties: {
              spec: { properties: Record<string, unknown> };
              status: {
                properties: { nodes: { additionalProperties: { properties: { state: { enum: string[] } } } } };
              };
            };
          };
        };
      }[];
    };
  };
  assert.equal(crd.spec.group, 'flowlens.io');
  assert.equal(crd.spec.scope, 'Namespaced');
  assert.equal(crd.spec.names.plural, 'packetcaptures');
  const [version] = crd.spec.versions;
  assert.equal(version?.name, 'v1alpha1');
  assert.deepEqual(version?.subresources.status, {});
  const schema = version!.schema.openAPIV3Schema;
  assert.deepEqual(Object.keys(schema.properties.spec.properties).sort(), [
    'duration',
    'endTime',
    'filters',
    'maxBytes',
    'selector',
    'snapLength',
    'startTime',
  ]);
  assert.deepEqual(schema.properties.status.properties.nodes.additionalProperties.properties.state.enum, [
    'Scheduled',
    'WaitingForTraffic',
    'Capturing',
    'Finished',
    'Error',
  ]);
});
