#!/usr/bin/env node
// `npm run stack`: the demo exporter, Prometheus (Debian's `prometheus`) with alerts/flowlens-rules.yml, and
// Alertmanager (Debian's `prometheus-alertmanager`) with provisioning/alertmanager/alertmanager.yml, on loopback.
// Alertmanager's webhook receivers are pointed at a small receiver this script runs, which prints each
// notification, or at --webhook-receiver URL. Prints the URLs; Ctrl-C (or SIGTERM) stops everything.
//
// Options (all optional): --exporter-port N (9470) --prometheus-port N (9090) --alertmanager-port N (9093)
// --receiver-port N (9099) --webhook-receiver URL --incident-period SECONDS (demo's, default 3600)
// --data-dir DIR (default a new temporary directory, removed on exit)
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { clearTimeout, setTimeout } from 'node:timers';
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

const root = new URL('..', import.meta.url).pathname;
const OPTIONS = {
  '--exporter-port': '9470',
  '--prometheus-port': '9090',
  '--alertmanager-port': '9093',
  '--receiver-port': '9099',
  '--webhook-receiver': '',
  '--incident-period': '3600',
  '--data-dir': '',
};

function usage(problem) {
  process.stderr.write(
    `stack: ${problem}\nusage: npm run stack -- ${Object.keys(OPTIONS)
      .map((o) => `[${o} VALUE]`)
      .join(' ')}\n`,
  );
  process.exit(2);
}

const options = { ...OPTIONS };
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i += 2) {
  const [flag, value] = [args[i], args[i + 1]];
  if (!(flag in OPTIONS)) usage(`unknown option ${flag}`);
  if (value === undefined) usage(`${flag} needs a value`);
  options[flag] = value;
}
for (const flag of ['--exporter-port', '--prometheus-port', '--alertmanager-port', '--receiver-port']) {
  const port = Number(options[flag]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) usage(`${flag} must be a port number, got ${options[flag]}`);
}
const period = Number(options['--incident-period']);
if (!Number.isInteger(period) || period < 60) usage(`--incident-period must be whole seconds, at least 60`);

const host = '127.0.0.1';
const ports = {
  exporter: Number(options['--exporter-port']),
  prometheus: Number(options['--prometheus-port']),
  alertmanager: Number(options['--alertmanager-port']),
  receiver: Number(options['--receiver-port']),
};
const ownDataDir = options['--data-dir'] === '';
const dataDir = ownDataDir ? mkdtempSync(join(tmpdir(), 'flowlens-stack-')) : options['--data-dir'];
mkdirSync(dataDir, { recursive: true });
const receiverUrl = options['--webhook-receiver'] || `http://${host}:${ports.receiver}/`;

/** Prometheus: the stack's exporter as job flowlens, the rules, the stack's Alertmanager; 5 s for a snappy demo. */
function prometheusConfig() {
  return stringify({
    global: {
      scrape_interval: '5s',
      scrape_timeout: '5s',
      evaluation_interval: '5s',
      external_labels: { cluster: 'flowlens-stack' },
    },
    rule_files: [join(root, 'alerts', 'flowlens-rules.yml')],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [`${host}:${ports.alertmanager}`] }] }] },
    scrape_configs: [{ job_name: 'flowlens', static_configs: [{ targets: [`${host}:${ports.exporter}`] }] }],
  });
}

/** Alertmanager: provisioning's routing tree as is, every webhook receiver sent to the stack's receiver. */
function alertmanagerConfig() {
  const config = parse(readFileSync(join(root, 'provisioning', 'alertmanager', 'alertmanager.yml'), 'utf8'));
  for (const receiver of config.receivers ?? []) {
    for (const webhook of receiver.webhook_configs ?? []) {
      const path = new URL(webhook.url).pathname;
      webhook.url = new URL(path.replace(/^\//, ''), receiverUrl.endsWith('/') ? receiverUrl : `${receiverUrl}/`).href;
    }
  }
  return stringify(config);
}

const children = [];
let stopping = false;

function start(name, command, commandArgs) {
  const child = spawn(command, commandArgs, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = join(dataDir, `${name}.log`);
  const chunks = [];
  const keep = (chunk) => {
    chunks.push(chunk);
    writeFileSync(log, Buffer.concat(chunks));
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.on('error', (error) => {
    process.stderr.write(`stack: cannot start ${name} (${command}): ${error.message}\n`);
    if (error.code === 'ENOENT') {
      process.stderr.write('stack: install it with: apt-get install -y prometheus prometheus-alertmanager\n');
    }
    void stop(1);
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      process.stderr.write(`stack: ${name} exited (${signal ?? `code ${code}`}); its log: ${log}\n`);
      void stop(1);
    }
  });
  children.push(child);
  return child;
}

let receiver;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  await Promise.all(
    children.map(
      (child) =>
        new Promise((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          child.on('exit', () => {
            clearTimeout(timer);
            resolve();
          });
        }),
    ),
  );
  receiver?.close();
  if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
  process.exit(code);
}

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

if (!options['--webhook-receiver']) {
  // Prints what Alertmanager notifies: one line per alert.
  receiver = createServer((request, response) => {
    const body = [];
    request.on('data', (chunk) => body.push(chunk));
    request.on('end', () => {
      response.end();
      try {
        const notification = JSON.parse(Buffer.concat(body).toString('utf8'));
        for (const alert of notification.alerts ?? []) {
          process.stdout.write(
            `[alert ${alert.status}] ${request.url} ${alert.labels?.alertname} (${alert.labels?.severity}): ${alert.annotations?.summary ?? ''}\n`,
          );
        }
      } catch {
        process.stdout.write(`[alert] ${request.url}: unreadable notification\n`);
      }
    });
  });
  receiver.listen(ports.receiver, host);
}

writeFileSync(join(dataDir, 'prometheus.yml'), prometheusConfig());
writeFileSync(join(dataDir, 'alertmanager.yml'), alertmanagerConfig());
mkdirSync(join(dataDir, 'prometheus-data'), { recursive: true });
mkdirSync(join(dataDir, 'alertmanager-data'), { recursive: true });

start('exporter', process.execPath, [
  join(root, 'exporter', 'bin', 'flowlens.js'),
  'serve',
  '--listen',
  `${host}:${ports.exporter}`,
  '--source',
  `demo:incident-period=${period}`,
]);
start('prometheus', 'prometheus', [
  `--config.file=${join(dataDir, 'prometheus.yml')}`,
  `--storage.tsdb.path=${join(dataDir, 'prometheus-data')}`,
  `--web.listen-address=${host}:${ports.prometheus}`,
]);
start('alertmanager', 'prometheus-alertmanager', [
  `--config.file=${join(dataDir, 'alertmanager.yml')}`,
  `--storage.path=${join(dataDir, 'alertmanager-data')}`,
  `--web.listen-address=${host}:${ports.alertmanager}`,
  // No peers: a single local instance (the default would listen for a cluster on :9094).
  '--cluster.listen-address=',
]);

process.stdout.write(
  [
    'Flowlens stack on loopback (Ctrl-C stops it):',
    `  exporter      http://${host}:${ports.exporter}/metrics   (demo cluster, incidents every ${period} s)`,
    `  prometheus    http://${host}:${ports.prometheus}/         (rules: alerts/flowlens-rules.yml)`,
    `  alertmanager  http://${host}:${ports.alertmanager}/         (routes: provisioning/alertmanager/alertmanager.yml)`,
    `  notifications ${receiverUrl}`,
    `  logs          ${dataDir}`,
    'Grafana: see the README (provisioning/grafana, dashboards/json).',
    '',
  ].join('\n'),
);
