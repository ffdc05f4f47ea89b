import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../config';
import { repoRoot } from '../testing/collect';
import { readTlsMaterial, TlsFiles } from './tls';

// The fake API server's test-only certificate and key (test/kube-api-server.ts): a valid pair, for 100 years.
const CERTIFICATE = join(repoRoot(), 'test/fixtures/kube-api-server.crt');
const KEY = join(repoRoot(), 'test/fixtures/kube-api-server.key');

function problemsOf(action: () => unknown): string[] {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  assert.fail('expected a ConfigError');
}

function withDirectory(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-tls-'));
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Replaces a file the way a Secret update does: a new file renamed over the old one (a new inode). */
function replace(path: string, contents: Buffer | string): void {
  writeFileSync(`${path}.new`, contents);
  renameSync(`${path}.new`, path);
}

test('a certificate and its key make material; the client CA is optional', () => {
  const material = readTlsMaterial({ certFile: CERTIFICATE, keyFile: KEY, clientCAFile: undefined });
  assert.match(material.cert.toString('utf8'), /BEGIN CERTIFICATE/);
  assert.equal(material.ca, undefined);
  const withCa = readTlsMaterial({ certFile: CERTIFICATE, keyFile: KEY, clientCAFile: CERTIFICATE });
  assert.ok(withCa.ca?.equals(material.cert));
});

test('unreadable or mismatched files: a ConfigError naming each key and the fix', () => {
  const missing = problemsOf(() =>
    readTlsMaterial({ certFile: '/nonexistent/tls.crt', keyFile: KEY, clientCAFile: '/nonexistent/ca.crt' }),
  );
  assert.equal(missing.length, 2, missing.join('\n'));
  assert.match(
    missing[0]!,
    /^server\.tls\.certFile \(--tls-cert-file\): \/nonexistent\/tls\.crt cannot be read \(ENOENT\)/,
  );
  assert.match(missing[1]!, /^server\.tls\.clientCAFile \(--tls-client-ca-file\): /);
  withDirectory((dir) => {
    const notPem = join(dir, 'key.pem');
    writeFileSync(notPem, 'not a key\n');
    const bad = problemsOf(() => readTlsMaterial({ certFile: CERTIFICATE, keyFile: notPem, clientCAFile: undefined }));
    assert.equal(bad.length, 1);
    assert.match(bad[0]!, /server\.tls\.keyFile \(--tls-key-file\): not a usable certificate, key .*the key matching/);
  });
});

test('TlsFiles: nothing until a file changes; new material after; a bad change throws once, then waits', () => {
  withDirectory((dir) => {
    const config = { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), clientCAFile: undefined };
    copyFileSync(CERTIFICATE, config.certFile);
    copyFileSync(KEY, config.keyFile);
    const files = new TlsFiles(config);
    assert.equal(files.check(), undefined);

    replace(config.keyFile, 'half-rotated\n');
    assert.throws(() => files.check(), ConfigError);
    assert.equal(files.check(), undefined, 'the same bad files are not retried (nor logged) again');

    replace(config.keyFile, readTlsMaterial({ ...config, keyFile: KEY }).key);
    const material = files.check();
    assert.ok(material !== undefined);
    assert.match(material.key.toString('utf8'), /PRIVATE KEY/);
    assert.equal(files.check(), undefined);
  });
});
