import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CheckpointStore } from './checkpoint';
import { FileTailer, type TailOptions } from './tail';

const POLL_MS = 20;

function temporaryDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-tail-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Everything a tailer reported, in arrival order. */
class Recorder {
  readonly lines: Array<[number, string]> = [];
  readonly oversized: Array<[number, number]> = [];
  readonly truncated: Array<[number, number]> = [];
  readonly errors: Error[] = [];

  readonly callbacks: Pick<TailOptions, 'onLines' | 'onOversized' | 'onTruncated' | 'onError'> = {
    onLines: (lines, firstLineNumber) =>
      lines.forEach((text, index) => this.lines.push([firstLineNumber + index, text])),
    onOversized: (lineNumber, bytes) => this.oversized.push([lineNumber, bytes]),
    onTruncated: (lineNumber, bytes) => this.truncated.push([lineNumber, bytes]),
    onError: (error) => this.errors.push(error),
  };

  texts(): string[] {
    return this.lines.map(([, text]) => text);
  }
}

type TailerSettings = Omit<TailOptions, 'onLines' | 'onOversized' | 'onTruncated' | 'onError'>;

/** A tailer that is stopped when the test ends, even if the test failed half-way. */
function tailer(t: TestContext, recorder: Recorder, settings: TailerSettings): FileTailer {
  const created = new FileTailer({ pollIntervalMs: POLL_MS, ...settings, ...recorder.callbacks });
  t.after(() => created.stop());
  return created;
}

/** Waits for a condition reached asynchronously by the poller; fails after a generous deadline instead of hanging. */
async function waitFor(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Waits until the tailer has consumed the whole file as it is now. */
async function waitForCaughtUp(tail: FileTailer, file: string): Promise<void> {
  await waitFor(() => tail.status().offset === fs.statSync(file).size, `${file} to be read to its end`);
}

test('replay delivers every line numbered, without newline or trailing \\r, empty lines included', async (t) => {
  const file = path.join(temporaryDir(t), 'flows.log');
  fs.writeFileSync(file, 'alpha\r\n\nbeta\ngamma\n');
  const recorder = new Recorder();
  const tail = tailer(t, recorder, { path: file, follow: false });
  await tail.start();
  assert.deepEqual(recorder.lines, [
    [1, 'alpha'],
    [2, ''],
    [3, 'beta'],
    [4, 'gamma'],
  ]);
  assert.deepEqual(recorder.truncated, []);
  assert.deepEqual(recorder.errors, []);
  const status = tail.status();
  assert.equal(status.path, file);
  assert.equal(status.line, 4);
  assert.equal(status.size - status.offset, 0);
  assert.equal(status.inode, fs.statSync(file).ino);
  await tail.stop();
});

test('a partial line waits for its newline', async (t) => {
  const file = path.join(temporaryDir(t), 'flows.log');
  fs.writeFileSync(file, 'first\nsec');
  const recorder = new Recorder();
  const tail = tailer(t, recorder, { path: file, follow: true });
  await tail.start();
  await waitForCaughtUp(tail, file);
  assert.deepEqual(recorder.lines, [[1, 'first']]);

  fs.appendFileSync(file, 'ond\nthird\n');
  await waitFor(() => recorder.lines.length === 3, 'the completed lines');
  assert.deepEqual(recorder.lines, [
    [1, 'first'],
    [2, 'second'],
    [3, 'third'],
  ]);
  await tail.stop();
  assert.deepEqual(recorder.errors, []);
});

test('multi-byte characters split across read chunks decode correctly', async (t) => {
  const file = path.join(temporaryDir(t), 'flows.log');
  const lines = ['héllo wörld', '€uro 😀 end', '日本語のテキスト', 'ascii'];
  fs.writeFileSync(file, lines.map((line) => `${line}\n`).join(''));
  const recorder = new Recorder();
  // Three-byte reads cut through every multi-byte character somewhere.
  const tail = tailer(t, recorder, { path: file, follow: false, readChunkBytes: 3 });
  await tail.start();
  assert.deepEqual(recorder.texts(), lines);
});

test('large chunks are decoded in pieces of whole lines: every line arrives whole, numbered and in order', async (t) => {
  const file = path.join(temporaryDir(t), 'flows.log');
  // Long and short lines, CRLF, empty lines, multi-byte characters, invalid UTF-8 and lines longer than a piece.
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) {
    if (i % 97 === 0) lines.push('');
    else if (i % 401 === 0) lines.push(`long ${i} ${'é€😀x'.repeat(12_000)}`);
    else lines.push(`line ${i} ${'日本'.repeat(i % 37)} ${'y'.repeat((i * 7919) % 300)}`);
  }
  const body = lines.map((line, index) => `${line}${index % 5 === 0 ? '\r\n' : '\n'}`).join('');
  const invalid = Buffer.from([0x62, 0x61, 0x64, 0xe2, 0x82, 0x0a]);
  fs.writeFileSync(file, Buffer.concat([Buffer.from(body), invalid, Buffer.from('last\n')]));
  const expected = [...lines, Buffer.from([0x62, 0x61, 0x64, 0xe2, 0x82]).toString('utf8'), 'last'];
  for (const readChunkBytes of [256 * 1024, 100_000, 4096]) {
    const recorder = new Recorder();
    const tail = tailer(t, recorder, { path: file, follow: false, readChunkBytes });
    await tail.start();
    assert.deepEqual(recorder.texts(), expected, `chunks of ${readChunkBytes} bytes`);
    assert.deepEqual(
      recorder.lines.map(([number]) => number),
      expected.map((_, index) => index + 1),
    );
    assert.deepEqual(recorder.errors, []);
  }
});

