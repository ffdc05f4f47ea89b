import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergePcapFiles } from './merge';
import { parsePcap, PcapFormatError } from './pcap';
import { handWrittenPcap } from '../testing/pcap-files';

const dir = mkdtempSync(join(tmpdir(), 'flowlens-merge-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const tagged = (tag: number) => Buffer.alloc(40, tag);

test('files of both byte orders and resolutions merge into one time-ordered nanosecond file', async () => {
  const a = join(dir, 'a.pcap');
  const b = join(dir, 'b.pcap');
  const c = join(dir, 'c.pcap');
  writeFileSync(
    a,
    handWrittenPcap({ bigEndian: false, nanoseconds: false, snapLength: 96 }, [
      { seconds: 100, fraction: 5, data: tagged(1) },
      { seconds: 102, fraction: 0, data: tagged(4) },
      { seconds: 102, fraction: 0, data: tagged(5) },
    ]),
  );
  writeFileSync(
    b,
    handWrittenPcap({ bigEndian: true, nanoseconds: true, snapLength: 200 }, [
      { seconds: 100, fraction: 5001, data: tagged(2) },
      { seconds: 102, fraction: 0, data: tagged(6) },
    ]),
  );
  writeFileSync(
    c,
    handWrittenPcap({ bigEndian: true, nanoseconds: false, snapLength: 150 }, [
      { seconds: 101, fraction: 0, data: tagged(3) },
    ]),
  );
  const output = join(dir, 'merged.pcap');
  const result = await mergePcapFiles([a, b, c], output);
  assert.deepEqual(result, { records: 6, bytes: 24 + 6 * (16 + 40), linkType: 1, resolution: 'nanoseconds' });
  const merged = parsePcap(readFileSync(output), 'merged');
  assert.equal(merged.header.snapLength, 200);
  assert.equal(merged.header.resolution, 'nanoseconds');
  // Time order; equal timestamps keep the inputs' order (a's 4, 5 before b's 6).
  assert.deepEqual(
    merged.records.map((record) => record.data[0]),
    [1, 2, 3, 4, 5, 6],
  );
  assert.equal(merged.records[0]!.timestampNs, 100_000_005_000n);
  assert.equal(merged.records[1]!.timestampNs, 100_000_005_001n);
});

test('a truncated input, an unknown format or mixed link types fail the merge and leave no output', async () => {
  const good = join(dir, 'good.pcap');
  writeFileSync(
    good,
    handWrittenPcap({ bigEndian: false, nanoseconds: false }, [{ seconds: 1, fraction: 0, data: tagged(1) }]),
  );
  const truncated = join(dir, 'truncated.pcap');
  writeFileSync(truncated, readFileSync(good).subarray(0, 50));
  const raw = join(dir, 'raw.pcap');
  writeFileSync(raw, handWrittenPcap({ bigEndian: false, nanoseconds: false, linkType: 101 }, []));
  const text = join(dir, 'text.pcap');
  writeFileSync(text, 'this is not a capture file at all\n');
  const cases: [string[], RegExp][] = [
    [[good, truncated], /truncated\.pcap: truncated record 1/],
    [[good, text], /text\.pcap: magic .* is not a pcap magic/],
    [[good, raw], /raw\.pcap: link type 101 differs from .*good\.pcap's 1/],
    [[], /no input files/],
  ];
  for (const [inputs, message] of cases) {
    const output = join(dir, 'out.pcap');
    await assert.rejects(mergePcapFiles(inputs, output), PcapFormatError);
    await assert.rejects(mergePcapFiles(inputs, output), message);
    assert.deepEqual(
      readdirSync(dir).filter((name) => name.startsWith('out') || name.includes('partial')),
      [],
    );
  }
});
