/**
 * `flowlens policy check` as a user runs it: JSON on stdout and exit 0 whatever the verdict; an unknown pod
 * or a bad flag exits 2 with one line naming it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FIXTURES, runFlowlens, testWorkspace } from './support';

const { processes } = testWorkspace('flowlens-policy-check-');
const RESOURCES = join(FIXTURES, 'policies.yaml');

interface Report {
  verdict: string;
  egress: { verdict: string; policy: string; tier: string; rule: number } | null;
  ingress: { verdict: string; policy: string; tier: string; rule: number } | null;
  staged: { direction: string; verdict: string; policy: string }[];
}

async function check(...args: string[]): Promise<Report> {
  const result = await runFlowlens(processes, ['policy', 'check', '--resources', RESOURCES, ...args]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as Report;
}

describe('flowlens policy check', () => {
  test('an allowed connection names the deciding policy of each direction', async () => {
    const report = await check(
      '--from',
      'shop/frontend-7d4b9c8f5-x2x7k',
      '--to',
      'payments/payments-api-7b8c9d6f5-q4w8z',
      '--port',
      '8443',
    );
    assert.equal(report.verdict, 'allow');
    assert.deepEqual(report.ingress, { verdict: 'allow', policy: 'payments/allow-frontend', tier: 'default', rule: 0 });
    assert.deepEqual(
      report.staged.map((entry) => [entry.direction, entry.verdict, entry.policy]),
      [['egress', 'allow', 'shop/frontend-egress']],
      'the staged egress policy would decide this egress (and allow it)',
    );
  });

  test('a denied connection still exits 0; IPs resolve to pods; UDP is checked as UDP', async () => {
    const denied = await check('--from', '10.244.1.11', '--to', '10.244.2.20', '--port', '8443');
    assert.equal(denied.verdict, 'deny');
    assert.equal(denied.ingress?.rule, -1);
    const udp = await check(
      '--from',
      'shop/frontend-7d4b9c8f5-x2x7k',
      '--to',
      '10.244.2.20',
      '--port',
      '8443',
      '--protocol',
      'udp',
    );
    assert.equal(udp.verdict, 'deny', 'the NetworkPolicy allows TCP only');
  });

  test('staged policies show what would change', async () => {
    const report = await check('--from', 'shop/frontend-7d4b9c8f5-x2x7k', '--to', '198.51.100.7', '--port', '443');
    assert.equal(report.verdict, 'allow');
    assert.deepEqual(
      report.staged.map((entry) => [entry.direction, entry.verdict, entry.policy]),
      [['egress', 'deny', 'shop/frontend-egress']],
    );
  });

  test('unknown pods and bad flags exit 2 with one line naming them', async () => {
    const cases: [string[], RegExp][] = [
      [['--from', 'shop/ghost', '--to', '10.244.2.20', '--port', '80'], /--from "shop\/ghost": no pod ghost/],
      [['--from', '10.244.1.10', '--to', '10.244.2.20', '--port', '99999'], /--port "99999"/],
      [['--from', '10.244.1.10', '--to', '10.244.2.20', '--port', '80', '--protocol', 'icmp'], /--protocol "icmp"/],
      [['--from', '10.244.1.10', '--port', '80'], /needs --to/],
      [['--from', '10.244.1.10', '--to', '10.244.2.20', '--port', '80', '--bogus'], /unknown flag --bogus/],
    ];
    for (const [args, message] of cases) {
      const result = await runFlowlens(processes, ['policy', 'check', '--resources', RESOURCES, ...args]);
      assert.equal(result.code, 2, args.join(' '));
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, message);
    }
  });
});
