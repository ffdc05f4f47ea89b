/**
 * The exposition passes Prometheus's own linter: `promtool check metrics` reads it on stdin and must exit 0
 * without printing anything (it prints lint problems, such as a counter without `_total`, and still exits 0
 * for some of them, so silence is the real test).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CALICO_FIXTURE,
  HUBBLE_FIXTURE,
  Processes,
  findSamples,
  parseExposition,
  promtoolAccepts,
  runFlowlens,
  sampleValue,
  type Sample,
} from './support';

const processes = new Processes();
after(() => processes.stopAll());

/** Replays the sources, lints the exposition with promtool, and returns its samples for further checks. */
async function checkWithPromtool(sourceArgs: readonly string[]): Promise<Sample[]> {
  const replayed = await runFlowlens(processes, ['replay', ...sourceArgs], { timeoutMs: 120_000 });
  assert.equal(replayed.code, 0, `flowlens replay ${sourceArgs.join(' ')} failed; stderr:\n${replayed.stderr}`);
  const samples = parseExposition(replayed.stdout);
  // Something to lint: at least one flow sample, not just headers.
  assert.ok(
    samples.some((sample) => sample.name === 'flowlens_flows_total'),
    'the exposition has no flowlens_flows_total sample',
  );
  await promtoolAccepts(processes, replayed.stdout);
  return samples;
}

describe('promtool check metrics', () => {
  test('accepts the exposition of the Calico fixture', async () => {
    await checkWithPromtool(['--source', `calico-flows:${CALICO_FIXTURE}`]);
  });

  test('accepts the exposition of the Hubble fixture', async () => {
    await checkWithPromtool(['--source', `hubble:${HUBBLE_FIXTURE}`]);
  });

  test('accepts the exposition of both fixtures together', async () => {
    await checkWithPromtool(['--source', `calico-flows:${CALICO_FIXTURE}`, '--source', `hubble:${HUBBLE_FIXTURE}`]);
  });

  test('accepts the exposition of an hour of demo data', async () => {
    const samples = await checkWithPromtool(['--source', 'demo']);
    // The demo's self-metrics carry source="demo", and its flows span the demo cluster's namespaces.
    assert.ok(sampleValue(samples, 'flowlens_ingest_records_total', { source: 'demo' }) > 0);
    const namespaces = new Set(
      findSamples(samples, 'flowlens_flows_total').map((sample) => sample.labels['source_namespace']),
    );
    assert.ok(namespaces.size >= 6, `demo flows come from ${namespaces.size} source namespaces`);
  });
});
