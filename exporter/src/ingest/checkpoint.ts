/**
 * Read positions of followed files, persisted so a restarted exporter neither loses nor re-counts lines.
 * One JSON file per state directory, replaced atomically (write a temporary file, then rename) so a crash
 * mid-write leaves either the old or the new checkpoints, never a torn file.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where a tailer stopped in one file. */
export interface Checkpoint {
  dev: number;
  ino: number;
  /** Byte offset just past the last complete line delivered; a pending partial line is never included. */
  offset: number;
  /** Number of complete lines before `offset` (the next line is `line + 1`). */
  line: number;
  /** `<length>:<sha1 hex>` of the file's first `length` bytes; see `fingerprintOf`. */
  fingerprint: string;
}

/** How much of a file's head identifies it. Enough to tell apart files that reuse an inode. */
export const FINGERPRINT_MAX_BYTES = 256;

const CHECKPOINTS_FILE = 'checkpoints.json';
const FORMAT_VERSION = 1;
const FINGERPRINT_PATTERN = /^(\d{1,3}):([0-9a-f]{40})$/;

/**
 * Fingerprints a file head. The length is part of the fingerprint because a file shorter than
 * FINGERPRINT_MAX_BYTES when it was fingerprinted must later be compared over the same prefix, after it grew.
 */
export function fingerprintOf(head: Buffer): string {
  const used = head.subarray(0, FINGERPRINT_MAX_BYTES);
  return `${used.length}:${createHash('sha1').update(used).digest('hex')}`;
}

/** The number of head bytes a fingerprint covers, or undefined when it is not a well-formed fingerprint. */
export function fingerprintLength(fingerprint: string): number | undefined {
  const match = FINGERPRINT_PATTERN.exec(fingerprint);
  if (!match) return undefined;
  const length = Number(match[1]);
  return length <= FINGERPRINT_MAX_BYTES ? length : undefined;
}

