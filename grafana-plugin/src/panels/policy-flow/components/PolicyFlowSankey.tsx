// Draws the policy flow model as an SVG Sankey: sources on the left, policies in the middle, destinations on the
// right. The layout comes from data/sankey.ts; this component only maps it to SVG and forwards policy clicks.
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { useStyles2, useTheme2 } from '@grafana/ui';
import { type KeyboardEvent, useMemo, useState } from 'react';

import type { PolicyFlowLink, PolicyFlowModel, PolicyFlowNode } from '../../../data/policy-flow';
import { layoutSankey } from '../../../data/sankey';
import { STAGED_DASH, actionColor, formatRate } from './actionStyle';

interface PolicyFlowSankeyProps {
  model: PolicyFlowModel;
  width: number;
  height: number;
  /** The policy key the view is filtered to, if any: its nodes are outlined. */
  selectedPolicy: string;
  onPolicyClick: (policyKey: string) => void;
}

const COLUMN_INDEX = { source: 0, policy: 1, dest: 2 } as const;
const NODE_WIDTH = 12;
// Labels are 11 px high: a gap of 10 px plus the minimum node height keeps neighbouring labels apart.
const NODE_PADDING = 10;
const MIN_NODE_HEIGHT = 2;
const LABEL_GAP = 6;
const FONT_SIZE = 11;
// Close enough to the average glyph width at 11 px to decide when a label must be shortened.
const CHAR_WIDTH = 6.5;
const MARGIN_Y = 4;

export function PolicyFlowSankey({ model, width, height, selectedPolicy, onPolicyClick }: PolicyFlowSankeyProps) {
  const theme = useTheme2();
  const styles = useStyles2(getStyles);
  // While a node is hovered, its links stand out and the others fade, so its traffic can be followed.
  const [hovered, setHovered] = useState<string | undefined>(undefined);
  // Source labels sit left of their nodes and destination labels right of theirs, in margins kept for them.
  const labelWidth = Math.round(Math.min(200, Math.max(60, width * 0.2)));
  const layoutWidth = Math.max(3 * NODE_WIDTH, width - 2 * labelWidth);
  const layout = useMemo(
    () =>
      layoutSankey(
        model.nodes.map((node) => ({ id: node.id, column: COLUMN_INDEX[node.column], last: node.merged })),
        model.links.map((link) => ({ id: link.id, source: link.source, target: link.target, value: link.rate })),
        {
          width: layoutWidth,
          height: Math.max(40, height - 2 * MARGIN_Y),
          nodeWidth: NODE_WIDTH,
          nodePadding: NODE_PADDING,
          minNodeHeight: MIN_NODE_HEIGHT,
        },
      ),
    [model, layoutWidth, height],
  );
  const nodes = new Map(model.nodes.map((node) => [node.id, node]));
  // A hovered node that a click filtered away never sees the mouse leave: it no longer counts.
  const hoveredId = hovered !== undefined && nodes.has(hovered) ? hovered : undefined;
  const links = new Map(model.links.map((link) => [link.id, link]));
  // Policy labels share the space between the middle column and the destinations' links.
  const policyLabelChars = Math.floor((layoutWidth / 2 - NODE_WIDTH - 2 * LABEL_GAP) / CHAR_WIDTH);
  const sideLabelChars = Math.floor((labelWidth - LABEL_GAP) / CHAR_WIDTH);

  return (
    <svg
      width={width}
      height={layout.height + 2 * MARGIN_Y}
      className={styles.svg}
      // Not role="img": its children would be presentational, and the policy nodes are buttons.
      role="group"
      aria-label="Flows from source workloads through the deciding policies to destination workloads"
    >
      <g transform={`translate(${labelWidth},${MARGIN_Y})`}>
        <g>
          {layout.links.map((laid) => {
            const link = links.get(laid.id);
            if (!link) return null;
            const faded = hoveredId !== undefined && link.source !== hoveredId && link.target !== hoveredId;
            return (
              <path
                key={laid.id}
                data-testid="pf-link"
                data-action={link.action}
                data-staged={String(link.staged)}
                d={laid.path}
                fill="none"
                stroke={actionColor(theme, link.action)}
                strokeWidth={Math.max(1, laid.width)}
                strokeOpacity={faded ? 0.1 : link.staged ? 0.55 : 0.4}
                strokeDasharray={link.staged ? STAGED_DASH : undefined}
                className={styles.link}
              >
                <title>{linkTitle(link, nodes)}</title>
              </path>
            );
          })}
        </g>
        {layout.nodes.map((laid) => {
          const node = nodes.get(laid.id);
          if (!node) return null;
          const isPolicy = node.column === 'policy' && node.policy !== undefined;
          const policyKey = node.policy?.key ?? '';
          const selected = isPolicy && policyKey === selectedPolicy;
          const labelLeft = node.column === 'source';
          const maxChars = node.column === 'policy' ? policyLabelChars : sideLabelChars;
          const click = () => onPolicyClick(policyKey);
          const keyDown = (event: KeyboardEvent) => {
            if (event.key === 'Enter' || event.key === ' ') {
              event.preventDefault();
              click();
            }
          };
          return (
            <g
              key={laid.id}
              data-testid="pf-node"
              data-kind={node.column}
              data-id={node.key}
              className={isPolicy ? styles.policyNode : undefined}
              onMouseEnter={() => setHovered(node.id)}
              onMouseLeave={() => setHovered(undefined)}
              {...(isPolicy
                ? {
                    role: 'button',
                    tabIndex: 0,
                    'aria-pressed': selected,
                    'aria-label': `${node.label}: ${selected ? 'show all policies' : 'only this policy'}`,
                    onClick: click,
                    onKeyDown: keyDown,
                  }
                : {})}
            >
              <title>{nodeTitle(node)}</title>
              <rect
                x={laid.x0}
                y={laid.y0}
                width={laid.x1 - laid.x0}
                height={laid.y1 - laid.y0}
                fill={node.action === undefined ? theme.colors.text.secondary : actionColor(theme, node.action)}
                stroke={selected ? theme.colors.text.primary : 'none'}
                strokeWidth={selected ? 2 : 0}
                strokeDasharray={node.staged ? '3 2' : undefined}
              />
              <text
                x={labelLeft ? laid.x0 - LABEL_GAP : laid.x1 + LABEL_GAP}
                y={(laid.y0 + laid.y1) / 2}
                dy="0.35em"
                textAnchor={labelLeft ? 'end' : 'start'}
                fontSize={FONT_SIZE}
                fill={theme.colors.text.primary}
                fontWeight={selected ? theme.typography.fontWeightBold : undefined}
                className={node.column === 'policy' ? styles.haloLabel : undefined}
              >
                {shorten(node.label, maxChars)}
              </text>
            </g>
          );
        })}
      </g>
    </svg>
  );
}

