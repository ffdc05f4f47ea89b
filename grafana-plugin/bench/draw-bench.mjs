#!/usr/bin/env node
// `npm run bench:draw -w @flowlens/grafana-plugin`: how long the service graph's canvas drawing takes at 1,000 nodes
// and 5,000 edges in a real browser (Debian's `chromium`, headless, software rendering), away from Grafana. The
// data modules and draw.ts are compiled with swc to ES modules, served from a local HTTP server to a page that lays
// out a synthetic graph, plans it and draws it: the whole graph fitted (labels off), zoomed in (labels on, most of
// it culled), and pan frames. Prints one JSON object per result (median of 15 draws).
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, relative } from 'node:path';
import { transformSync } from '@swc/core';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const outDir = join(root, 'node_modules/.cache/flowlens-draw-bench');
const browser = process.env.CHROMIUM ?? '/usr/bin/chromium';

function compile(path) {
  const { code } = transformSync(readFileSync(path, 'utf8'), {
    filename: path,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'es6' },
  });
  const target = join(outDir, relative(root, path)).replace(/\.ts$/, '.js');
  mkdirSync(dirname(target), { recursive: true });
  // Browsers resolve only full paths: the extension-less relative imports get theirs.
  writeFileSync(target, code.replace(/from (["'])(\.{1,2}\/[^"']+)\1/g, 'from "$2.js"'));
}

function compileDir(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) compileDir(path);
    // frames.ts and what needs Grafana or the plugin's JSON are not drawn.
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !/^(frames|details|explore-link)\.ts$/.test(name)) {
      compile(path);
    }
  }
}
compileDir(join(root, 'src/data'));
compile(join(root, 'src/panels/service-graph/components/draw.ts'));

const page = `<!doctype html>
<html><body><canvas id="c"></canvas><pre id="results"></pre>
<script type="module">
import { syntheticGraph } from './src/data/testing/synthetic.js';
import { layoutGraph } from './src/data/layout.js';
import { buildRenderPlan } from './src/data/render-plan.js';
import { DEFAULT_HEALTH_THRESHOLDS } from './src/data/filters.js';
import { fitViewport, panBy, focusOn } from './src/data/viewport.js';
import { drawGraph } from './src/panels/service-graph/components/draw.js';
const results = [];
const report = (name, ms) => results.push(JSON.stringify({ name, ms: Math.round(ms * 10) / 10 }));
const note = (name, value) => results.push(JSON.stringify({ name, value }));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const size = { width: 1200, height: 800 };
const canvas = document.getElementById('c');
canvas.width = size.width;
canvas.height = size.height;
const context = canvas.getContext('2d');
const palette = { allowed: '#73BF69', denied: '#F2495C', mixed: '#FF9830', healthy: '#73BF69', warning: '#FADE2A', unhealthy: '#F2495C', unknown: '#808080' };
const colors = { node: '#181b1f', nodeBorder: '#ccccdc', namespaceNode: '#22252b', networkNode: '#111217', text: '#ccccdc', box: '#22252b', boxBorder: '#34373c', selected: '#3d71d9' };
const graph = syntheticGraph(1000, 5000);
let start = performance.now();
const layout = layoutGraph(graph);
report('browser_layout_initial_ms', performance.now() - start);
start = performance.now();
const plan = buildRenderPlan(graph, layout, { colorBy: 'verdict', thresholds: DEFAULT_HEALTH_THRESHOLDS, palette });
report('browser_render_plan_ms', performance.now() - start);
note('style_batches', plan.batches.length);
function time(viewport, runs = 15) {
  const durations = [];
  for (let run = 0; run < runs; run++) {
    const began = performance.now();
    drawGraph(context, { plan, viewport, size, pixelRatio: 1, colors, selection: undefined, dashOffset: undefined });
    // getImageData waits for the canvas to finish drawing, so the time is the whole draw, not its recording.
    context.getImageData(0, 0, 1, 1);
    durations.push(performance.now() - began);
  }
  return median(durations);
}
const fitted = fitViewport(plan.bounds, size);
report('draw_fitted_all_edges_ms', time(fitted));
const node = plan.nodes[0];
report('draw_zoomed_labels_ms', time(focusOn(node, undefined)));
const pans = [];
let viewport = fitted;
for (let frame = 0; frame < 15; frame++) {
  viewport = panBy(viewport, 7, 3);
  pans.push(time(viewport, 1));
}
report('draw_pan_frame_fitted_ms', median(pans));
note('fitted_scale', Math.round(fitted.scale * 1000) / 1000);
document.getElementById('results').textContent = results.join('\\n');
</script></body></html>`;
writeFileSync(join(outDir, 'index.html'), page);

const types = { '.html': 'text/html', '.js': 'text/javascript' };
const server = createServer((request, response) => {
  const path = join(outDir, decodeURIComponent(new URL(request.url, 'http://localhost').pathname));
  try {
    const body = readFileSync(path.endsWith('/') ? join(path, 'index.html') : path);
    response.writeHead(200, { 'content-type': types[extname(path)] ?? 'text/html' });
    response.end(body);
  } catch {
    response.writeHead(404);
    response.end();
  }
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  // Asynchronously: the server must keep answering while the browser loads the page.
  {
    const child = spawn(browser, [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--virtual-time-budget=60000',
      '--dump-dom',
      `http://127.0.0.1:${port}/`,
    ]);
    let dom = '';
    child.stdout.on('data', (chunk) => (dom += chunk));
    child.on('close', () => {
      server.close();
      const results = /<pre id="results">([^<]*)<\/pre>/.exec(dom)?.[1] ?? '';
      if (results.trim() === '') {
        process.stderr.write('draw-bench: the page reported nothing (is chromium installed?)\n');
        process.exitCode = 1;
      } else process.stdout.write(`${results.trim()}\n`);
    });
  }
});