/** True when `head` (the file's first bytes, at least as many as the fingerprint covers) has this fingerprint. */
export function fingerprintMatches(fingerprint: string, head: Buffer): boolean {
  const length = fingerprintLength(fingerprint);
  if (length === undefined || head.length < length) return false;
  return fingerprintOf(head.subarray(0, length)) === fingerprint;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** dev and ino can exceed 2^53 on some filesystems; fs.stat then rounds them, consistently, so only finiteness is required. */
function isDeviceOrInode(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function toCheckpoint(value: unknown): Checkpoint | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const entry = value as Record<string, unknown>;
  const { dev, ino, offset, line, fingerprint } = entry;
  if (!isDeviceOrInode(dev) || !isDeviceOrInode(ino) || !isCount(offset) || !isCount(line)) return undefined;
  if (typeof fingerprint !== 'string' || fingerprintLength(fingerprint) === undefined) return undefined;
  return { dev, ino, offset, line, fingerprint };
}

function sameCheckpoint(a: Checkpoint, b: Checkpoint): boolean {
  return (
    a.dev === b.dev && a.ino === b.ino && a.offset === b.offset && a.line === b.line && a.fingerprint === b.fingerprint
  );
}

function errorCode(error: unknown): string | undefined {
  return error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
}

/** The entries of a parsed checkpoints file, or undefined when its shape is not ours (treated as corrupt). */
function entriesOf(parsed: unknown): Map<string, Checkpoint> | undefined {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const { version, files } = parsed as Record<string, unknown>;
  if (version !== FORMAT_VERSION) return undefined;
  if (typeof files !== 'object' || files === null || Array.isArray(files)) return undefined;
  const entries = new Map<string, Checkpoint>();
  for (const [filePath, value] of Object.entries(files)) {
    const checkpoint = toCheckpoint(value);
    if (checkpoint) entries.set(filePath, checkpoint);
  }
  return entries;
}

export class CheckpointStore {
  /** Where a corrupt checkpoints file was moved when this store was opened, for the caller to log; else undefined. */
  readonly corruptFileSetAside: string | undefined;
  private readonly filePath: string;
  /** Bumped by every effective `set`; comparing it with `savedChanges` tells whether a flush has work to do. */
  private changes = 0;
  private savedChanges = 0;
  /** Flushes run one after another so an older snapshot can never be renamed over a newer one. */
  private flushQueue: Promise<void> = Promise.resolve();

  private constructor(
    readonly stateDir: string,
    private readonly entries: Map<string, Checkpoint>,
    corruptFileSetAside: string | undefined,
  ) {
    this.filePath = path.join(stateDir, CHECKPOINTS_FILE);
    this.corruptFileSetAside = corruptFileSetAside;
  }

  /**
   * Opens (creating the directory if needed) the store in `stateDir`. A missing file means no checkpoints.
   * A file that is not valid JSON of the expected shape is renamed to `checkpoints.json.corrupt` (kept for
   * inspection, replacing an older one) and the store starts empty. Rejects only when the directory or the
   * file cannot be accessed.
   */
  static async open(stateDir: string): Promise<CheckpointStore> {
    await fs.promises.mkdir(stateDir, { recursive: true });
    const filePath = path.join(stateDir, CHECKPOINTS_FILE);
    let text: string;
    try {
      text = await fs.promises.readFile(filePath, 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return new CheckpointStore(stateDir, new Map(), undefined);
      throw new Error(
        `cannot read checkpoints ${filePath}: ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
        },
      );
    }
    let entries: Map<string, Checkpoint> | undefined;
    try {
      entries = entriesOf(JSON.parse(text));
    } catch {
      entries = undefined;
    }
    if (entries) return new CheckpointStore(stateDir, entries, undefined);
    const corruptPath = `${filePath}.corrupt`;
    await fs.promises.rename(filePath, corruptPath);
    return new CheckpointStore(stateDir, new Map(), corruptPath);
  }

  get(filePath: string): Checkpoint | undefined {
    const checkpoint = this.entries.get(filePath);
    return checkpoint ? { ...checkpoint } : undefined;
  }

  set(filePath: string, checkpoint: Checkpoint): void {
    const previous = this.entries.get(filePath);
    if (previous && sameCheckpoint(previous, checkpoint)) return;
    const { dev, ino, offset, line, fingerprint } = checkpoint;
    this.entries.set(filePath, { dev, ino, offset, line, fingerprint });
    this.changes++;
  }

  /** Writes the checkpoints if anything changed since the last write. */
  flush(): Promise<void> {
    const run = this.flushQueue.then(() => this.writeIfChanged());
    this.flushQueue = run.catch(() => undefined);
    return run;
  }

  /** For exit handlers, where no further event-loop turn is guaranteed. */
  flushSync(): void {
    if (this.changes === this.savedChanges) return;
    const changes = this.changes;
    // A temporary name of its own: an asynchronous flush may be writing checkpoints.json.tmp right now.
    const temporaryPath = `${this.filePath}.sync.tmp`;
    const descriptor = fs.openSync(temporaryPath, 'w');
    try {
      fs.writeSync(descriptor, this.serialize());
      fs.fsyncSync(descriptor);
    } finally {
      fs.closeSync(descriptor);
    }
    fs.renameSync(temporaryPath, this.filePath);
    this.savedChanges = Math.max(this.savedChanges, changes);
  }

  private async writeIfChanged(): Promise<void> {
    if (this.changes === this.savedChanges) return;
    const changes = this.changes;
    const temporaryPath = `${this.filePath}.tmp`;
    const handle = await fs.promises.open(temporaryPath, 'w');
    try {
      await handle.writeFile(this.serialize());
      // Without the sync a crash soon after the rename can leave an empty checkpoints file.
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (this.savedChanges >= changes) {
      // flushSync saved a newer snapshot while this one was being written; renaming would roll it back.
      await fs.promises.rm(temporaryPath, { force: true });
      return;
    }
    await fs.promises.rename(temporaryPath, this.filePath);
    this.savedChanges = changes;
  }

  private serialize(): string {
    // fromEntries defines properties, so even a path named `__proto__` is stored as a plain key.
    const files = Object.fromEntries(this.entries);
    return `${JSON.stringify({ version: FORMAT_VERSION, files }, null, 2)}\n`;
  }
}