test('a multi-byte character split across two writes decodes correctly when followed', async (t) => {
  const file = path.join(temporaryDir(t), 'flows.log');
  const euro = Buffer.from('€');
  fs.writeFileSync(file, Buffer.concat([Buffer.from('a'), euro.subarray(0, 2)]));
  const recorder = new Recorder();
  const tail = tailer(t, recorder, { path: file, follow: true });
  await tail.start();
  await waitForCaughtUp(tail, file);
  fs.appendFileSync(file, Buffer.concat([euro.subarray(2), Buffer.from('\n')]));
  await waitFor(() => recorder.lines.length === 1, 'the line');
  assert.deepEqual(recorder.lines, [[1, 'a€']]);
});

test('rename rotation: the old file is finished, then the new one is read from its start', async (t) => {
  const file = path.join(temporaryDir(t), 'flows.log');
  fs.writeFileSync(file, 'old-1\nold-2\n');
  const recorder = new Recorder();
  const tail = tailer(t, recorder, { path: file, follow: true });
  await tail.start();
  await waitFor(() => recorder.lines.length === 2, 'the first lines');

  // logrotate `create`: the writer adds lines just before the rename, then writes to a new file.
  fs.appendFileSync(file, 'old-3\nold-4\n');
  fs.renameSync(file, `${file}.1`);
  fs.writeFileSync(file, 'new-1\nnew-2\n');
  await waitFor(() => recorder.lines.length === 6, 'the lines of both files');
  fs.appendFileSync(file, 'new-3\n');
  await waitFor(() => recorder.lines.length === 7, 'the line appended to the new file');

  assert.deepEqual(recorder.lines, [
    [1, 'old-1'],
    [2, 'old-2'],
    [3, 'old-3'],
    [4, 'old-4'],
    [1, 'new-1'],
    [2, 'new-2'],
    [3, 'new-3'],
  ]);
  assert.equal(tail.status().inode, fs.statSync(file).ino);
  await tail.stop();
});

test('copytruncate: the same file shrinks, reading restarts at its beginning', async (t) => {
  const file = path.join(temporaryDir(t), 'flows.log');
  fs.writeFileSync(file, 'a\nb\nc\npartial');
  const inode = fs.statSync(file).ino;
  const recorder = new Recorder();
  const tail = tailer(t, recorder, { path: file, follow: true });
  await tail.start();
  await waitForCaughtUp(tail, file);
  assert.equal(recorder.lines.length, 3);

  fs.truncateSync(file, 0);
  fs.appendFileSync(file, 'x\n');
  assert.equal(fs.statSync(file).ino, inode);
  await waitFor(() => recorder.lines.length === 4, 'the line written after the truncation');
  fs.appendFileSync(file, 'y\n');
  await waitFor(() => recorder.lines.length === 5, 'the next line');

  // The partial line of the content before the truncation is gone with it.
  assert.deepEqual(recorder.lines, [
    [1, 'a'],
    [2, 'b'],
    [3, 'c'],
    [1, 'x'],
    [2, 'y'],
  ]);
  await tail.stop();
  assert.deepEqual(recorder.errors, []);
});

