/**
 * Structured logging: one JSON object per line on stderr, so log pipelines parse it without a grammar.
 * Input problems can come by the million; RateLimitedLog keeps them from flooding the log.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
export const LOG_LEVELS = Object.keys(LEVEL_ORDER) as LogLevel[];

export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
}

export class JsonLogger implements Logger {
  constructor(
    private readonly minimum: LogLevel = 'info',
    private readonly write: (line: string) => void = (line) => process.stderr.write(line),
  ) {}

  log(level: LogLevel, message: string, fields: LogFields = {}): void {
    if (LEVEL_ORDER[level] < LEVEL_ORDER[this.minimum]) return;
    this.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields })}\n`);
  }
}

/** Collects log lines in memory; for tests and for `replay`, which must keep stdout clean. */
export class MemoryLogger implements Logger {
  readonly entries: { level: LogLevel; message: string; fields: LogFields }[] = [];

  log(level: LogLevel, message: string, fields: LogFields = {}): void {
    this.entries.push({ level, message, fields });
  }
}

/**
 * At most `limit` messages per window; the rest are counted and reported in one line when the next window
 * opens, so an operator sees both examples and the scale of a problem.
 */
export class RateLimitedLog {
  private windowStart = -Infinity;
  private emitted = 0;
  private suppressed = 0;

  constructor(
    private readonly logger: Logger,
    private readonly clock: () => number,
    private readonly limit = 10,
    private readonly windowSeconds = 60,
  ) {}

  log(level: LogLevel, message: string, fields: LogFields): void {
    const now = this.clock();
    if (now - this.windowStart >= this.windowSeconds) {
      if (this.suppressed > 0) {
        this.logger.log('warn', 'similar messages suppressed', {
          suppressed: this.suppressed,
          ...pick(fields, 'source'),
        });
      }
      this.windowStart = now;
      this.emitted = 0;
      this.suppressed = 0;
    }
    if (this.emitted < this.limit) {
      this.emitted++;
      this.logger.log(level, message, fields);
    } else {
      this.suppressed++;
    }
  }
}

function pick(fields: LogFields, key: string): LogFields {
  return fields[key] === undefined ? {} : { [key]: fields[key] };
}
