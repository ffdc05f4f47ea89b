/**
 * The classic pcap file format (what `tcpdump -w` writes and Wireshark opens), read and written in TypeScript:
 * a 24-byte global header (magic, version 2.4, snap length, link type) and records of a 16-byte header (seconds,
 * sub-second fraction, captured length, original length) followed by the captured bytes.
 *
 * The magic tells both the byte order and the timestamp resolution: 0xa1b2c3d4 microseconds, 0xa1b23c4d
 * nanoseconds, each read in either endianness. Timestamps are kept as nanoseconds since the epoch in a bigint, so
 * files of either resolution merge exactly.
 *
 * `PcapStreamParser` takes bytes in chunks of any size (a tcpdump pipe) and hands out whole records; a record whose
 * captured length exceeds the snap length, or the sanity bound, is malformed input, not a request to buffer more.
 */

export const PCAP_GLOBAL_HEADER_BYTES = 24;
export const PCAP_RECORD_HEADER_BYTES = 16;

const MAGIC_MICROSECONDS = 0xa1b2c3d4;
const MAGIC_NANOSECONDS = 0xa1b23c4d;

/** Linux's largest packet (a 64 KiB GSO segment and headers): no record captures more. */
export const PCAP_MAX_RECORD_BYTES = 262_144;

/** Bad pcap input: `field` names what was wrong, the message what to do. */
export class PcapFormatError extends Error {
  override readonly name = 'PcapFormatError';
}

export type TimestampResolution = 'microseconds' | 'nanoseconds';

export interface PcapHeader {
  readonly littleEndian: boolean;
  readonly resolution: TimestampResolution;
  readonly versionMajor: number;
  readonly versionMinor: number;
  readonly snapLength: number;
  /** LINKTYPE_* (1 is Ethernet). */
  readonly linkType: number;
}

export interface PcapRecord {
  /** Nanoseconds since the epoch. */
  readonly timestampNs: bigint;
  /** The packet's length on the wire; the captured bytes may be fewer (snap length). */
  readonly originalLength: number;
  readonly data: Buffer;
}

/** Reads a global header; `where` names the input (a file name) in errors. */
export function parsePcapHeader(bytes: Buffer, where: string): PcapHeader {
  if (bytes.length < PCAP_GLOBAL_HEADER_BYTES) {
    throw new PcapFormatError(
      `${where}: truncated global header: ${bytes.length} of ${PCAP_GLOBAL_HEADER_BYTES} bytes; the file is not a complete pcap file`,
    );
  }
  const little = bytes.readUInt32LE(0);
  const big = bytes.readUInt32BE(0);
  let littleEndian: boolean;
  let resolution: TimestampResolution;
  if (little === MAGIC_MICROSECONDS || little === MAGIC_NANOSECONDS) {
    littleEndian = true;
    resolution = little === MAGIC_NANOSECONDS ? 'nanoseconds' : 'microseconds';
  } else if (big === MAGIC_MICROSECONDS || big === MAGIC_NANOSECONDS) {
    littleEndian = false;
    resolution = big === MAGIC_NANOSECONDS ? 'nanoseconds' : 'microseconds';
  } else {
    throw new PcapFormatError(
      `${where}: magic 0x${big.toString(16).padStart(8, '0')} is not a pcap magic (a1b2c3d4 or a1b23c4d, either byte order); pcapng files are not supported: write with tcpdump -w or convert with editcap -F pcap`,
    );
  }
  const u16 = (offset: number): number => (littleEndian ? bytes.readUInt16LE(offset) : bytes.readUInt16BE(offset));
  const u32 = (offset: number): number => (littleEndian ? bytes.readUInt32LE(offset) : bytes.readUInt32BE(offset));
  const versionMajor = u16(4);
  const versionMinor = u16(6);
  if (versionMajor !== 2) {
    throw new PcapFormatError(`${where}: version ${versionMajor}.${versionMinor} is not supported: only pcap 2.x`);
  }
  const snapLength = u32(16);
  // The upper bits of the link type field carry FCS information in newer files; the type is the low 28 bits.
  const linkType = u32(20) & 0x0fffffff;
  return { littleEndian, resolution, versionMajor, versionMinor, snapLength, linkType };
}

/** A microsecond or nanosecond global header in little-endian byte order. */
export function encodePcapHeader(header: {
  resolution: TimestampResolution;
  snapLength: number;
  linkType: number;
}): Buffer {
  const bytes = Buffer.alloc(PCAP_GLOBAL_HEADER_BYTES);
  bytes.writeUInt32LE(header.resolution === 'nanoseconds' ? MAGIC_NANOSECONDS : MAGIC_MICROSECONDS, 0);
  bytes.writeUInt16LE(2, 4);
  bytes.writeUInt16LE(4, 6);
  bytes.writeInt32LE(0, 8);
  bytes.writeUInt32LE(0, 12);
  bytes.writeUInt32LE(header.snapLength, 16);
  bytes.writeUInt32LE(header.linkType, 20);
  return bytes;
}