test('a restart with the same checkpoint store delivers exactly the lines not yet delivered', async (t) => {
  const dir = temporaryDir(t);
  const file = path.join(dir, 'flows.log');
  const stateDir = path.join(dir, 'state');
  // Under 256 bytes at the first checkpoint, over them at the next: the fingerprint must cover the same prefix.
  fs.writeFileSync(file, 'one\ntwo\nthree\npar');

  const first = new Recorder();
  const firstTail = tailer(t, first, { path: file, follow: true, checkpoints: await CheckpointStore.open(stateDir) });
  await firstTail.start();
  await waitForCaughtUp(firstTail, file);
  await firstTail.stop();
  await firstTail.stop();
  assert.deepEqual(first.texts(), ['one', 'two', 'three']);

  const longLine = 'x'.repeat(300);
  fs.appendFileSync(file, `tial\nfour\n${longLine}\n`);
  const second = new Recorder();
  const secondTail = tailer(t, second, { path: file, follow: true, checkpoints: await CheckpointStore.open(stateDir) });
  await secondTail.start();
  await waitFor(() => second.lines.length === 3, 'the new lines');
  await secondTail.stop();
  assert.deepEqual(second.lines, [
    [4, 'partial'],
    [5, 'four'],
    [6, longLine],
  ]);

  // A replay with the same store continues from there too, and saves its own progress.
  const third = new Recorder();
  const thirdTail = tailer(t, third, { path: file, follow: false, checkpoints: await CheckpointStore.open(stateDir) });
  await thirdTail.start();
  assert.deepEqual(third.lines, []);
  fs.appendFileSync(file, 'seven\n');
  const fourth = new Recorder();
  const fourthTail = tailer(t, fourth, {
    path: file,
    follow: false,
    checkpoints: await CheckpointStore.open(stateDir),
  });
  await fourthTail.start();
  assert.deepEqual(fourth.lines, [[7, 'seven']]);

  for (const recorder of [first, second, third, fourth]) assert.deepEqual(recorder.errors, []);
});

test('a checkpoint is ignored when the file was replaced', async (t) => {
  const dir = temporaryDir(t);
  const file = path.join(dir, 'flows.log');
  const stateDir = path.join(dir, 'state');
  const replayWithStore = async (): Promise<Recorder> => {
    const recorder = new Recorder();
    const replay = tailer(t, recorder, {
      path: file,
      follow: false,
      checkpoints: await CheckpointStore.open(stateDir),
    });
    await replay.start();
    await replay.stop();
    return recorder;
  };

  fs.writeFileSync(file, 'aaa\nbbb\n');
  const inode = fs.statSync(file).ino;
  assert.deepEqual((await replayWithStore()).texts(), ['aaa', 'bbb']);

  // Same inode, at least as long as the checkpoint, different first bytes: only the fingerprint tells.
  fs.writeFileSync(file, 'ccc\nddd\neee\n');
  assert.equal(fs.statSync(file).ino, inode);
  assert.deepEqual((await replayWithStore()).lines, [
    [1, 'ccc'],
    [2, 'ddd'],
    [3, 'eee'],
  ]);

  // Identical first bytes but a different inode: a new file all the same.
  const replacement = path.join(dir, 'replacement.log');
  fs.writeFileSync(replacement, 'ccc\nddd\neee\nfff\n');
  fs.renameSync(replacement, file);
  assert.deepEqual((await replayWithStore()).texts(), ['ccc', 'ddd', 'eee', 'fff']);

  // Same inode and first bytes, but shorter than the checkpoint's offset.
  fs.truncateSync(file, 4);
  assert.deepEqual((await replayWithStore()).lines, [[1, 'ccc']]);
});

