/**
 * Retention of finished captures on a node: the capture root holds `<namespace>/<name>/` folders of pcap files.
 * A folder goes when its newest file is older than `maxAgeMs`, then the oldest folders go until the total is within
 * `maxTotalBytes`. Folders of running captures (`active`) are never removed; entries that are not plain folders
 * of plain files (symlinks included) are left alone and never followed.
 */
import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

export interface RetentionPolicy {
  readonly maxAgeMs: number;
  readonly maxTotalBytes: number;
}

export interface CaptureFolder {
  /** `<namespace>/<name>` */
  readonly key: string;
  readonly path: string;
  readonly bytes: number;
  /** Milliseconds since the epoch of the newest file (or of the folder when empty). */
  readonly newestMs: number;
}

async function directories(path: string): Promise<string[]> {
  try {
    const entries = await readdir(path, { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch {
    return [];
  }
}

/** The capture folders under `root`, with their sizes and ages. */
export async function listCaptureFolders(root: string): Promise<CaptureFolder[]> {
  const folders: CaptureFolder[] = [];
  for (const namespace of await directories(root)) {
    for (const name of await directories(join(root, namespace))) {
      const path = join(root, namespace, name);
      let bytes = 0;
      let newestMs = (await lstat(path)).mtimeMs;
      for (const entry of await readdir(path, { withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const info = await lstat(join(path, entry.name));
        bytes += info.size;
        newestMs = Math.max(newestMs, info.mtimeMs);
      }
      folders.push({ key: `${namespace}/${name}`, path, bytes, newestMs });
    }
  }
  return folders;
}

/** Removes what the policy says must go; returns the removed folders' keys, oldest first. */
export async function applyRetention(
  root: string,
  policy: RetentionPolicy,
  active: ReadonlySet<string>,
  nowMs: number = Date.now(),
): Promise<string[]> {
  const folders = (await listCaptureFolders(root)).sort((a, b) => a.newestMs - b.newestMs);
  const removed: string[] = [];
  let total = folders.reduce((sum, folder) => sum + folder.bytes, 0);
  for (const folder of folders) {
    if (active.has(folder.key)) continue;
    const expired = nowMs - folder.newestMs > policy.maxAgeMs;
    if (!expired && total <= policy.maxTotalBytes) continue;
    await rm(folder.path, { recursive: true, force: true });
    total -= folder.bytes;
    removed.push(folder.key);
  }
  return removed;
}
