import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodePcapHeader,
  encodePcapRecord,
  parsePcap,
  PcapFormatError,
  PcapStreamParser,
  type PcapRecord,
} from './pcap';
import { handWrittenPcap } from '../testing/pcap-files';

const payload = (byte: number, length = 60) => Buffer.alloc(length, byte);

test('both byte orders and both timestamp resolutions read to nanoseconds', () => {
  for (const bigEndian of [false, true]) {
    for (const nanoseconds of [false, true]) {
      const fraction = nanoseconds ? 123_456_789 : 123_456;
      const file = handWrittenPcap({ bigEndian, nanoseconds }, [
        { seconds: 1_700_000_000, fraction, data: payload(1), originalLength: 1500 },
        { seconds: 1_700_000_001, fraction: 0, data: payload(2, 10) },
      ]);
      const { header, records } = parsePcap(file, 'x.pcap');
      assert.equal(header.littleEndian, !bigEndian);
      assert.equal(header.resolution, nanoseconds ? 'nanoseconds' : 'microseconds');
      assert.equal(header.linkType, 1);
      assert.equal(records.length, 2);
      assert.equal(records[0]!.timestampNs, 1_700_000_000_000_000_000n + (nanoseconds ? 123_456_789n : 123_456_000n));
      assert.equal(records[0]!.originalLength, 1500);
      assert.deepEqual(records[1]!.data, payload(2, 10));
    }
  }
});

test('what we write reads back, in chunks of any size', () => {
  const records: PcapRecord[] = [
    { timestampNs: 1_700_000_000_000_001_000n, originalLength: 70, data: payload(3, 64) },
    { timestampNs: 1_700_000_000_500_000_000n, originalLength: 9, data: payload(4, 9) },
  ];
  const file = Buffer.concat([
    encodePcapHeader({ resolution: 'microseconds', snapLength: 64, linkType: 1 }),
    ...records.map((record) => encodePcapRecord(record, 'microseconds')),
  ]);
  for (const size of [1, 7, 16, 24, 100, file.length]) {
    const parser = new PcapStreamParser('stream');
    const read: PcapRecord[] = [];
    for (let offset = 0; offset < file.length; offset += size)
      read.push(...parser.push(file.subarray(offset, offset + size)));
    parser.end();
    assert.deepEqual(read, records, `chunks of ${size}`);
  }
});

test('malformed and truncated input is refused, saying where and why', () => {
  const good = handWrittenPcap({ bigEndian: false, nanoseconds: false, snapLength: 100 }, [
    { seconds: 1, fraction: 1, data: payload(1, 50) },
  ]);
  const cases: [Buffer, RegExp][] = [
    [Buffer.alloc(0), /f\.pcap: truncated global header: 0 of 24 bytes/],
    [good.subarray(0, 20), /truncated global header: 20 of 24/],
    [good.subarray(0, 24 + 16 + 10), /truncated record 1: 26 bytes after the last whole record/],
    [good.subarray(0, 30), /truncated record 1: 6 bytes/],
    [Buffer.from('0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff', 'hex'), /not a pcap magic.*pcapng/],
    [Buffer.alloc(24, 0x41), /magic 0x41414141 is not a pcap magic/],
  ];
  const versioned = Buffer.from(good);
  versioned.writeUInt16LE(3, 4);
  cases.push([versioned, /version 3\.4 is not supported/]);
  const oversized = Buffer.from(good);
  oversized.writeUInt32LE(101, 24 + 8);
  oversized.writeUInt32LE(101, 24 + 12);
  cases.push([oversized, /record 1: captured length 101 exceeds the snap length 100/]);
  const huge = handWrittenPcap({ bigEndian: false, nanoseconds: false, snapLength: 0xffffffff }, []);
  const hugeRecord = Buffer.alloc(16);
  hugeRecord.writeUInt32LE(0x7fffffff, 8);
  hugeRecord.writeUInt32LE(0x7fffffff, 12);
  cases.push([Buffer.concat([huge, hugeRecord]), /captured length 2147483647 exceeds the snap length 262144/]);
  const shortOriginal = Buffer.from(good);
  shortOriginal.writeUInt32LE(10, 24 + 12);
  cases.push([shortOriginal, /original length 10 is less than the captured length 50/]);
  const badFraction = Buffer.from(good);
  badFraction.writeUInt32LE(1_000_000, 24 + 4);
  cases.push([badFraction, /timestamp fraction 1000000 is not below 1000000 \(microseconds\)/]);
  for (const [bytes, message] of cases) {
    assert.throws(() => parsePcap(bytes, 'f.pcap'), PcapFormatError);
    assert.throws(() => parsePcap(bytes, 'f.pcap'), message);
  }
});
