/**
 * Reads ObservabilityProfiles from a file or a directory of YAML/JSON files (not recursive), as they sit beside an
 * application's other manifests: documents of other kinds are skipped, a bad profile is an error naming the file.
 * Profiles come back sorted by namespace and name, so everything generated from them is the same on every run.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { isObject } from '../policy/kubernetes/fields';
import { parseObservabilityProfile, PROFILE_KIND, ProfileSpecError, type ObservabilityProfile } from './spec';

/** Larger files are not profiles someone wrote by hand; refuse them rather than parse them. */
export const MAX_PROFILE_FILE_BYTES = 4 * 1024 * 1024;

const MANIFEST_FILE = /\.(ya?ml|json)$/;

function profileFiles(path: string): string[] {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    throw new ProfileSpecError(`--profiles ${path}: no such file or directory`);
  }
  if (!stats.isDirectory()) return [path];
  return readdirSync(path)
    .filter((name) => MANIFEST_FILE.test(name))
    .sort()
    .map((name) => join(path, name))
    .filter((file) => statSync(file).isFile());
}

/** The profiles in `text`; `file` names where they came from in errors. */
export function profilesFromText(text: string, file: string): ObservabilityProfile[] {
  const profiles: ObservabilityProfile[] = [];
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) {
      throw new ProfileSpecError(`${file}: not YAML: ${document.errors[0]?.message ?? 'parse error'}`);
    }
    const value: unknown = document.toJS();
    if (!isObject(value) || value['kind'] !== PROFILE_KIND) continue;
    try {
      profiles.push(parseObservabilityProfile(value));
    } catch (error) {
      if (error instanceof ProfileSpecError) throw new ProfileSpecError(`${file}: ${error.message}`);
      throw error;
    }
  }
  return profiles;
}

export function readProfiles(path: string): ObservabilityProfile[] {
  const profiles: ObservabilityProfile[] = [];
  const seen = new Map<string, string>();
  for (const file of profileFiles(path)) {
    const size = statSync(file).size;
    if (size > MAX_PROFILE_FILE_BYTES) {
      throw new ProfileSpecError(
        `${file}: ${size} bytes, more than ${MAX_PROFILE_FILE_BYTES}: split it into smaller files`,
      );
    }
    for (const profile of profilesFromText(readFileSync(file, 'utf8'), file)) {
      const key = `${profile.namespace}/${profile.name}`;
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        throw new ProfileSpecError(`${file}: ${PROFILE_KIND} ${key} is also in ${earlier}: keep one of them`);
      }
      seen.set(key, file);
      profiles.push(profile);
    }
  }
  if (profiles.length === 0) throw new ProfileSpecError(`--profiles ${path}: no ${PROFILE_KIND} found`);
  return profiles.sort((a, b) => compareProfiles(a, b));
}

export function compareProfiles(a: ObservabilityProfile, b: ObservabilityProfile): number {
  const left = `${a.namespace}/${a.name}`;
  const right = `${b.namespace}/${b.name}`;
  return left < right ? -1 : left > right ? 1 : 0;
}
