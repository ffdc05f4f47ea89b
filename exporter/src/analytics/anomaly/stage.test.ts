import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnomalyStage, SCORE_TTL_WINDOWS } from './stage';
import { ANOMALY_KINDS } from './kinds';
import { ANOMALY_FAMILIES } from '../../metrics/catalogue';
import { testFlowRecord } from '../../testing/records';
import { emptyEndpoint, type Endpoint } from '../../model/flow';

function pod(namespace: string, workload: string): Endpoint {
  return { ...emptyEndpoint(), kind: 'pod', namespace, workload };
}

const SCORE = ANOMALY_FAMILIES.score.name;

test('the score family shows at most topN series however many are anomalous, highest first', () => {
  let now = 0;
  const topN = 5;
  const stage = new AnomalyStage({ topN, windowSeconds: 60 }, () => now);
  const edges = 40;
  // 30 minutes of steady traffic on 40 edges, then every edge surges (windows close one window late).
  for (let minute = 0; minute < 34; minute++) {
    for (let i = 0; i < edges; i++) {
      const flows = minute < 30 ? 10 + (minute % 3) : 1000 + i;
      stage.flow(
        testFlowRecord({
          source: pod('shop', `client-${i}`),
          destination: pod('data', `server-${i}`),
          endTime: minute * 60 + 30,
          reporter: 'src',
          flows,
        }),
      );
    }
    now = minute * 60 + 30;
  }
  const lines = stage.renderSamples(SCORE).trim().split('\n');
  assert.equal(lines.length, topN);
  assert.match(
    lines[0]!,
    /^flowlens_anomaly_score\{kind="flow_rate",namespace="shop",workload="client-39",direction="egress",peer_namespace="data",peer_workload="server-39"\} \d+(\.\d+)?$/,
  );
  const alarms = stage.renderSamples(ANOMALY_FAMILIES.alarms.name);
  assert.match(alarms, /^flowlens_anomalies_total\{kind="flow_rate"\} 40$/m);
  assert.equal(alarms.trim().split('\n').length, ANOMALY_KINDS.length, 'one series per kind, zeros included');
  assert.match(
    stage.renderSamples(ANOMALY_FAMILIES.tracked.name),
    /^flowlens_anomaly_tracked_series\{kind="flow_rate"\} 40$/m,
  );
  assert.match(stage.renderSamples(ANOMALY_FAMILIES.evicted.name), /kind="bytes"\} 0$/m);
  assert.equal(stage.renderSamples('flowlens_flows_total'), '');
  // A straggler for a window already judged is counted, not added.
  assert.equal(stage.renderSamples(ANOMALY_FAMILIES.late.name), 'flowlens_anomaly_late_records_total 0\n');
  stage.flow(testFlowRecord({ source: pod('shop', 'client-0'), destination: pod('data', 'server-0'), endTime: 90 }));
  assert.equal(stage.renderSamples(ANOMALY_FAMILIES.late.name), 'flowlens_anomaly_late_records_total 1\n');

  // No window closes any more (the sources went quiet): the scores go after the TTL, the counters stay.
  now += SCORE_TTL_WINDOWS * 60 + 1;
  assert.equal(stage.renderSamples(SCORE), '');
  assert.match(stage.renderSamples(ANOMALY_FAMILIES.alarms.name), /kind="flow_rate"\} 40$/m);
});

test('topN 0 shows no scores; a bad topN is refused', () => {
  const stage = new AnomalyStage({ topN: 0 }, () => 0);
  stage.flush();
  assert.equal(stage.renderSamples(SCORE), '');
  assert.throws(() => new AnomalyStage({ topN: -1 }), /topN/);
});
