import { css } from '@emotion/css';
import { type GrafanaTheme2, formattedValueToString, getValueFormat } from '@grafana/data';
import { Text, useStyles2 } from '@grafana/ui';

import type { GraphEdge, GraphModel, GraphNode, Verdict } from '../../../data/model';

interface EdgeTableProps {
  model: GraphModel;
  maxEdges: number;
}

const VERDICT_LABELS: Record<Verdict, string> = { allowed: 'allowed', denied: 'denied', mixed: 'partly denied' };

/** The model's edges, busiest (flows per second) first, with a line counting what the model holds. */
export function EdgeTable({ model, maxEdges }: EdgeTableProps) {
  const styles = useStyles2(getStyles);
  const nodes = new Map(model.nodes.map((node) => [node.id, node]));
  const edges = [...model.edges].sort((a, b) => b.flowRate - a.flowRate || (a.id < b.id ? -1 : 1)).slice(0, maxEdges);
  const withDenials = model.edges.filter((edge) => edge.verdict !== 'allowed').length;
  if (model.edges.length === 0) {
    return (
      <Text color="secondary">No edges: the query returned no per-edge series, or the filters hide them all.</Text>
    );
  }
  return (
    <div>
      <Text element="p" color="secondary">
        {`${model.nodes.length} nodes in ${model.namespaces.length} namespaces, ${model.edges.length} edges, ` +
          `${withDenials} with denied flows` +
          (edges.length < model.edges.length ? `; the ${edges.length} busiest listed` : '')}
      </Text>
      <table className={styles.table}>
        <thead>
          <tr>
            <th>Source</th>
            <th>Destination</th>
            <th>Flows/s</th>
            <th>Denied/s</th>
            <th>Verdict</th>
            <th>Bytes/s</th>
            <th>HTTP req/s</th>
            <th>Error ratio</th>
            <th>p99</th>
          </tr>
        </thead>
        <tbody>
          {edges.map((edge) => (
            <EdgeRow key={edge.id} edge={edge} source={nodes.get(edge.source)} target={nodes.get(edge.target)} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function EdgeRow({ edge, source, target }: { edge: GraphEdge; source?: GraphNode; target?: GraphNode }) {
  const styles = useStyles2(getStyles);
  return (
    <tr data-testid="edge-row">
      <td>{nodeLabel(source, edge.source)}</td>
      <td>{nodeLabel(target, edge.target)}</td>
      <td>{format('short', edge.flowRate)}</td>
      <td>{format('short', edge.deniedRate)}</td>
      <td className={styles[edge.verdict]}>{VERDICT_LABELS[edge.verdict]}</td>
      <td>{format('Bps', edge.bytesRate)}</td>
      <td>{format('short', edge.httpRate)}</td>
      <td>{edge.errorRatio === undefined ? '' : format('percentunit', edge.errorRatio)}</td>
      <td>{edge.p99Seconds === undefined ? '' : format('s', edge.p99Seconds)}</td>
    </tr>
  );
}

function nodeLabel(node: GraphNode | undefined, id: string): string {
  if (!node) return id;
  if (node.kind === 'namespace') return `${node.namespace} (${node.memberIds.length} workloads)`;
  return node.namespace === '' ? node.name : `${node.namespace}/${node.name}`;
}

function format(unit: string, value: number): string {
  return formattedValueToString(getValueFormat(unit)(value));
}

const getStyles = (theme: GrafanaTheme2) => ({
  table: css({
    width: '100%',
    borderCollapse: 'collapse',
    'th, td': { padding: theme.spacing(0.5, 1), textAlign: 'left', whiteSpace: 'nowrap' },
    th: { color: theme.colors.text.secondary, fontWeight: theme.typography.fontWeightMedium },
    'tbody tr': { borderTop: `1px solid ${theme.colors.border.weak}` },
  }),
  allowed: css({ color: theme.colors.success.text }),
  denied: css({ color: theme.colors.error.text }),
  mixed: css({ color: theme.colors.warning.text }),
});
