/**
 * Synthetic but realistic L7 logs for the benchmarks, one node's worth each: CoreDNS query logs (the `log`
 * plugin's default format), Calico DNS logs (dns.log JSON lines) and Envoy sidecar access logs (Envoy's
 * default text format with its trailing fields, mixed with Istio's JSON encoding, as a mesh that switched
 * `accessLogEncoding` for some workloads writes them). Deterministic: the same seed gives the same bytes.
 */
import * as fs from 'node:fs';
import { mulberry32 } from '../src/demo/random';
import { NAMESPACES, WORKLOAD_WORDS } from './calico-gen';
import { pick, between, safeString, hex, type Random } from './random-text';

/** What a generator wrote, and what the pipeline must count from it. */
export interface GeneratedL7Log {
  path: string;
  lines: number;
  fileBytes: number;
  /** The sum the request counter (flowlens_dns_requests_total or flowlens_http_requests_total) must reach. */
  requests: number;
  /** For envoy: how many lines are Istio JSON (the rest are text). */
  jsonLines: number;
}

interface Service {
  namespace: string;
  name: string;
  port: number;
  /** Pod IPs behind it. */
  pods: string[];
  /** Calico's aggregated pod name prefix. */
  podAggregate: string;
  paths: string[];
}

function buildServices(random: Random): Service[] {
  const services: Service[] = [];
  let subnet = 1;
  for (const namespace of NAMESPACES) {
    const count = between(random, 4, 9);
    const used = new Set<string>();
    for (let i = 0; i < count; i++) {
      let name = `${namespace.split('-')[0]}-${pick(random, WORKLOAD_WORDS)}`;
      if (used.has(name)) name = `${name}-${i}`;
      used.add(name);
      const pods: string[] = [];
      const replicas = between(random, 1, 6);
      for (let r = 0; r < replicas; r++) pods.push(`10.244.${subnet % 250}.${between(random, 2, 253)}`);
      subnet++;
      const resource = pick(random, ['items', 'orders', 'users', 'carts', 'products', 'sessions', 'events']);
      services.push({
        namespace,
        name,
        port: pick(random, [80, 8080, 8443, 9000, 3000, 50051]),
        pods,
        podAggregate: `${name}-${safeString(random, between(random, 8, 10))}-*`,
        paths: [
          `/api/v1/${resource}`,
          `/api/v1/${resource}/${between(random, 1, 9999)}`,
          `/api/v1/${resource}?page=${between(random, 1, 20)}&limit=50`,
          '/healthz',
          '/metrics',
          `/${name.replace(/-/g, '.')}.v1.${resource[0]!.toUpperCase()}${resource.slice(1)}Service/Get`,
        ],
      });
    }
  }
  return services;
}

const UPSTREAM_NAMES = [
  'api.github.com',
  'sts.amazonaws.com',
  's3.eu-west-1.amazonaws.com',
  'www.googleapis.com',
  'hooks.slack.com',
  'api.stripe.com',
  'registry-1.docker.io',
  'login.microsoftonline.com',
] as const;
const QTYPES_WEIGHTED = ['A', 'A', 'A', 'A', 'AAAA', 'AAAA', 'AAAA', 'SRV', 'PTR', 'TXT'] as const;
const USER_AGENTS = [
  'Go-http-client/1.1',
  'grpc-go/1.64.0',
  'python-requests/2.32.3',
  'okhttp/4.12.0',
  'Envoy/HC',
  'kube-probe/1.30',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  'axios/1.7.2',
] as const;

