// The exporter's answer to the Recommendations page's question, checked in at test/fixtures/recommend and kept
// equal to a real `flowlens serve`'s by test/recommendations-contract.test.ts: the page's tests read what the
// exporter really sends.
import { readFileSync } from 'fs';
import { join } from 'path';

export function contractAnswer(): unknown {
  return JSON.parse(
    readFileSync(join(__dirname, '../../../../test/fixtures/recommend/recommendations-answer.json'), 'utf8'),
  );
}