test('a line over maxLineBytes is reported once and skipped; the following lines are delivered', async (t) => {
  const file = path.join(temporaryDir(t), 'flows.log');
  const atLimit = 'k'.repeat(1024);
  fs.writeFileSync(file, `before\n${'z'.repeat(2000)}\n${atLimit}\nafter\n`);
  const recorder = new Recorder();
  // Small reads, so the over-long line spans several chunks before its newline.
  const tail = tailer(t, recorder, { path: file, follow: false, maxLineBytes: 1024, readChunkBytes: 100 });
  await tail.start();
  assert.deepEqual(recorder.oversized, [[2, 2000]]);
  assert.deepEqual(recorder.lines, [
    [1, 'before'],
    [3, atLimit],
    [4, 'after'],
  ]);
  assert.deepEqual(recorder.truncated, []);
});

test('an oversized line written in several pieces while following is reported once', async (t) => {
  const file = path.join(temporaryDir(t), 'flows.log');
  fs.writeFileSync(file, `ok\n${'q'.repeat(800)}`);
  const recorder = new Recorder();
  const tail = tailer(t, recorder, { path: file, follow: true, maxLineBytes: 1024 });
  await tail.start();
  await waitForCaughtUp(tail, file);
  fs.appendFileSync(file, 'q'.repeat(800));
  await waitForCaughtUp(tail, file);
  fs.appendFileSync(file, `${'q'.repeat(800)}\nnext\n`);
  await waitFor(() => recorder.lines.length === 2, 'the line after the oversized one');
  assert.deepEqual(recorder.oversized, [[2, 2400]]);
  assert.deepEqual(recorder.lines, [
    [1, 'ok'],
    [3, 'next'],
  ]);
});

test('the default limit is 1 MiB: a 1.5 MiB line is reported once, the next lines are delivered', async (t) => {
  const file = path.join(temporaryDir(t), 'flows.log');
  const hugeBytes = 1.5 * 1024 * 1024;
  fs.writeFileSync(file, `head\n${'w'.repeat(hugeBytes)}\ntail\n`);
  const recorder = new Recorder();
  const tail = tailer(t, recorder, { path: file, follow: false });
  await tail.start();
  assert.deepEqual(recorder.oversized, [[2, hugeBytes]]);
  assert.deepEqual(recorder.lines, [
    [1, 'head'],
    [3, 'tail'],
  ]);
});

test('replay reports a last line without newline as truncated and checkpoints before it', async (t) => {
  const dir = temporaryDir(t);
  const file = path.join(dir, 'flows.log');
  fs.writeFileSync(file, 'a\nb\nlast');
  const store = await CheckpointStore.open(path.join(dir, 'state'));
  const recorder = new Recorder();
  const tail = tailer(t, recorder, { path: file, follow: false, checkpoints: store });
  await tail.start();
  assert.deepEqual(recorder.texts(), ['a', 'b']);
  assert.deepEqual(recorder.truncated, [[3, 4]]);
  const checkpoint = store.get(path.resolve(file));
  assert.equal(checkpoint?.offset, 4);
  assert.equal(checkpoint?.line, 2);
});

test('replay of a missing file rejects with an error naming the path and the cause', async (t) => {
  const file = path.join(temporaryDir(t), 'missing.log');
  const tail = tailer(t, new Recorder(), { path: file, follow: false });
  await assert.rejects(tail.start(), (error: Error) => {
    assert.ok(error.message.includes(file), error.message);
    assert.match(error.message, /no such file or directory|ENOENT/);
    return true;
  });
});

test('replay of a directory rejects with an error naming the path', async (t) => {
  const dir = temporaryDir(t);
  const tail = tailer(t, new Recorder(), { path: dir, follow: false });
  await assert.rejects(tail.start(), (error: Error) => {
    assert.ok(error.message.includes(dir), error.message);
    assert.match(error.message, /directory/);
    return true;
  });
});

test('following a missing file reports it once, waits, and reads it from the start when it appears', async (t) => {
  const file = path.join(temporaryDir(t), 'later.log');
  const recorder = new Recorder();
  // startAt 'end' applies only to a file present at start; one that appears later is read whole.
  const tail = tailer(t, recorder, { path: file, follow: true, startAt: 'end' });
  await tail.start();
  assert.equal(recorder.errors.length, 1);
  assert.ok(recorder.errors[0]?.message.includes(file));
  await sleep(POLL_MS * 10); // several polls find the file still missing
  fs.writeFileSync(file, 'hello\nworld\n');
  await waitFor(() => recorder.lines.length === 2, 'the lines of the new file');
  assert.deepEqual(recorder.lines, [
    [1, 'hello'],
    [2, 'world'],
  ]);
  assert.equal(recorder.errors.length, 1);
  await tail.stop();
});

