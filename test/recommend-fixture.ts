/**
 * The recommendation fixture served (test/fixtures/recommend): its cluster with enforced.yaml's policies as the
 * enforced ones, an `api` token, and its Hubble flows as the source. The contract test serves it from the checkout
 * and the image-layout test from the image's files; both must ask the same exporter the same question.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from './support';

/** The answer the Grafana page's tests read; recommendations-contract.test.ts keeps it equal to a real serve's. */
export const RECOMMENDATIONS_ANSWER = join(FIXTURES, 'recommend', 'recommendations-answer.json');
/** Distinct flows in the fixture's Hubble file: the answer is complete once all are observed. */
export const FIXTURE_FLOWS = 8;

/** `serve`'s arguments for the fixture on `port`, its files written to `dir`; callers present `token` as a bearer. */
export function recommendFixtureServe(dir: string, port: number, token: string): string[] {
  const resources = join(dir, 'resources.yaml');
  writeFileSync(
    resources,
    `${readFileSync(join(FIXTURES, 'recommend', 'resources.yaml'), 'utf8')}\n---\n${readFileSync(join(FIXTURES, 'recommend', 'enforced.yaml'), 'utf8')}`,
  );
  const tokenFile = join(dir, 'api-token');
  writeFileSync(tokenFile, `${token}\n`);
  const config = join(dir, 'api.yaml');
  writeFileSync(config, `resources: ${resources}\napi:\n  tokenFile: ${tokenFile}\n  maxObservedFlows: 1000\n`);
  return [
    'serve',
    '--listen',
    `127.0.0.1:${port}`,
    '--config',
    config,
    '--source',
    `hubble:${join(FIXTURES, 'recommend', 'hubble-flows.ndjson')}`,
  ];
}

/** Whether an answer to the fixture's question is complete: a 200 with every fixture flow observed. */
export function completeAnswer(answer: { status: number; body: string }): boolean {
  return (
    answer.status === 200 &&
    (JSON.parse(answer.body) as { observed: { flows: number } }).observed.flows === FIXTURE_FLOWS
  );
}
