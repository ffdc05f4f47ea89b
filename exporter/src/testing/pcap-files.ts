/** Test support: pcap files written byte by byte, in either byte order and resolution, as other writers make them. */

/** A pcap file written by hand in either byte order and resolution, as other writers produce them. */
export function handWrittenPcap(
  options: { bigEndian: boolean; nanoseconds: boolean; snapLength?: number; linkType?: number },
  records: readonly { seconds: number; fraction: number; data: Buffer; originalLength?: number }[],
): Buffer {
  const chunks: Buffer[] = [];
  const header = Buffer.alloc(24);
  const u32 = (buffer: Buffer, value: number, offset: number) =>
    options.bigEndian ? buffer.writeUInt32BE(value, offset) : buffer.writeUInt32LE(value, offset);
  const u16 = (buffer: Buffer, value: number, offset: number) =>
    options.bigEndian ? buffer.writeUInt16BE(value, offset) : buffer.writeUInt16LE(value, offset);
  u32(header, options.nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  u16(header, 2, 4);
  u16(header, 4, 6);
  u32(header, options.snapLength ?? 65535, 16);
  u32(header, options.linkType ?? 1, 20);
  chunks.push(header);
  for (const record of records) {
    const recordHeader = Buffer.alloc(16);
    u32(recordHeader, record.seconds, 0);
    u32(recordHeader, record.fraction, 4);
    u32(recordHeader, record.data.length, 8);
    u32(recordHeader, record.originalLength ?? record.data.length, 12);
    chunks.push(recordHeader, record.data);
  }
  return Buffer.concat(chunks);
}
