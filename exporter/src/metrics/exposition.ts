/**
 * The two exposition formats Prometheus scrapes: the classic text format (0.0.4) and OpenMetrics 1.0.0,
 * chosen by content negotiation. Only headers and escaping differ here; samples are written by the
 * families themselves from pre-rendered label strings.
 */
import type { FamilyDefinition } from './catalogue';

export type ExpositionFormat = 'prometheus' | 'openmetrics';

export const CONTENT_TYPES: Readonly<Record<ExpositionFormat, string>> = {
  prometheus: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

/** OpenMetrics when the scraper asks for it (Prometheus does, first, by default); the text format otherwise. */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  if (accept === undefined) return 'prometheus';
  for (const part of accept.split(',')) {
    const [mediaType, ...parameters] = part.split(';').map((piece) => piece.trim().toLowerCase());
    if (mediaType !== 'application/openmetrics-text') continue;
    const quality = parameters.find((parameter) => parameter.startsWith('q='));
    if (quality !== undefined && Number(quality.slice(2)) === 0) continue;
    const version = parameters.find((parameter) => parameter.startsWith('version='));
    if (version === undefined || version === 'version=1.0.0') return 'openmetrics';
  }
  return 'prometheus';
}

const NEEDS_ESCAPE = /[\\"\n]/;

export function escapeLabelValue(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/**
 * The family's name in HELP/TYPE lines. OpenMetrics names counter families without `_total` and info
 * families without `_info`; the classic format names them as their samples, and has no info type.
 */
export function metadataName(family: FamilyDefinition, format: ExpositionFormat): string {
  if (format === 'openmetrics') {
    if (family.type === 'counter') return family.name.replace(/_total$/, '');
    if (family.type === 'info') return family.name.replace(/_info$/, '');
  }
  return family.name;
}

export function familyHeader(family: FamilyDefinition, format: ExpositionFormat): string {
  const name = metadataName(family, format);
  const type = format === 'prometheus' && family.type === 'info' ? 'gauge' : family.type;
  let header = `# HELP ${name} ${escapeHelp(family.help)}\n# TYPE ${name} ${type}\n`;
  if (format === 'openmetrics' && family.unit !== undefined) header += `# UNIT ${name} ${family.unit}\n`;
  return header;
}

export const OPENMETRICS_EOF = '# EOF\n';

/** Renders `name="value",...` for label values that are not pre-rendered (self-metrics). */
export function renderLabels(names: readonly string[], values: readonly string[]): string {
  let rendered = '';
  for (let i = 0; i < names.length; i++) {
    if (i > 0) rendered += ',';
    rendered += `${names[i]}="${escapeLabelValue(values[i] ?? '')}"`;
  }
  return rendered;
}
