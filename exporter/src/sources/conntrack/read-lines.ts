/**
 * Reads a stream line by line without holding more than one line: the conntrack table of a busy node is
 * hundreds of megabytes of text, and a poll must cost memory in proportion to one entry, not the table.
 */
import type { Readable } from 'node:stream';

export interface LineHandlers {
  /** A complete line without its newline; `lineNumber` is 1-based. */
  line(text: string, lineNumber: number): void;
  /** A line longer than the limit, discarded without being buffered past it. */
  oversized(lineNumber: number, bytes: number): void;
  /** The stream ended in the middle of a line (a file cut off mid-write, a tool that died). */
  truncated(lineNumber: number, bytes: number): void;
}

/** Reads `stream` to its end; resolves with the number of lines seen, rejects on a stream error. */
export async function readLines(stream: Readable, maxLineBytes: number, handlers: LineHandlers): Promise<number> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let discarding = false;
  let lineNumber = 0;
  const endLine = (last: Buffer): void => {
    lineNumber++;
    const bytes = pendingBytes + last.length;
    if (discarding || bytes > maxLineBytes) handlers.oversized(lineNumber, bytes);
    else {
      const text = (pending.length === 0 ? last : Buffer.concat([...pending, last])).toString('utf8');
      handlers.line(text.endsWith('\r') ? text.slice(0, -1) : text, lineNumber);
    }
    pending = [];
    pendingBytes = 0;
    discarding = false;
  };
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    let start = 0;
    for (let newline = buffer.indexOf(10, start); newline >= 0; newline = buffer.indexOf(10, start)) {
      endLine(buffer.subarray(start, newline));
      start = newline + 1;
    }
    if (start < buffer.length) {
      const rest = buffer.subarray(start);
      pendingBytes += rest.length;
      if (pendingBytes > maxLineBytes) {
        // Keep counting the line's bytes, but stop keeping them.
        discarding = true;
        pending = [];
      } else pending.push(Buffer.from(rest));
    }
  }
  if (pendingBytes > 0) {
    lineNumber++;
    handlers.truncated(lineNumber, pendingBytes);
  }
  return lineNumber;
}