test('a removed file is waited for and its successor read from the start', async (t) => {
  const file = path.join(temporaryDir(t), 'flows.log');
  fs.writeFileSync(file, 'one\n');
  const recorder = new Recorder();
  const tail = tailer(t, recorder, { path: file, follow: true });
  await tail.start();
  await waitFor(() => recorder.lines.length === 1, 'the first line');
  fs.rmSync(file);
  await waitFor(() => recorder.errors.length === 1, 'the missing file to be reported');
  fs.writeFileSync(file, 'again\n');
  await waitFor(() => recorder.lines.length === 2, 'the line of the new file');
  assert.deepEqual(recorder.lines, [
    [1, 'one'],
    [1, 'again'],
  ]);
});

test("startAt 'end' skips the lines present at start but delivers a line being written", async (t) => {
  const file = path.join(temporaryDir(t), 'flows.log');
  fs.writeFileSync(file, 'old-1\nold-2\npar');
  const recorder = new Recorder();
  const tail = tailer(t, recorder, { path: file, follow: true, startAt: 'end' });
  await tail.start();
  await waitForCaughtUp(tail, file);
  fs.appendFileSync(file, 'tial\nnew\n');
  await waitFor(() => recorder.lines.length === 2, 'the new lines');
  assert.deepEqual(recorder.lines, [
    [3, 'partial'],
    [4, 'new'],
  ]);
});

test('stop is idempotent, also before start, and a stopped tailer does nothing', async (t) => {
  const file = path.join(temporaryDir(t), 'flows.log');
  fs.writeFileSync(file, 'line\n');
  const recorder = new Recorder();
  const tail = tailer(t, recorder, { path: file, follow: true });
  await Promise.all([tail.stop(), tail.stop()]);
  await tail.start();
  assert.deepEqual(recorder.lines, []);

  const running = tailer(t, recorder, { path: file, follow: true });
  await running.start();
  await Promise.all([running.stop(), running.stop()]);
  await running.stop();
  fs.appendFileSync(file, 'after stop\n');
  await sleep(POLL_MS * 5); // a poller left running would have read the line by now
  assert.deepEqual(recorder.texts(), ['line']);
});

test('a rotated file that ends mid-line has that line reported through onError, not delivered', async (t) => {
  const file = path.join(temporaryDir(t), 'flows.log');
  fs.writeFileSync(file, 'old\ncut-off');
  const recorder = new Recorder();
  const tail = tailer(t, recorder, { path: file, follow: true });
  await tail.start();
  await waitForCaughtUp(tail, file);
  fs.renameSync(file, `${file}.1`);
  fs.writeFileSync(file, 'new\n');
  await waitFor(() => recorder.lines.length === 2, 'the line of the new file');
  assert.deepEqual(recorder.lines, [
    [1, 'old'],
    [1, 'new'],
  ]);
  assert.ok(
    recorder.errors.some((error) => /line 2 unfinished/.test(error.message)),
    recorder.errors.map((error) => error.message).join('; '),
  );
});

test('an exception thrown by onLines goes to onError and following continues', async (t) => {
  const file = path.join(temporaryDir(t), 'flows.log');
  fs.writeFileSync(file, 'boom\n');
  const delivered: string[] = [];
  const errors: Error[] = [];
  const tail = new FileTailer({
    path: file,
    follow: true,
    pollIntervalMs: POLL_MS,
    onLines: (lines) => {
      delivered.push(...lines);
      if (lines.includes('boom')) throw new Error('consumer failed');
    },
    onOversized: () => undefined,
    onTruncated: () => undefined,
    onError: (error) => errors.push(error),
  });
  t.after(() => tail.stop());
  await tail.start();
  fs.appendFileSync(file, 'fine\n');
  await waitFor(() => delivered.length === 2, 'the next line');
  assert.deepEqual(delivered, ['boom', 'fine']);
  assert.deepEqual(
    errors.map((error) => error.message),
    ['consumer failed'],
  );
});