/** A record in a little-endian file of the given resolution (nanosecond timestamps are rounded down). */
export function encodePcapRecord(record: PcapRecord, resolution: TimestampResolution): Buffer {
  const bytes = Buffer.alloc(PCAP_RECORD_HEADER_BYTES + record.data.length);
  const seconds = record.timestampNs / 1_000_000_000n;
  const fraction = record.timestampNs % 1_000_000_000n;
  bytes.writeUInt32LE(Number(seconds), 0);
  bytes.writeUInt32LE(Number(resolution === 'nanoseconds' ? fraction : fraction / 1000n), 4);
  bytes.writeUInt32LE(record.data.length, 8);
  bytes.writeUInt32LE(record.originalLength, 12);
  record.data.copy(bytes, PCAP_RECORD_HEADER_BYTES);
  return bytes;
}

/**
 * Incremental parser: `push` bytes as they come, get back the header (once) and the whole records they completed.
 * `end()` says whether bytes of an incomplete record are left (a truncated file, or a writer killed mid-record).
 */
export class PcapStreamParser {
  private pending: Buffer = Buffer.alloc(0);
  private parsedHeader: PcapHeader | undefined;
  private recordIndex = 0;

  constructor(private readonly where: string) {}

  get header(): PcapHeader | undefined {
    return this.parsedHeader;
  }

  /** Bytes held back: the start of a record (or header) not complete yet. */
  get pendingBytes(): number {
    return this.pending.length;
  }

  push(chunk: Buffer): PcapRecord[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const records: PcapRecord[] = [];
    let offset = 0;
    if (this.parsedHeader === undefined) {
      if (this.pending.length < PCAP_GLOBAL_HEADER_BYTES) return records;
      this.parsedHeader = parsePcapHeader(this.pending, this.where);
      offset = PCAP_GLOBAL_HEADER_BYTES;
    }
    const header = this.parsedHeader;
    for (;;) {
      if (this.pending.length - offset < PCAP_RECORD_HEADER_BYTES) break;
      const u32 = (at: number): number =>
        header.littleEndian ? this.pending.readUInt32LE(offset + at) : this.pending.readUInt32BE(offset + at);
      const seconds = u32(0);
      const fraction = u32(4);
      const capturedLength = u32(8);
      const originalLength = u32(12);
      const record = `${this.where}: record ${this.recordIndex + 1}`;
      const fractionLimit = header.resolution === 'nanoseconds' ? 1_000_000_000 : 1_000_000;
      if (fraction >= fractionLimit) {
        throw new PcapFormatError(
          `${record}: timestamp fraction ${fraction} is not below ${fractionLimit} (${header.resolution}); the file is corrupt`,
        );
      }
      const limit = Math.min(PCAP_MAX_RECORD_BYTES, header.snapLength > 0 ? header.snapLength : PCAP_MAX_RECORD_BYTES);
      if (capturedLength > limit) {
        throw new PcapFormatError(
          `${record}: captured length ${capturedLength} exceeds the snap length ${limit}; the file is corrupt`,
        );
      }
      if (originalLength < capturedLength) {
        throw new PcapFormatError(
          `${record}: original length ${originalLength} is less than the captured length ${capturedLength}; the file is corrupt`,
        );
      }
      const end = offset + PCAP_RECORD_HEADER_BYTES + capturedLength;
      if (end > this.pending.length) break;
      const timestampNs =
        BigInt(seconds) * 1_000_000_000n + BigInt(header.resolution === 'nanoseconds' ? fraction : fraction * 1000);
      records.push({
        timestampNs,
        originalLength,
        data: Buffer.from(this.pending.subarray(offset + PCAP_RECORD_HEADER_BYTES, end)),
      });
      this.recordIndex++;
      offset = end;
    }
    this.pending = this.pending.subarray(offset);
    return records;
  }

  /** Throws when the input ended inside the header or a record. */
  end(): void {
    if (this.parsedHeader === undefined) {
      throw new PcapFormatError(
        `${this.where}: truncated global header: ${this.pending.length} of ${PCAP_GLOBAL_HEADER_BYTES} bytes; the file is not a complete pcap file`,
      );
    }
    if (this.pending.length > 0) {
      throw new PcapFormatError(
        `${this.where}: truncated record ${this.recordIndex + 1}: ${this.pending.length} bytes after the last whole record; the writer stopped mid-record`,
      );
    }
  }
}

/** A whole pcap file in memory (tests and small files). */
export function parsePcap(bytes: Buffer, where: string): { header: PcapHeader; records: PcapRecord[] } {
  const parser = new PcapStreamParser(where);
  const records = parser.push(bytes);
  parser.end();
  return { header: parser.header!, records };
}
