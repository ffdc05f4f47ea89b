import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSocketsArgument } from './source';

test('the sockets argument: an optional proc root and interval', () => {
  assert.deepEqual(parseSocketsArgument(''), { procRoot: '/proc', intervalSeconds: 15, host: false });
  assert.deepEqual(parseSocketsArgument('/host/proc'), { procRoot: '/host/proc', intervalSeconds: 15, host: false });
  assert.deepEqual(parseSocketsArgument('/host/proc/,interval=30'), {
    procRoot: '/host/proc',
    intervalSeconds: 30,
    host: false,
  });
  assert.deepEqual(parseSocketsArgument('host=true'), { procRoot: '/proc', intervalSeconds: 15, host: true });
  assert.deepEqual(parseSocketsArgument('interval=5'), { procRoot: '/proc', intervalSeconds: 5, host: false });
});

test('a bad sockets argument names what is wrong and how to write it', () => {
  const cases: { argument: string; message: RegExp }[] = [
    { argument: 'interval=0', message: /option "interval" must be whole seconds from 1 to 3600, got "0"/ },
    { argument: 'interval=fast', message: /option "interval" must be whole seconds/ },
    { argument: 'interval=5,interval=6', message: /"interval" is given twice/ },
    { argument: 'every=5', message: /unknown option "every"; use sockets\[:PROC_ROOT\]/ },
    { argument: '/a,/b', message: /a second proc root "\/b"/ },
    { argument: 'host=yes', message: /option "host" must be true or false, got "yes"/ },
  ];
  for (const { argument, message } of cases) assert.throws(() => parseSocketsArgument(argument), message, argument);
});
