import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePcap } from './pcap';
import { CaptureSession, type RunnerOptions } from './runner';

const dir = mkdtempSync(join(tmpdir(), 'flowlens-runner-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A stand-in for tcpdump: prints what tcpdump prints when it listens, writes a pcap stream of COUNT records of SIZE
 * bytes to stdout (argv: count size mode), then waits to be stopped. Mode `fail` exits 1 with tcpdump's kind of message.
 */
const FAKE_TCPDUMP = join(dir, 'fake-tcpdump.js');
writeFileSync(
  FAKE_TCPDUMP,
  `
const [count, size, mode] = process.argv.slice(2);
if (mode === 'fail') { process.stderr.write('tcpdump: syntax error in filter expression\\n'); process.exit(1); }
process.stderr.write('listening on fake0, link-type EN10MB (Ethernet), snapshot length 262144 bytes\\n');
const header = Buffer.alloc(24);
header.writeUInt32LE(0xa1b2c3d4, 0); header.writeUInt16LE(2, 4); header.writeUInt16LE(4, 6);
header.writeUInt32LE(262144, 16); header.writeUInt32LE(1, 20);
const records = [];
for (let i = 0; i < Number(count); i++) {
  const record = Buffer.alloc(16 + Number(size), i % 256);
  record.writeUInt32LE(1700000000 + i, 0); record.writeUInt32LE(0, 4);
  record.writeUInt32LE(Number(size), 8); record.writeUInt32LE(Number(size), 12);
  records.push(record);
}
// Split mid-record, as a pipe may.
const stream = Buffer.concat([header, ...records]);
process.stdout.write(stream.subarray(0, 30));
setTimeout(() => process.stdout.write(stream.subarray(30)), 20);
process.on('SIGTERM', () => process.exit(0));
setInterval(() => {}, 1000);
`,
);

/** Waits (bounded) until the session has written `packets` packets. */
async function written(capture: CaptureSession, packets: number): Promise<void> {
  for (let tries = 0; (capture.status()[0]?.packets ?? 0) < packets; tries++) {
    if (tries > 1000) throw new Error(`the session wrote ${capture.status()[0]?.packets} packets, not ${packets}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function session(name: string, options: Partial<RunnerOptions> & { count: number; size: number; mode?: string }) {
  return new CaptureSession({
    directory: join(dir, name),
    targets: [{ pod: 'shop/web-1', fileStem: 'web-1', address: '10.0.0.1', iface: { device: 'fake0', shared: false } }],
    filters: [],
    limits: { durationMs: 60_000, maxBytes: 1_000_000, snapLength: 262_144, fileBytes: 1_000_000 },
    tcpdump: [process.execPath, FAKE_TCPDUMP, String(options.count), String(options.size), options.mode ?? 'ok'],
    interfaceExists: async () => true,
    ...options,
  });
}

test('maxBytes: the files never exceed it, the record that would is not written, the capture ends by itself', async () => {
  // 24-byte header, then records of 16 + 100 bytes: 17 fit in 2,000 bytes (24 + 17 × 116 = 1,996).
  const capture = session('max', {
    count: 50,
    size: 100,
    limits: { durationMs: 60_000, maxBytes: 2000, snapLength: 262_144, fileBytes: 1_000_000 },
  });
  const result = await capture.run();
  assert.equal(result.stopReason, 'maxBytes');
  assert.equal(result.packets, 17);
  assert.equal(result.bytes, 1996);
  assert.equal(statSync(join(dir, 'max', 'web-1.0000.pcap')).size, 1996);
  assert.equal(parsePcap(readFileSync(join(dir, 'max', 'web-1.0000.pcap')), 'x').records.length, 17);
});

test('rotation: a new file, with its own header, before one would pass fileBytes', async () => {
  const capture = new CaptureSession({
    directory: join(dir, 'rotate'),
    targets: [{ pod: 'shop/web-1', fileStem: 'web-1', address: '10.0.0.1', iface: { device: 'fake0', shared: false } }],
    filters: [],
    limits: { durationMs: 60_000, maxBytes: 100_000, snapLength: 262_144, fileBytes: 1024 },
    tcpdump: [process.execPath, FAKE_TCPDUMP, '20', '100'],
    interfaceExists: async () => true,
  });
  const running = capture.run();
  await capture.listening;
  await written(capture, 20);
  capture.stop();
  const result = await running;
  assert.equal(result.stopReason, 'stopped');
  assert.equal(result.packets, 20);
  // (1024 - 24) / 116 = 8 records per file: 8, 8, 4.
  assert.deepEqual(readdirSync(join(dir, 'rotate')).sort(), ['web-1.0000.pcap', 'web-1.0001.pcap', 'web-1.0002.pcap']);
  const counts = ['web-1.0000.pcap', 'web-1.0001.pcap', 'web-1.0002.pcap'].map(
    (name) => parsePcap(readFileSync(join(dir, 'rotate', name)), name).records.length,
  );
  assert.deepEqual(counts, [8, 8, 4]);
  assert.equal(result.bytes, 3 * 24 + 20 * 116);
});

test('one writer per folder: a second capture into a held folder is refused; later runs never reuse a file', async () => {
  const first = session('shared', { count: 1, size: 60 });
  const running = first.run();
  await first.listening;
  await assert.rejects(session('shared', { count: 1, size: 60 }).run(), /already writing into .*shared/);
  await written(first, 1);
  first.stop();
  await running;
  // The folder is free again; the next capture numbers its files after the ones there.
  const second = session('shared', { count: 1, size: 60 });
  const again = second.run();
  await second.listening;
  await written(second, 1);
  second.stop();
  assert.deepEqual((await again).files, ['web-1.0001.pcap']);
  assert.deepEqual(readdirSync(join(dir, 'shared')).sort(), ['web-1.0000.pcap', 'web-1.0001.pcap']);
});

test('a lock left by an earlier process with this pid (a restarted container) is taken over', async () => {
  const folder = join(dir, 'restarted');
  mkdirSync(folder);
  writeFileSync(join(folder, '.capture.lock'), `${process.pid} 0123456789abcdef`);
  const capture = session('restarted', { count: 1, size: 60 });
  const running = capture.run();
  await capture.listening;
  await written(capture, 1);
  capture.stop();
  assert.equal((await running).packets, 1);
  // A live process's lock is respected: pid 1 is always alive.
  writeFileSync(join(folder, '.capture.lock'), '1 0123456789abcdef');
  await assert.rejects(session('restarted', { count: 1, size: 60 }).run(), /another capture \(pid 1\) is writing/);
});

test('a tcpdump that fails, or cannot be run, is an Error naming why', async () => {
  const failed = await session('fail', { count: 0, size: 0, mode: 'fail' }).run();
  assert.equal(failed.targets[0]?.state, 'Error');
  assert.match(
    failed.targets[0]?.error ?? '',
    /tcpdump on fake0 exited \(1\): tcpdump: syntax error in filter expression/,
  );
  const missing = await session('missing', { count: 0, size: 0, tcpdump: ['/nonexistent/tcpdump'] }).run();
  assert.equal(missing.targets[0]?.state, 'Error');
  assert.match(
    missing.targets[0]?.error ?? '',
    /cannot run \/nonexistent\/tcpdump: .*ENOENT.*install Debian's tcpdump package/,
  );
});

test('a vanished interface ends its target as InterfaceGone, not Error', async () => {
  const capture = session('gone', { count: 1, size: 60, interfaceExists: async () => false });
  const running = capture.run();
  await capture.listening;
  // The fake exits when signalled, as tcpdump does when its interface disappears.
  const child = (capture as unknown as { captures: { child: { kill(signal: string): void } }[] }).captures[0]!.child;
  child.kill('SIGTERM');
  const result = await running;
  assert.equal(result.targets[0]?.state, 'InterfaceGone');
  assert.equal(result.stopReason, 'targetsEnded');
});

test('limits and file stems are checked', () => {
  assert.throws(
    () => session('bad', { count: 0, size: 0, limits: { durationMs: 0, maxBytes: 10, snapLength: 1, fileBytes: 1 } }),
    /durationMs must be an integer of at least 1/,
  );
  assert.throws(
    () =>
      session('bad', {
        count: 0,
        size: 0,
        targets: [{ pod: 'x/y', fileStem: '../etc', address: '10.0.0.1', iface: { device: 'fake0', shared: false } }],
      }),
    /"\.\.\/etc" is not a valid file stem/,
  );
});
