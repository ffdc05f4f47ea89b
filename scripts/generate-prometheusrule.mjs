#!/usr/bin/env node
// Writes provisioning/kubernetes/base/prometheusrule.yaml, the Prometheus Operator's PrometheusRule holding exactly
// the groups of alerts/flowlens-rules.yml. `--check` writes nothing and exits 1 when the committed file differs.
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';

const root = new URL('..', import.meta.url).pathname;
const source = `${root}alerts/flowlens-rules.yml`;
const target = `${root}provisioning/kubernetes/base/prometheusrule.yaml`;

const rules = parse(readFileSync(source, 'utf8'));
const resource = {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'PrometheusRule',
  metadata: {
    name: 'flowlens',
    namespace: 'flowlens',
    labels: { 'app.kubernetes.io/name': 'flowlens' },
  },
  spec: { groups: rules.groups },
};
const text =
  '# Generated from alerts/flowlens-rules.yml by scripts/generate-prometheusrule.mjs (npm run provisioning); do not edit.\n' +
  stringify(resource, { lineWidth: 0 });

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // missing: differs
  }
  if (current !== text) {
    process.stderr.write(`${target} differs from alerts/flowlens-rules.yml; run npm run provisioning\n`);
    process.exit(1);
  }
  process.stdout.write(`${target} matches alerts/flowlens-rules.yml\n`);
} else {
  writeFileSync(target, text);
  process.stdout.write(`wrote ${target}\n`);
}
