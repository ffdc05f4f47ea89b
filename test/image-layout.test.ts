/**
 * The exporter image's file layout, without Docker (none runs here): the Dockerfile's final stage is laid out in a
 * temporary directory exactly as its COPY lines say (from this built checkout), with node_modules linked as the
 * production-dependencies stage's `npm ci --workspace ...` links them, and the image's commands run from there:
 * `version`, `rules generate` and `dashboards generate` (which loads the dashboards workspace at run time), each
 * giving the same output as the checkout. A COPY that misses a file the commands need fails here.
 *
 * `serve` from the layout answers a recommendation with its diff, so the recommendation worker's compiled entry
 * (loaded by path at run time, which no import names) is in the image.
 *
 * What this cannot see: which packages `--omit=dev` leaves out (the checkout's node_modules is linked whole), and
 * the base images themselves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, fetchText, freePort, run, runFlowlens, testWorkspace, waitFor } from './support';
import { completeAnswer, recommendFixtureServe, RECOMMENDATIONS_ANSWER } from './recommend-fixture';

const workspace = testWorkspace('flowlens-image-');
const EXAMPLE_PROFILE = join(REPO_ROOT, 'provisioning', 'kubernetes', 'examples', 'checkout-profile.yaml');

interface ImageLayout {
  /** `COPY --from=build /src/<from> <to>` of the final stage. */
  copies: Array<{ from: string; to: string }>;
  /** The workspaces the production-dependencies stage installs (its `--workspace` flags). */
  workspaces: string[];
}

function imageLayout(dockerfile: string): ImageLayout {
  const final = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const copies = [...final.matchAll(/^COPY --from=build \/src\/(\S+) (\S+)$/gm)].map(([, from, to]) => ({
    from: from!,
    to: to!,
  }));
  assert.match(final, /^COPY --from=production-dependencies \/src\/node_modules node_modules$/m);
  const stage = /FROM \S+ AS production-dependencies\n([\s\S]*?)\n\n/.exec(dockerfile)?.[1] ?? '';
  const install = stage.replaceAll('\\\n', ' ');
  const workspaces = [...install.matchAll(/--workspace (\S+)/g)].map(([, name]) => name!);
  return { copies, workspaces };
}

/** The workspace directories by package name (root package.json's workspaces). */
function workspaceDirectories(): Map<string, string> {
  const root = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
  return new Map(
    root.workspaces.map((dir) => {
      const manifest = JSON.parse(readFileSync(join(REPO_ROOT, dir, 'package.json'), 'utf8')) as { name: string };
      return [manifest.name, dir];
    }),
  );
}

/** Lays the final stage out under `app`: its copies from the checkout, node_modules with the installed workspaces. */
function layOut(app: string, layout: ImageLayout): void {
  for (const { from, to } of layout.copies) cpSync(join(REPO_ROOT, from), join(app, to), { recursive: true });
  const modules = join(app, 'node_modules');
  mkdirSync(join(modules, '@flowlens'), { recursive: true });
  for (const entry of readdirSync(join(REPO_ROOT, 'node_modules'))) {
    if (entry === '@flowlens' || entry === '.bin' || entry.startsWith('.package-lock')) continue;
    symlinkSync(join(REPO_ROOT, 'node_modules', entry), join(modules, entry));
  }
  const directories = workspaceDirectories();
  for (const name of layout.workspaces) {
    const dir = directories.get(name);
    assert.ok(dir !== undefined, `--workspace ${name} is a workspace of package.json`);
    // As npm links a workspace: node_modules/@flowlens/<name> -> ../../<dir>.
    symlinkSync(join('..', '..', dir), join(modules, name));
  }
}

test('the image runs version, rules generate and dashboards generate as the checkout does', async () => {
  const layout = imageLayout(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
  assert.ok(layout.copies.length >= 4, `${layout.copies.length} COPY lines in the final stage`);
  assert.deepEqual([...layout.workspaces].sort(), ['@flowlens/dashboards', '@flowlens/exporter']);
  const app = join(workspace.dir(), 'app');
  layOut(app, layout);
  const imageBin = join(app, 'exporter', 'bin', 'flowlens.js');

  const version = await run(workspace.processes, process.execPath, [imageBin, 'version']);
  assert.equal(version.code, 0, version.stderr);
  assert.equal(version.stdout, (await runFlowlens(workspace.processes, ['version'])).stdout);

  const rulesArgs = ['rules', 'generate', '--profiles', EXAMPLE_PROFILE];
  const rules = await run(workspace.processes, process.execPath, [imageBin, ...rulesArgs]);
  assert.equal(rules.code, 0, rules.stderr);
  assert.match(rules.stdout, /kind: PrometheusRule/);
  assert.equal(rules.stdout, (await runFlowlens(workspace.processes, rulesArgs)).stdout);

  const fromImage = join(workspace.dir(), 'image-dashboards');
  const fromCheckout = join(workspace.dir(), 'checkout-dashboards');
  const dashboards = await run(workspace.processes, process.execPath, [
    imageBin,
    'dashboards',
    'generate',
    '--profiles',
    EXAMPLE_PROFILE,
    '--output',
    fromImage,
  ]);
  assert.equal(dashboards.code, 0, dashboards.stderr);
  const checkout = await runFlowlens(workspace.processes, [
    'dashboards',
    'generate',
    '--profiles',
    EXAMPLE_PROFILE,
    '--output',
    fromCheckout,
  ]);
  assert.equal(checkout.code, 0, checkout.stderr);
  const files = readdirSync(fromImage).sort();
  assert.ok(files.length >= 1 && files.every((file) => file.endsWith('.json')), `${files}`);
  assert.deepEqual(files, readdirSync(fromCheckout).sort());
  for (const file of files) {
    assert.equal(readFileSync(join(fromImage, file), 'utf8'), readFileSync(join(fromCheckout, file), 'utf8'), file);
  }
});

test("the image's serve computes recommendations in its worker thread (the worker's compiled entry is in the image)", async () => {
  const app = join(workspace.dir(), 'app-serve');
  layOut(app, imageLayout(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8')));
  const port = await freePort();
  const served = workspace.processes.start(process.execPath, [
    join(app, 'exporter', 'bin', 'flowlens.js'),
    ...recommendFixtureServe(workspace.dir(), port, 'image-token'),
  ]);
  let answer = { status: 0, body: '' };
  await waitFor(
    async () => {
      answer = await fetchText(`http://127.0.0.1:${port}/api/v1/recommendations?namespace=shop&diff=true`, {
        headers: { authorization: 'Bearer image-token' },
      });
      return completeAnswer(answer);
    },
    30_000,
    { description: 'a recommendation with the diff from the image layout', process: served },
  );
  // The answer is the one the checkout's serve gives (recommendations-contract.test.ts), computed by the image's worker.
  assert.deepEqual(JSON.parse(answer.body), JSON.parse(readFileSync(RECOMMENDATIONS_ANSWER, 'utf8')));
  assert.deepEqual(await served.stop('SIGTERM'), { code: 0, signal: null });
});
