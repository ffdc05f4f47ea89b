#!/usr/bin/env node
// `npm run bench -w @flowlens/grafana-plugin`: how long the service graph's data code takes at its target scale
// (1,000 nodes, 5,000 edges), in plain Node.js, away from jest's sandbox. The data modules are compiled with swc into
// node_modules/.cache first. Prints one JSON object per result (the median of 5 runs); README.md, "Layout cost",
// keeps the figures.
import { createRequire } from 'node:module';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { transformSync } from '@swc/core';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const sourceDir = join(root, 'src/data');
const outDir = join(root, 'node_modules/.cache/flowlens-plugin-bench');

function compile(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) compile(path);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) {
      const { code } = transformSync(readFileSync(path, 'utf8'), {
        filename: path,
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
      });
      const target = join(outDir, relative(sourceDir, path)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(target), { recursive: true });
      // @grafana/data only loads in a browser (or jsdom); the data code needs nothing of it at run time but the
      // FieldType enum's values, which the bench provides.
      writeFileSync(target, code.replace(/require\("@grafana\/data"\)/g, 'require("./grafana-data-stub.js")'));
    }
  }
}
compile(sourceDir);
writeFileSync(join(outDir, 'package.json'), '{ "type": "commonjs" }\n');
const FieldType = { time: 'time', number: 'number', string: 'string', boolean: 'boolean', other: 'other' };
writeFileSync(join(outDir, 'grafana-data-stub.js'), `exports.FieldType = ${JSON.stringify(FieldType)};\n`);

const require = createRequire(join(root, 'package.json'));
const { layoutGraph } = require(join(outDir, 'layout.js'));
const { framesToGraph, EDGE_RECORDING_RULES } = require(join(outDir, 'frames.js'));
const { filterGraph, collapseNamespaces } = require(join(outDir, 'filters.js'));
const { syntheticGraph } = require(join(outDir, 'testing/synthetic.js'));

function median(run, times = 5) {
  const durations = [];
  for (let index = 0; index < times; index++) {
    const start = performance.now();
    run();
    durations.push(performance.now() - start);
  }
  durations.sort((a, b) => a - b);
  return durations[Math.floor(times / 2)];
}

function report(name, ms) {
  process.stdout.write(`${JSON.stringify({ name, ms: Math.round(ms * 10) / 10 })}\n`);
}

const graph = syntheticGraph(1050, 5000);
const initial = { nodes: graph.nodes.slice(0, 1000), edges: graph.edges };
const first = layoutGraph(initial);
report(
  'layout_initial_1000_nodes_5000_edges_ms',
  median(() => layoutGraph(initial)),
);
report(
  'layout_refresh_50_new_nodes_ms',
  median(() => layoutGraph(graph, first)),
);
report(
  'layout_refresh_unchanged_ms',
  median(() => layoutGraph(initial, first)),
);

// One table frame per rule, one row per edge: what an instant query in table format returns.
const column = (name, values) => ({ name, type: FieldType.string, config: {}, values });
const frames = Object.keys(EDGE_RECORDING_RULES).map((rule) => ({
  refId: rule,
  length: graph.edges.length,
  fields: [
    column(
      '__name__',
      graph.edges.map(() => rule),
    ),
    column(
      'source_namespace',
      graph.edges.map((edge) => edge.source.split('/')[0]),
    ),
    column(
      'source_workload',
      graph.edges.map((edge) => edge.source.split('/')[1]),
    ),
    column(
      'dest_namespace',
      graph.edges.map((edge) => edge.target.split('/')[0]),
    ),
    column(
      'dest_workload',
      graph.edges.map((edge) => edge.target.split('/')[1]),
    ),
    { name: 'Value', type: FieldType.number, config: {}, values: graph.edges.map((edge) => edge.flowRate) },
  ],
}));
report(
  'frames_to_graph_6_rules_5000_edges_ms',
  median(() => framesToGraph(frames)),
);
report(
  'filter_search_ms',
  median(() => filterGraph(graph, { search: 'workload-1' })),
);
const namespaces = graph.namespaces.map((group) => group.name);
report(
  'collapse_all_namespaces_ms',
  median(() => collapseNamespaces(graph, namespaces)),
);