function nodeTitle(node: PolicyFlowNode): string {
  const members = node.memberIds.length > 1 ? `\n${node.memberIds.join('\n')}` : '';
  const hint = node.policy ? '\nClick: only this policy (again: all)' : '';
  return `${node.label}: ${formatRate(node.rate)}${members}${hint}`;
}

function linkTitle(link: PolicyFlowLink, nodes: Map<string, PolicyFlowNode>): string {
  const from = nodes.get(link.source)?.label ?? link.source;
  const to = nodes.get(link.target)?.label ?? link.target;
  return `${from} → ${to}: ${formatRate(link.rate)}`;
}

/** Long names keep their end (the workload's or policy's own name) and lose their start. */
function shorten(label: string, maxChars: number): string {
  const limit = Math.max(8, maxChars);
  return label.length <= limit ? label : `…${label.slice(label.length - limit + 1)}`;
}

const getStyles = (theme: GrafanaTheme2) => ({
  svg: css({ display: 'block', overflow: 'visible' }),
  link: css({
    transition: 'stroke-opacity 0.1s',
    '&:hover': { strokeOpacity: 0.75 },
  }),
  policyNode: css({
    cursor: 'pointer',
    '&:focus-visible': { outline: `2px solid ${theme.colors.primary.main}` },
    '&:hover rect': { opacity: 0.8 },
  }),
  // Policy labels sit over links: a halo in the panel's background colour keeps them readable.
  haloLabel: css({
    paintOrder: 'stroke',
    stroke: theme.colors.background.primary,
    strokeWidth: 3,
    strokeLinejoin: 'round',
  }),
});
