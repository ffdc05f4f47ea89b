/**
 * Starts the configured sources and connects each to its tap: line sources through a FileTailer and
 * their kind's decoder, generator sources through a context that can feed lines of any line format.
 */
import { FileTailer } from '../ingest/tail';
import type { CheckpointStore } from '../ingest/checkpoint';
import { DecodeError, type LineDecoder, type RunningSource } from '../sources/types';
import { sourceKind } from '../sources/registry';
import type { SourceSpec } from '../config';
import type { Pipeline } from './pipeline';

export type RunMode = 'serve' | 'replay';

export interface SourceRuntime extends RunningSource {
  readonly spec: SourceSpec;
  /** Bytes written and not yet read, for file sources. */
  unreadBytes(): number | undefined;
}

export function createSourceRuntimes(
  specs: readonly SourceSpec[],
  pipeline: Pipeline,
  mode: RunMode,
  checkpoints: CheckpointStore | undefined,
): SourceRuntime[] {
  return specs.map((spec) => {
    const kind = sourceKind(spec.kind);
    if (kind === undefined) throw new Error(`source kind ${spec.kind} is not registered`);
    const tap = pipeline.tap(spec.id);
    if (kind.input === 'generator') {
      const decoders = new Map<string, LineDecoder>();
      let generatedLines = 0;
      const running = kind.create(spec.argument, {
        sink: tap,
        mode,
        logger: pipeline.logger,
        rejected: (error, where, position) => tap.rejected(error, where, position),
        gauge: (name, value) => pipeline.metrics[name].set([spec.id], value),
        feedLine(lineKind, line) {
          let decoder = decoders.get(lineKind);
          if (decoder === undefined) {
            const lineSource = sourceKind(lineKind);
            if (lineSource?.input !== 'lines') throw new Error(`${lineKind} is not a line source kind`);
            decoder = lineSource.createDecoder();
            decoders.set(lineKind, decoder);
          }
          tap.decodeLines(decoder, [line], ++generatedLines, spec.id);
        },
      });
      return { spec, start: () => running.start(), stop: () => running.stop(), unreadBytes: () => undefined };
    }
    const decoder = kind.createDecoder();
    const path = spec.argument;
    const tailer = new FileTailer({
      path,
      follow: mode === 'serve',
      checkpoints,
      onLines: (lines, firstLineNumber) => tap.decodeLines(decoder, lines, firstLineNumber, path),
      onOversized: (line, bytes) =>
        tap.rejected(
          new DecodeError('oversized', `line of ${bytes} bytes or more is over the 1 MiB limit`),
          path,
          line,
        ),
      onTruncated: (line, bytes) =>
        tap.rejected(new DecodeError('truncated', `the file ends with a partial line of ${bytes} bytes`), path, line),
      onError: (error) =>
        pipeline.logger.log('warn', 'source file problem', { source: spec.id, file: path, error: error.message }),
    });
    return {
      spec,
      start: () => tailer.start(),
      stop: () => tailer.stop(),
      unreadBytes: () => {
        const status = tailer.status();
        return Math.max(0, status.size - status.offset);
      },
    };
  });
}
