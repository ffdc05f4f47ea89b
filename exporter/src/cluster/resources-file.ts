/**
 * A file of Kubernetes objects as `kubectl get ... -A -o yaml` (or `-o json`, or several `---` documents)
 * writes it. Read once, for the static cluster view and the policy engine alike.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

export class ResourcesFileError extends Error {}

export interface ResourceDocument {
  readonly object: unknown;
  /** `<file>: document <n>`, for error messages. */
  readonly where: string;
}

export function readResourcesFile(path: string): ResourceDocument[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ResourcesFileError(
      `resources file ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  return parseAllDocuments(text).map((document, index) => {
    if (document.errors.length > 0) {
      throw new ResourcesFileError(
        `resources file ${path}: document ${index + 1} is not valid YAML or JSON: ${document.errors[0]?.message.split('\n')[0]}`,
      );
    }
    return { object: document.toJS() as unknown, where: `${path}: document ${index + 1}` };
  });
}
