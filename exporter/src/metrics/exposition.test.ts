import { test } from 'node:test';
import assert from 'node:assert/strict';
import { familyHeader, negotiateFormat } from './exposition';
import { ALL_FAMILIES, SELF_FAMILIES, RECORD_FAMILIES } from './catalogue';

test('content negotiation picks OpenMetrics only when asked', () => {
  assert.equal(negotiateFormat(undefined), 'prometheus');
  assert.equal(negotiateFormat('text/plain'), 'prometheus');
  assert.equal(
    negotiateFormat(
      'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
    ),
    'openmetrics',
  );
  assert.equal(negotiateFormat('application/openmetrics-text; version=2.0.0'), 'prometheus');
  assert.equal(negotiateFormat('application/openmetrics-text;q=0'), 'prometheus');
});

test('headers: OpenMetrics drops _total and _info from family names and adds units', () => {
  const bytes = RECORD_FAMILIES.find((family) => family.name === 'flowlens_flow_bytes_total')!;
  assert.equal(
    familyHeader(bytes, 'openmetrics'),
    `# HELP flowlens_flow_bytes ${bytes.help}\n# TYPE flowlens_flow_bytes counter\n# UNIT flowlens_flow_bytes bytes\n`,
  );
  assert.match(
    familyHeader(bytes, 'prometheus'),
    /^# HELP flowlens_flow_bytes_total .*\n# TYPE flowlens_flow_bytes_total counter\n$/,
  );
  assert.match(familyHeader(SELF_FAMILIES.buildInfo, 'openmetrics'), /# TYPE flowlens_build info/);
  assert.match(familyHeader(SELF_FAMILIES.buildInfo, 'prometheus'), /# TYPE flowlens_build_info gauge/);
});

test('every family name follows the conventions dashboards rely on', () => {
  for (const family of ALL_FAMILIES) {
    assert.match(family.name, /^[a-z][a-z0-9_]*$/, family.name);
    if (family.type === 'counter') assert.match(family.name, /_total$/, family.name);
    if (family.unit !== undefined) assert.match(family.name, new RegExp(`_${family.unit}(_total)?$`), family.name);
    assert.ok(family.help.length > 10, family.name);
  }
});
