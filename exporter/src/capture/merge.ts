/**
 * Reading pcap files record by record, and merging several (one per pod and node) into one time-ordered file, as
 * `mergecap` does, without loading whole files: each input is streamed, and the merge writes the earliest record
 * of the inputs' heads each step (ties keep the inputs' order). The output is written beside the destination and
 * renamed into place when complete, so a reader never sees half a merge.
 */
import { createReadStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  encodePcapHeader,
  encodePcapRecord,
  PcapFormatError,
  PcapStreamParser,
  type PcapHeader,
  type PcapRecord,
  type TimestampResolution,
} from './pcap';

const READ_CHUNK_BYTES = 256 * 1024;
const WRITE_BATCH_BYTES = 1024 * 1024;

/** One pcap file, read as a stream of records. */
export class PcapFileReader {
  private readonly parser: PcapStreamParser;
  private readonly chunks: AsyncIterator<Buffer>;
  private queue: PcapRecord[] = [];
  private position = 0;
  private done = false;

  constructor(readonly path: string) {
    this.parser = new PcapStreamParser(path);
    this.chunks = (createReadStream(path, { highWaterMark: READ_CHUNK_BYTES }) as AsyncIterable<Buffer>)[
      Symbol.asyncIterator
    ]();
  }

  /** The global header; reads the file's start when needed. */
  async header(): Promise<PcapHeader> {
    while (this.parser.header === undefined && !this.done) await this.fill();
    if (this.parser.header === undefined) this.parser.end();
    return this.parser.header!;
  }

  /** The next record, or undefined at the end of the file; throws on malformed or truncated input. */
  async next(): Promise<PcapRecord | undefined> {
    while (this.position >= this.queue.length && !this.done) await this.fill();
    if (this.position >= this.queue.length) return undefined;
    const record = this.queue[this.position++];
    return record;
  }

  async close(): Promise<void> {
    await this.chunks.return?.();
  }

  private async fill(): Promise<void> {
    const chunk = await this.chunks.next();
    if (chunk.done === true) {
      this.done = true;
      this.parser.end();
      return;
    }
    this.queue = this.queue.slice(this.position).concat(this.parser.push(chunk.value));
    this.position = 0;
  }
}

export interface MergeResult {
  readonly records: number;
  readonly bytes: number;
  readonly linkType: number;
  readonly resolution: TimestampResolution;
}

/**
 * Merges `inputs` into `output` in timestamp order. All inputs must have one link type (a classic pcap file has a
 * single one); the output has the largest snap length and nanosecond timestamps if any input has them.
 */
export async function mergePcapFiles(inputs: readonly string[], output: string): Promise<MergeResult> {
  if (inputs.length === 0) throw new PcapFormatError('merge: no input files; give at least one pcap file');
  const readers = inputs.map((path) => new PcapFileReader(path));
  const temporary = join(dirname(output), `.${basename(output)}.${process.pid}.partial`);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    const headers = await Promise.all(readers.map((reader) => reader.header()));
    const linkType = headers[0]!.linkType;
    headers.forEach((header, index) => {
      if (header.linkType !== linkType) {
        throw new PcapFormatError(
          `${inputs[index]}: link type ${header.linkType} differs from ${inputs[0]}'s ${linkType}; merge files of one link type only`,
        );
      }
    });
    const resolution: TimestampResolution = headers.some((header) => header.resolution === 'nanoseconds')
      ? 'nanoseconds'
      : 'microseconds';
    const snapLength = Math.max(...headers.map((header) => header.snapLength));
    handle = await open(temporary, 'wx');
    const header = encodePcapHeader({ resolution, snapLength, linkType });
    let batch: Buffer[] = [header];
    let batchBytes = header.length;
    let bytes = header.length;
    let records = 0;
    const heads = await Promise.all(readers.map((reader) => reader.next()));
    for (;;) {
      let earliest = -1;
      for (let index = 0; index < heads.length; index++) {
        const head = heads[index];
        if (head === undefined) continue;
        if (earliest < 0 || head.timestampNs < heads[earliest]!.timestampNs) earliest = index;
      }
      if (earliest < 0) break;
      const encoded = encodePcapRecord(heads[earliest]!, resolution);
      batch.push(encoded);
      batchBytes += encoded.length;
      bytes += encoded.length;
      records++;
      if (batchBytes >= WRITE_BATCH_BYTES) {
        await handle.write(Buffer.concat(batch));
        batch = [];
        batchBytes = 0;
      }
      heads[earliest] = await readers[earliest]!.next();
    }
    if (batch.length > 0) await handle.write(Buffer.concat(batch));
    await handle.close();
    handle = undefined;
    await rename(temporary, output);
    return { records, bytes, linkType, resolution };
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  } finally {
    await Promise.all(readers.map((reader) => reader.close().catch(() => undefined)));
  }
}