// The policy flow view: the same 5,000 edges, each decided by one of 200 policies in 3 tiers (one in five denied),
// and a staged policy's verdict on one edge in five, as the two POLICY_FLOW_QUERIES return them in table format.
const { framesToPolicyFlows, policyFlowView } = require(join(outDir, 'policy-flow.js'));
const { layoutSankey } = require(join(outDir, 'sankey.js'));
const edgeColumns = (edges) => [
  column(
    'source_namespace',
    edges.map((edge) => edge.source.split('/')[0]),
  ),
  column(
    'source_workload',
    edges.map((edge) => edge.source.split('/')[1]),
  ),
  column(
    'dest_namespace',
    edges.map((edge) => edge.target.split('/')[0]),
  ),
  column(
    'dest_workload',
    edges.map((edge) => edge.target.split('/')[1]),
  ),
];
const stagedEdges = graph.edges.filter((_, index) => index % 5 === 0);
const policyFrames = [
  {
    refId: 'enforced',
    length: graph.edges.length,
    fields: [
      ...edgeColumns(graph.edges),
      column(
        'policy_tier',
        graph.edges.map((_, index) => `tier-${index % 3}`),
      ),
      column(
        'policy',
        graph.edges.map((_, index) => `ns-${index % 40}/policy-${index % 200}`),
      ),
      column(
        'action',
        graph.edges.map((_, index) => (index % 5 === 4 ? 'deny' : 'allow')),
      ),
      { name: 'Value', type: FieldType.number, config: {}, values: graph.edges.map((edge) => edge.flowRate) },
    ],
  },
  {
    refId: 'staged',
    length: stagedEdges.length,
    fields: [
      ...edgeColumns(stagedEdges),
      column(
        'policy',
        stagedEdges.map(() => 'ns-0/lockdown'),
      ),
      column(
        'action',
        stagedEdges.map((_, index) => (index % 2 ? 'deny' : 'allow')),
      ),
      { name: 'Value', type: FieldType.number, config: {}, values: stagedEdges.map((edge) => edge.flowRate) },
    ],
  },
];
const policyFlows = framesToPolicyFlows(policyFrames);
report(
  'policy_frames_to_flows_6000_series_ms',
  median(() => framesToPolicyFlows(policyFrames)),
);
const policyView = policyFlowView(policyFlows, {});
report(
  'policy_view_top_15_workloads_40_policies_ms',
  median(() => policyFlowView(policyFlows, {})),
);
const columnIndex = { source: 0, policy: 1, dest: 2 };
report(
  'policy_sankey_layout_ms',
  median(() =>
    layoutSankey(
      policyView.nodes.map((node) => ({ id: node.id, column: columnIndex[node.column], last: node.merged })),
      policyView.links.map((link) => ({ id: link.id, source: link.source, target: link.target, value: link.rate })),
      { width: 800, height: 600 },
    ),
  ),
);

// What a view change costs after the layout: the render plan (geometry, colors, style batches, boxes) and the
// picking grid built from it. Drawing itself needs a browser (see README.md, "Drawing cost").
const { buildRenderPlan } = require(join(outDir, 'render-plan.js'));
const { HitGrid } = require(join(outDir, 'hit-test.js'));
const { DEFAULT_HEALTH_THRESHOLDS } = require(join(outDir, 'filters.js'));
const palette = {
  allowed: '#73BF69',
  denied: '#F2495C',
  mixed: '#FF9830',
  healthy: '#73BF69',
  warning: '#FADE2A',
  unhealthy: '#F2495C',
  unknown: '#808080',
};
const initialModel = filterGraph(graph, { namespaces: [] });
const initialLayout = layoutGraph(initialModel);
const planOptions = { colorBy: 'verdict', thresholds: DEFAULT_HEALTH_THRESHOLDS, palette };
report(
  'render_plan_1000_nodes_5000_edges_ms',
  median(() => buildRenderPlan(initialModel, initialLayout, planOptions)),
);
const plan = buildRenderPlan(initialModel, initialLayout, planOptions);
report(
  'hit_grid_build_ms',
  median(() => new HitGrid(plan)),
);
const grid = new HitGrid(plan);
report(
  'hit_1000_clicks_ms',
  median(() => {
    for (const node of plan.nodes) grid.hit(node.x + 3, node.y + 3, 4, 1);
  }),
);
