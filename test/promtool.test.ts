/**
 * The exposition passes Prometheus's own linter: `promtool check metrics` reads it on stdin and must exit 0
 * without printing anything (it prints lint problems, such as a counter without `_total`, and still exits 0
 * for some of them, so silence is the real test).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CALICO_FIXTURE, HUBBLE_FIXTURE, Processes, parseExposition, run, runFlowlens } from './support';

const processes = new Processes();
after(() => processes.stopAll());

async function checkWithPromtool(sourceArgs: readonly string[]): Promise<void> {
  const replayed = await runFlowlens(processes, ['replay', ...sourceArgs], { timeoutMs: 120_000 });
  assert.equal(replayed.code, 0, `flowlens replay ${sourceArgs.join(' ')} failed; stderr:\n${replayed.stderr}`);
  // Something to lint: at least one flow sample, not just headers.
  assert.ok(
    parseExposition(replayed.stdout).some((sample) => sample.name === 'flowlens_flows_total'),
    'the exposition has no flowlens_flows_total sample',
  );
  const checked = await run(processes, 'promtool', ['check', 'metrics'], { input: replayed.stdout });
  const output = `${checked.stdout}${checked.stderr}`;
  assert.equal(checked.code, 0, `promtool check metrics exited ${checked.code}:\n${output}`);
  assert.equal(output, '', `promtool check metrics reported problems:\n${output}`);
}

describe('promtool check metrics', () => {
  test('accepts the exposition of the Calico fixture', () =>
    checkWithPromtool(['--source', `calico-flows:${CALICO_FIXTURE}`]));

  test('accepts the exposition of the Hubble fixture', () =>
    checkWithPromtool(['--source', `hubble:${HUBBLE_FIXTURE}`]));

  test('accepts the exposition of both fixtures together', () =>
    checkWithPromtool(['--source', `calico-flows:${CALICO_FIXTURE}`, '--source', `hubble:${HUBBLE_FIXTURE}`]));

  test('accepts the exposition of an hour of demo data', () => checkWithPromtool(['--source', 'demo']));
});
