/** The `kubernetes` switch: flag, environment variable and config file keys, with their mistakes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ConfigError,
  DEFAULT_KUBERNETES_WATCHDOG_SECONDS,
  loadConfig,
  overridesFromEnvironment,
} from '@flowlens/exporter/dist/src/config';
import { makeTempDir, removeDir } from './support';

test('kubernetes is off by default and on from the flag, FLOWLENS_KUBERNETES or the file', async () => {
  const none = loadConfig({ configFile: undefined, environment: {}, flags: {} });
  assert.equal(none.kubernetes, false);
  assert.equal(none.kubernetesWatchdogSeconds, DEFAULT_KUBERNETES_WATCHDOG_SECONDS);
  assert.equal(loadConfig({ configFile: undefined, environment: {}, flags: { kubernetes: true } }).kubernetes, true);
  const environment = overridesFromEnvironment({ FLOWLENS_KUBERNETES: 'true' });
  assert.deepEqual(environment.problems, []);
  assert.equal(loadConfig({ configFile: undefined, environment: environment.overrides, flags: {} }).kubernetes, true);
  assert.match(overridesFromEnvironment({ FLOWLENS_KUBERNETES: 'yes' }).problems[0] ?? '', /must be true or false/);

  const dir = await makeTempDir('flowlens-kubernetes-config-');
  try {
    const file = join(dir, 'flowlens.yaml');
    await writeFile(file, 'kubernetes: true\nkubernetesWatchdog: 2m\n');
    const config = loadConfig({ configFile: file, environment: {}, flags: {} });
    assert.equal(config.kubernetes, true);
    assert.equal(config.kubernetesWatchdogSeconds, 120);
    await writeFile(file, 'kubernetes: "yes"\nkubernetesWatchdog: soon\n');
    assert.throws(
      () => loadConfig({ configFile: file, environment: {}, flags: {} }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.some((problem) => /kubernetes: "yes" must be true or false/.test(problem)) &&
        error.problems.some((problem) => /kubernetesWatchdog: "soon" must be a duration/.test(problem)),
    );
  } finally {
    await removeDir(dir);
  }
});
