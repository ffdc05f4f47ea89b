import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  type Checkpoint,
  CheckpointStore,
  FINGERPRINT_MAX_BYTES,
  fingerprintLength,
  fingerprintMatches,
  fingerprintOf,
} from './checkpoint';

function temporaryDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-checkpoint-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function checkpointAt(offset: number, line: number): Checkpoint {
  return { dev: 2049, ino: 1234567, offset, line, fingerprint: fingerprintOf(Buffer.from('first line\n')) };
}

test('open creates the state directory and starts empty', async (t) => {
  const stateDir = path.join(temporaryDir(t), 'nested', 'state');
  const store = await CheckpointStore.open(stateDir);
  assert.ok(fs.statSync(stateDir).isDirectory());
  assert.equal(store.get('/var/log/flows.log'), undefined);
  assert.equal(store.corruptFileSetAside, undefined);
});

test('checkpoints survive a flush and a reopen, written atomically without leftovers', async (t) => {
  const stateDir = temporaryDir(t);
  const store = await CheckpointStore.open(stateDir);
  store.set('/var/log/a.log', checkpointAt(100, 7));
  store.set('/var/log/b.log', checkpointAt(5, 1));
  await store.flush();
  assert.deepEqual(fs.readdirSync(stateDir), ['checkpoints.json']);

  const reopened = await CheckpointStore.open(stateDir);
  assert.deepEqual(reopened.get('/var/log/a.log'), checkpointAt(100, 7));
  assert.deepEqual(reopened.get('/var/log/b.log'), checkpointAt(5, 1));
});

test('flush writes nothing when nothing changed', async (t) => {
  const stateDir = temporaryDir(t);
  const store = await CheckpointStore.open(stateDir);
  await store.flush();
  assert.deepEqual(fs.readdirSync(stateDir), []);

  store.set('/var/log/a.log', checkpointAt(10, 1));
  await store.flush();
  fs.rmSync(path.join(stateDir, 'checkpoints.json'));
  store.set('/var/log/a.log', checkpointAt(10, 1)); // the same values: not a change
  await store.flush();
  assert.deepEqual(fs.readdirSync(stateDir), []);
});

test('a change made while a flush is writing is saved by the next flush', async (t) => {
  const stateDir = temporaryDir(t);
  const store = await CheckpointStore.open(stateDir);
  store.set('/var/log/a.log', checkpointAt(10, 1));
  const firstFlush = store.flush();
  store.set('/var/log/a.log', checkpointAt(20, 2));
  await firstFlush;
  await store.flush();
  const reopened = await CheckpointStore.open(stateDir);
  assert.deepEqual(reopened.get('/var/log/a.log'), checkpointAt(20, 2));
});

test('flushSync persists for exit paths', async (t) => {
  const stateDir = temporaryDir(t);
  const store = await CheckpointStore.open(stateDir);
  store.set('/var/log/a.log', checkpointAt(42, 3));
  store.flushSync();
  assert.deepEqual(fs.readdirSync(stateDir), ['checkpoints.json']);
  const reopened = await CheckpointStore.open(stateDir);
  assert.deepEqual(reopened.get('/var/log/a.log'), checkpointAt(42, 3));
});

test('a corrupt checkpoints file is set aside and the store starts empty', async (t) => {
  const stateDir = temporaryDir(t);
  const corruptText = '{"version": 1, "files": {"/var/log/a.log": {"dev": 1,';
  fs.writeFileSync(path.join(stateDir, 'checkpoints.json'), corruptText);
  const store = await CheckpointStore.open(stateDir);
  assert.equal(store.get('/var/log/a.log'), undefined);
  const setAside = path.join(stateDir, 'checkpoints.json.corrupt');
  assert.equal(store.corruptFileSetAside, setAside);
  assert.equal(fs.readFileSync(setAside, 'utf8'), corruptText);
  assert.equal(fs.existsSync(path.join(stateDir, 'checkpoints.json')), false);

  store.set('/var/log/a.log', checkpointAt(1, 1));
  await store.flush();
  assert.deepEqual((await CheckpointStore.open(stateDir)).get('/var/log/a.log'), checkpointAt(1, 1));
});

test('valid JSON of the wrong shape is set aside too', async (t) => {
  const stateDir = temporaryDir(t);
  fs.writeFileSync(path.join(stateDir, 'checkpoints.json'), '[1, 2, 3]');
  const store = await CheckpointStore.open(stateDir);
  assert.equal(store.corruptFileSetAside, path.join(stateDir, 'checkpoints.json.corrupt'));
});

test('wrongly typed entries are dropped on load, valid ones kept', async (t) => {
  const stateDir = temporaryDir(t);
  const valid = checkpointAt(64, 4);
  const files = {
    '/ok.log': valid,
    '/string-offset.log': { ...valid, offset: '64' },
    '/negative-line.log': { ...valid, line: -1 },
    '/fractional-offset.log': { ...valid, offset: 1.5 },
    '/missing-ino.log': { dev: 1, offset: 0, line: 0, fingerprint: valid.fingerprint },
    '/bad-fingerprint.log': { ...valid, fingerprint: 'not-a-sha1' },
    '/too-long-fingerprint.log': { ...valid, fingerprint: `300:${'a'.repeat(40)}` },
    '/null.log': null,
    '/array.log': [1, 2],
  };
  fs.writeFileSync(path.join(stateDir, 'checkpoints.json'), JSON.stringify({ version: 1, files }));
  const store = await CheckpointStore.open(stateDir);
  assert.equal(store.corruptFileSetAside, undefined);
  assert.deepEqual(store.get('/ok.log'), valid);
  for (const filePath of Object.keys(files).filter((name) => name !== '/ok.log')) {
    assert.equal(store.get(filePath), undefined, filePath);
  }
});

test('fingerprints carry the length they cover and compare over that prefix', () => {
  const short = Buffer.from('just a few bytes\n');
  const fingerprint = fingerprintOf(short);
  assert.match(fingerprint, /^17:[0-9a-f]{40}$/);
  assert.equal(fingerprintLength(fingerprint), 17);
  const grown = Buffer.concat([short, Buffer.alloc(500, 'x')]);
  assert.ok(fingerprintMatches(fingerprint, grown));
  assert.ok(!fingerprintMatches(fingerprint, Buffer.from('Just a few bytes\n and more')));
  assert.ok(!fingerprintMatches(fingerprint, Buffer.from('just a few')), 'shorter than the fingerprinted prefix');

  const long = fingerprintOf(grown);
  assert.equal(fingerprintLength(long), FINGERPRINT_MAX_BYTES);
  assert.equal(fingerprintLength('deadbeef'), undefined);
});
