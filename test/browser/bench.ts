/**
 * The browser bench: the service graph panel at 1,000 nodes and 5,000 edges (synthetic frames, as Prometheus would
 * answer the per-edge rules) in Debian's headless Chromium, through the same harness as test/browser.test.ts.
 * `npm run bench -- --only browser` runs it (exporter/bench/bench.ts starts `node test/dist/browser/bench.js`);
 * progress goes to stderr, one JSON object per result to stdout: {name, value, unit}. docs/benchmarks.md says what
 * each line measures and keeps the figures.
 */
import { performance } from 'node:perf_hooks';
import { cpus, loadavg } from 'node:os';
import type { Page } from 'playwright-core';
import { HarnessPage, HarnessServer, buildHarness, dragAcross, launchChromium } from './harness';

const NODES = 1000;
const EDGES = 5000;
const RUNS = 3;
const PAN_MS = 2000;

interface Run {
  mountToRenderMs: number;
  framesMs: number | undefined;
  layoutMs: number | undefined;
  drawMs: number | undefined;
  panFrameMs: number[];
  /** The panel's own draw measures during the pan (the JavaScript side of each drawn frame). */
  panDrawMs: number[];
}

function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

function result(name: string, value: number, unit: string): void {
  process.stdout.write(`${JSON.stringify({ name, value: Math.round(value * 10) / 10, unit })}\n`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? NaN;
}

/** The drawn panel's root, once it says every edge is drawn. */
async function waitForRender(page: Page): Promise<void> {
  await page
    .locator(`[data-testid="flowlens-service-graph"][data-edge-count="${EDGES}"]`)
    .waitFor({ timeout: 120_000 });
}

async function oneRun(harness: HarnessPage): Promise<Run> {
  const started = performance.now();
  await harness.mount({
    panel: 'service-graph',
    frames: 'synthetic',
    synthetic: { nodes: NODES, edges: EDGES },
    width: 1200,
    height: 800,
  });
  await waitForRender(harness.page);
  // The first frame after the DOM says so is the one the user sees.
  await harness.page.evaluate('new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))');
  const mountToRenderMs = performance.now() - started;
  const first = async (name: string) => (await harness.call('measures', name))[0]?.duration;
  // Only the first layout and draw: the pan's draws are what its frame intervals measure.
  const layoutMs = await first('flowlens:service-graph:layout');
  const drawMs = await first('flowlens:service-graph:draw');
  const drawsBefore = (await harness.call('measures', 'flowlens:service-graph:draw')).length;
  const panFrameMs = await dragAcross(harness.page, harness.page.getByTestId('sg-canvas'), PAN_MS);
  const panDraws = (await harness.call('measures', 'flowlens:service-graph:draw')).slice(drawsBefore);
  return {
    mountToRenderMs,
    framesMs: await first('harness:frames'),
    layoutMs,
    drawMs,
    panFrameMs,
    panDrawMs: panDraws.map((measure) => measure.duration),
  };
}

async function main(): Promise<void> {
  progress(
    `browser bench: node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load ${loadavg()[0]?.toFixed(2)}`,
  );
  progress('browser bench: building the harness');
  buildHarness();
  const server = new HarnessServer();
  await server.start();
  const browser = await launchChromium();
  progress(`browser bench: ${browser.version()}, ${RUNS} runs of ${NODES} nodes and ${EDGES} edges`);
  const runs: Run[] = [];
  try {
    for (let index = 0; index < RUNS; index++) {
      const harness = await HarnessPage.open(browser, server.base);
      try {
        const run = await oneRun(harness);
        if (harness.errors.length > 0) throw new Error(`errors in the page:\n${harness.errors.join('\n')}`);
        progress(
          `  run ${index + 1}: ${Math.round(run.mountToRenderMs)} ms to render, ${run.panFrameMs.length} frames panning, ${run.panDrawMs.length} drawn`,
        );
        runs.push(run);
      } finally {
        await harness.close();
      }
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  const defined = (values: (number | undefined)[]) => values.filter((value): value is number => value !== undefined);
  result(`browser_sg_render_${NODES}_nodes_${EDGES}_edges_ms`, median(runs.map((run) => run.mountToRenderMs)), 'ms');
  const frames = defined(runs.map((run) => run.framesMs));
  if (frames.length > 0) result('browser_frames_from_prometheus_30000_series_ms', median(frames), 'ms');
  const layout = defined(runs.map((run) => run.layoutMs));
  const draw = defined(runs.map((run) => run.drawMs));
  if (layout.length < runs.length || draw.length < runs.length) {
    throw new Error('a run has no flowlens:service-graph:layout or :draw measure');
  }
  result('browser_sg_layout_initial_ms', median(layout), 'ms');
  result('browser_sg_draw_initial_ms', median(draw), 'ms');
  // Frames of all runs' pans together; the first interval after the drag starts is kept (it is what a user feels).
  const pan = runs.flatMap((run) => run.panFrameMs);
  result('browser_sg_pan_frame_p50_ms', percentile(pan, 0.5), 'ms');
  result('browser_sg_pan_frame_p95_ms', percentile(pan, 0.95), 'ms');
  result('browser_sg_pan_frame_max_ms', Math.max(...pan), 'ms');
  result(
    'browser_sg_pan_frames_per_s',
    (pan.length / runs.reduce((sum, run) => sum + run.panFrameMs.reduce((a, b) => a + b, 0), 0)) * 1000,
    'frames/s',
  );
  const panDraws = runs.flatMap((run) => run.panDrawMs);
  if (panDraws.length === 0) throw new Error('the pans drew nothing: no flowlens:service-graph:draw measure');
  result('browser_sg_pan_draw_p50_ms', percentile(panDraws, 0.5), 'ms');
  result('browser_sg_pan_draw_p95_ms', percentile(panDraws, 0.95), 'ms');
}

main().catch((error: unknown) => {
  process.stderr.write(`PROBLEM: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