/** Writes `lines` lines made by `line(index)` in chunks of about 4 MB. */
function writeLines(path: string, lines: number, line: (index: number) => string): number {
  const fd = fs.openSync(path, 'w');
  let bytes = 0;
  try {
    let chunk: string[] = [];
    let chunkLength = 0;
    for (let i = 0; i < lines; i++) {
      const text = `${line(i)}\n`;
      chunk.push(text);
      chunkLength += text.length;
      if (chunkLength > 4_000_000 || i === lines - 1) {
        const buffer = Buffer.from(chunk.join(''), 'utf8');
        fs.writeSync(fd, buffer);
        bytes += buffer.length;
        chunk = [];
        chunkLength = 0;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return bytes;
}

/**
 * A DNS question as a pod's resolver asks it: with `ndots: 5`, a short name goes through the search path
 * (`name.ns.svc.cluster.local`, `...svc.cluster.local`, `...cluster.local`) and an external name is first tried
 * under every search domain (NXDOMAIN) before the bare name answers.
 */
interface Question {
  qname: string;
  qtype: string;
  rcode: string;
}

function question(random: Random, services: readonly Service[], clientNamespace: string): Question {
  const qtype = pick(random, QTYPES_WEIGHTED);
  const roll = random();
  if (roll < 0.55) {
    const service = pick(random, services);
    return { qname: `${service.name}.${service.namespace}.svc.cluster.local.`, qtype, rcode: 'NOERROR' };
  }
  if (roll < 0.8) {
    // A search-path miss: the name tried under the client's own namespace.
    const service = pick(random, services);
    const suffix = pick(random, [`${clientNamespace}.svc.cluster.local.`, 'svc.cluster.local.', 'cluster.local.']);
    return { qname: `${service.name}.${service.namespace}.${suffix}`, qtype, rcode: 'NXDOMAIN' };
  }
  const upstream = pick(random, UPSTREAM_NAMES);
  if (roll < 0.9) return { qname: `${upstream}.${clientNamespace}.svc.cluster.local.`, qtype, rcode: 'NXDOMAIN' };
  const rcode = random() < 0.97 ? 'NOERROR' : random() < 0.5 ? 'SERVFAIL' : 'REFUSED';
  return { qname: `${upstream}.`, qtype: qtype === 'SRV' || qtype === 'PTR' ? 'A' : qtype, rcode };
}

/** CoreDNS's `log` plugin, default format: every line is one query. */
export function generateCorednsLog(path: string, lines: number, seed: number): GeneratedL7Log {
  const random = mulberry32(seed);
  const services = buildServices(random);
  const fileBytes = writeLines(path, lines, () => {
    const client = pick(random, services);
    const ip = pick(random, client.pods);
    const { qname, qtype, rcode } = question(random, services, client.namespace);
    const proto = random() < 0.95 ? 'udp' : 'tcp';
    const size = 30 + qname.length + between(random, 0, 11);
    const answered = rcode === 'NOERROR' ? 16 * between(random, 1, 3) : 0;
    const flags = rcode === 'NOERROR' && qname.endsWith('.cluster.local.') ? 'qr,aa,rd' : 'qr,rd,ra';
    const seconds =
      random() < 0.85 ? between(random, 40, 900) / 1e6 : random() < 0.9 ? between(random, 1, 80) / 1e3 : random();
    return (
      `[INFO] ${ip}:${between(random, 32768, 60999)} - ${between(random, 1, 65535)} ` +
      `"${qtype} IN ${qname} ${proto} ${size} ${random() < 0.2 ? 'true' : 'false'} ${proto === 'udp' ? 512 : 65535}" ` +
      `${rcode} ${flags} ${size + answered + 55} ${seconds.toFixed(9).replace(/0+$/, '')}s`
    );
  });
  return { path, lines, fileBytes, requests: lines, jsonLines: 0 };
}

/** Calico's dns.log: 5-minute aggregates of one client (prefix) and name, every field Calico writes. */
export function generateCalicoDnsLog(path: string, lines: number, seed: number): GeneratedL7Log {
  const random = mulberry32(seed);
  const services = buildServices(random);
  const corednsPods = ['coredns-5d78c9869d-bx7kq', 'coredns-5d78c9869d-q4n2w'];
  let requests = 0;
  const fileBytes = writeLines(path, lines, (index) => {
    const window = 1732010400 + 300 * Math.floor(index / 4000);
    const start = new Date(window * 1000).toISOString().replace('.000Z', 'Z');
    const end = new Date((window + 300) * 1000).toISOString().replace('.000Z', 'Z');
    const client = pick(random, services);
    const { qname, qtype, rcode } = question(random, services, client.namespace);
    const count = random() < 0.5 ? 1 : between(random, 2, random() < 0.9 ? 40 : 2000);
    requests += count;
    const server = between(random, 0, 1);
    const answered = rcode === 'NOERROR' && qtype !== 'TXT';
    const rdata =
      qtype === 'AAAA'
        ? `fd00:10:96::${between(random, 1, 4000).toString(16)}`
        : `10.96.${between(random, 0, 255)}.${between(random, 1, 254)}`;
    const latencyCount = random() < 0.1 ? 0 : Math.min(count, between(random, 1, 20));
    const mean = between(random, 40_000, 900_000);
    const record = {
      start_time: start,
      end_time: end,
      type: 'LOG',
      count,
      client_ip: '',
      client_name: '-',
      client_name_aggr: client.podAggregate,
      client_namespace: client.namespace,
      client_labels: { labels: [`app=${client.name}`, `app.kubernetes.io/part-of=${client.namespace}`] },
      qname: qname.slice(0, -1),
      qtype,
      qclass: 'IN',
      rcode:
        rcode === 'NOERROR'
          ? 'NoError'
          : rcode === 'NXDOMAIN'
            ? 'NXDomain'
            : rcode === 'SERVFAIL'
              ? 'ServFail'
              : 'Refused',
      rrsets: answered ? [{ name: qname.slice(0, -1), type: qtype, class: 'IN', rdata: [rdata] }] : [],
      servers: [
        {
          ip: `10.244.0.${3 + server}`,
          name: '-',
          name_aggr: 'coredns-5d78c9869d-*',
          namespace: 'kube-system',
          labels: { 'k8s-app': 'kube-dns', 'pod-template-hash': '5d78c9869d', name: corednsPods[server] },
        },
      ],
      latency_count: latencyCount,
      latency_mean: latencyCount === 0 ? 0 : mean,
      latency_max: latencyCount === 0 ? 0 : mean + between(random, 0, 2_000_000),
      host: 'node-7',
    };
    return JSON.stringify(record);
  });
  return { path, lines, fileBytes, requests, jsonLines: lines };
}

/**
 * Sidecar access logs: half the workloads' sidecars write Envoy's default text format (with the six trailing
 * fields of newer Envoys), half Istio's JSON encoding; each line is one HTTP request, outbound or inbound.
 */
export function generateEnvoyLog(path: string, lines: number, seed: number): GeneratedL7Log {
  const random = mulberry32(seed);
  const services = buildServices(random);
  const jsonNamespaces = new Set<string>(NAMESPACES.filter(() => random() < 0.5));
  let jsonLines = 0;
  const fileBytes = writeLines(path, lines, (index) => {
    const client = pick(random, services);
    const server = pick(random, services);
    const clientIp = pick(random, client.pods);
    const serverIp = pick(random, server.pods);
    const inbound = random() < 0.4;
    const method = random() < 0.7 ? 'GET' : pick(random, ['POST', 'POST', 'PUT', 'DELETE', 'PATCH']);
    const path = pick(random, server.paths);
    const protocol = path.includes('Service/') ? 'HTTP/2' : random() < 0.7 ? 'HTTP/1.1' : 'HTTP/2';
    const roll = random();
    const code = roll < 0.93 ? (method === 'POST' ? 201 : 200) : roll < 0.96 ? 404 : roll < 0.98 ? 503 : 500;
    const flags = code === 503 ? 'UF,URX' : '-';
    const details = code === 503 ? 'upstream_reset_before_response_started{connection_failure}' : 'via_upstream';
    const received = method === 'GET' ? 0 : between(random, 20, 4000);
    const sent = code === 503 ? 91 : between(random, 2, 60_000);
    const duration = random() < 0.9 ? between(random, 0, 60) : between(random, 60, 5000);
    const upstreamTime = code === 503 ? '-' : String(Math.max(0, duration - between(random, 0, 3)));
    const requestId = `${hex(random, 8)}-${hex(random, 4)}-4${hex(random, 3)}-${hex(random, 4)}-${hex(random, 12)}`;
    const authority = inbound ? `${serverIp}:${server.port}` : `${server.name}.${server.namespace}:${server.port}`;
    const cluster = inbound
      ? `inbound|${server.port}||`
      : `outbound|${server.port}||${server.name}.${server.namespace}.svc.cluster.local`;
    const userAgent = pick(random, USER_AGENTS);
    const start = new Date((1732010400 + index * 0.0015) * 1000).toISOString();
    const upstreamLocal = inbound
      ? `127.0.0.6:${between(random, 32768, 60999)}`
      : `${clientIp}:${between(random, 32768, 60999)}`;
    const downstreamLocal = inbound
      ? `${serverIp}:${server.port}`
      : `10.96.${between(random, 0, 255)}.${between(random, 1, 254)}:${server.port}`;
    const downstreamRemote = `${clientIp}:${between(random, 32768, 60999)}`;
    const sni = inbound ? `outbound_.${server.port}_._.${server.name}.${server.namespace}.svc.cluster.local` : '-';
    const route = inbound ? 'default' : random() < 0.8 ? 'default' : 'allow_any';
    if (jsonNamespaces.has(inbound ? server.namespace : client.namespace)) {
      jsonLines++;
      return JSON.stringify({
        start_time: start,
        method,
        path,
        protocol,
        response_code: code,
        response_flags: flags,
        response_code_details: details,
        connection_termination_details: null,
        upstream_transport_failure_reason: code === 503 ? 'delayed_connect_error:_111' : null,
        bytes_received: received,
        bytes_sent: sent,
        duration,
        upstream_service_time: upstreamTime === '-' ? null : upstreamTime,
        x_forwarded_for: null,
        user_agent: userAgent,
        request_id: requestId,
        authority,
        upstream_host: `${serverIp}:${server.port}`,
        upstream_cluster: cluster,
        upstream_local_address: upstreamLocal,
        downstream_local_address: downstreamLocal,
        downstream_remote_address: downstreamRemote,
        requested_server_name: sni === '-' ? null : sni,
        route_name: route,
      });
    }
    return (
      `[${start}] "${method} ${path} ${protocol}" ${code} ${flags} ${received} ${sent} ${duration} ${upstreamTime} ` +
      `"-" "${userAgent}" "${requestId}" "${authority}" "${serverIp}:${server.port}" ` +
      `${cluster} ${upstreamLocal} ${downstreamLocal} ${downstreamRemote} ${sni} ${route}`
    );
  });
  return { path, lines, fileBytes, requests: lines, jsonLines };
}
