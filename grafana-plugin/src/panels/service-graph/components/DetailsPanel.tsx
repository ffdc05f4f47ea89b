// The side panel of the selected node or edge: what details.ts says, formatted, with links out. Escape or the
// close button closes it.
import { css } from '@emotion/css';
import { type GrafanaTheme2, formattedValueToString, getValueFormat } from '@grafana/data';
import { config, locationService } from '@grafana/runtime';
import { useStyles2 } from '@grafana/ui';
import { useEffect } from 'react';

import { type Details, type Peer, type TrafficSummary, policyDecisionLabel } from '../../../data/details';
import type { PolicyDecision } from '../../../data/model';
import type { Selection } from '../../../data/view-state';

interface DetailsPanelProps {
  details: Details;
  /** Builds the Explore URL of the queries; undefined when the panel's data source is not known. */
  exploreUrl: ((queries: string[]) => string) | undefined;
  onClose: () => void;
  onSelect: (selection: Selection) => void;
  /** Narrows the graph to the node's edges (the workload filter). */
  onFilterTo: (nodeId: string) => void;
  /** Collapses or expands a namespace. */
  onToggleNamespace: (namespace: string) => void;
}

export function DetailsPanel(props: DetailsPanelProps) {
  const { details, exploreUrl, onClose, onSelect, onFilterTo, onToggleNamespace } = props;
  const styles = useStyles2(getStyles);
  // Escape closes the side panel first: caught before Grafana's own shortcuts (which leave panel view on Escape).
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      event.stopPropagation();
      onClose();
    };
    window.addEventListener('keydown', onKeyDown, true);
    return () => window.removeEventListener('keydown', onKeyDown, true);
  }, [onClose]);

  return (
    <aside data-testid="sg-details" className={styles.panel} aria-label="Details">
      <div className={styles.header}>
        <h3 data-testid="sg-details-title" className={styles.title}>
          {details.title}
        </h3>
        <button
          type="button"
          className={styles.close}
          aria-label="Close details"
          title="Close (Escape)"
          onClick={onClose}
        >
          ×
        </button>
      </div>
      {details.kind === 'node' ? (
        <>
          <p className={styles.muted}>
            {details.node.kind === 'namespace'
              ? `Namespace of ${details.node.memberIds.length} collapsed nodes`
              : details.node.kind === 'pod'
                ? `Pod of ${details.node.workloadId ?? 'an unknown workload'}`
                : details.node.kind === 'service'
                  ? 'Kubernetes service'
                  : details.node.kind === 'network' || details.node.namespace === ''
                    ? 'Network outside the cluster’s namespaces'
                    : 'Workload'}
          </p>
          <p className={styles.actions}>
            {details.node.kind !== 'namespace' && (
              <button type="button" className={styles.linkButton} onClick={() => onFilterTo(details.node.id)}>
                Show only its edges
              </button>
            )}
            {details.node.namespace !== '' && (
              <button
                type="button"
                className={styles.linkButton}
                onClick={() => onToggleNamespace(details.node.namespace)}
              >
                {details.node.kind === 'namespace' ? 'Expand namespace' : `Collapse ${details.node.namespace}`}
              </button>
            )}
          </p>
          {details.service && (
            <>
              <PeerList title="Clients" peers={details.service.clients} onSelect={onSelect} />
              <PeerList title="Backends" peers={details.service.backends} onSelect={onSelect} />
            </>
          )}
          <Traffic title="Outbound" traffic={details.outbound} />
          <Traffic title="Inbound" traffic={details.inbound} />
          {details.denied.length > 0 && (
            <section>
              <h4 className={styles.section}>Denied flows</h4>
              <ul className={styles.list}>
                {details.denied.slice(0, 10).map((denied) => (
                  <li key={denied.edgeId}>
                    <button
                      type="button"
                      className={styles.linkButton}
                      onClick={() => onSelect({ kind: 'edge', id: denied.edgeId })}
                    >
                      {denied.direction === 'out' ? `to ${denied.peer}` : `from ${denied.peer}`}
                    </button>{' '}
                    {format('short', denied.deniedRate)}/s
                  </li>
                ))}
              </ul>
            </section>
          )}
          <Policies policies={details.policies} />
          <section>
            <h4 className={styles.section}>DNS</h4>
            {details.dns ? (
              <table className={styles.table}>
                <tbody>
                  <Row label="Queries/s" value={format('short', details.dns.requestRate)} />
                  <Row label="NXDOMAIN/s" value={format('short', details.dns.nxdomainRate)} />
                  <Row label="SERVFAIL/s" value={format('short', details.dns.servfailRate)} />
                  <Row
                    label="p99"
                    value={details.dns.p99Seconds === undefined ? '–' : format('s', details.dns.p99Seconds)}
                  />
                </tbody>
              </table>
            ) : (
              <p className={styles.muted}>No DNS queries from this node.</p>
            )}
          </section>
          <Links dashboardUrl={details.dashboardUrl} exploreHref={exploreUrl?.(details.exploreQueries)} />
        </>
      ) : (
        <>
          <Traffic title="Traffic" traffic={details.traffic} />
          {details.reverseId && (
            <p>
              <button
                type="button"
                className={styles.linkButton}
                onClick={() => details.reverseId && onSelect({ kind: 'edge', id: details.reverseId })}
              >
                The other direction
              </button>
            </p>
          )}
          <Policies policies={details.policies} />
          {details.ports.length > 0 && (
            <section>
              <h4 className={styles.section}>Protocols and ports</h4>
              <table className={styles.table}>
                <tbody>
                  {details.ports.slice(0, 10).map((usage) => (
                    <Row
                      key={`${usage.protocol}/${usage.port}`}
                      label={`${usage.protocol || '?'} ${usage.port || '(any port)'}`}
                      value={`${format('short', usage.flowRate)}/s`}
                    />
                  ))}
                </tbody>
              </table>
            </section>
          )}
          <Links dashboardUrl={undefined} exploreHref={exploreUrl?.(details.exploreQueries)} />
        </>
      )}
    </aside>
  );
}

/** A service's clients or backends, each a link to the edge between them. */
function PeerList({
  title,
  peers,
  onSelect,
}: {
  title: string;
  peers: Peer[];
  onSelect: (selection: Selection) => void;
}) {
  const styles = useStyles2(getStyles);
  return (
    <section data-testid={`sg-details-${title.toLowerCase()}`}>
      <h4 className={styles.section}>{title}</h4>
      {peers.length === 0 ? (
        <p className={styles.muted}>None drawn.</p>
      ) : (
        <ul className={styles.list}>
          {peers.slice(0, 20).map((peer) => (
            <li key={peer.edgeId}>
              <button
                type="button"
                className={styles.linkButton}
                onClick={() => onSelect({ kind: 'edge', id: peer.edgeId })}
              >
                {peer.id}
              </button>{' '}
              {format('short', peer.flowRate)}/s
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Traffic({ title, traffic }: { title: string; traffic: TrafficSummary }) {
  const styles = useStyles2(getStyles);
  return (
    <section>
      <h4 className={styles.section}>{title}</h4>
      <table className={styles.table}>
        <tbody>
          <Row label="Flows/s" value={format('short', traffic.flowRate)} />
          <Row label="Denied/s" value={format('short', traffic.deniedRate)} />
          <Row label="Throughput" value={format('Bps', traffic.bytesRate)} />
          <Row label="HTTP req/s" value={format('short', traffic.httpRate)} />
          <Row
            label="Errors"
            value={traffic.errorRatio === undefined ? '–' : format('percentunit', traffic.errorRatio)}
          />
          <Row label="p99" value={traffic.p99Seconds === undefined ? '–' : format('s', traffic.p99Seconds)} />
        </tbody>
      </table>
    </section>
  );
}

function Policies({ policies }: { policies: PolicyDecision[] }) {
  const styles = useStyles2(getStyles);
  if (policies.length === 0) return null;
  return (
    <section>
      <h4 className={styles.section}>Decided by</h4>
      <table className={styles.table}>
        <tbody>
          {policies.slice(0, 10).map((decision) => (
            <Row
              key={`${decision.tier}/${decision.policy}/${decision.action}`}
              label={policyDecisionLabel(decision)}
              value={`${format('short', decision.flowRate)}/s`}
            />
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Links({ dashboardUrl, exploreHref }: { dashboardUrl: string | undefined; exploreHref: string | undefined }) {
  const styles = useStyles2(getStyles);
  if (!dashboardUrl && !exploreHref) return null;
  return (
    <section className={styles.links}>
      {dashboardUrl && <AppLink href={dashboardUrl}>Dashboard</AppLink>}
      {exploreHref && <AppLink href={exploreHref}>Explore</AppLink>}
    </section>
  );
}

/**
 * A link to a Grafana page, navigated within the single-page app (no reload). A plain anchor rather than
 * `TextLink`, which needs a router around the panel; the href has Grafana's sub path, for opening in a new tab.
 */
function AppLink({ href, children }: { href: string; children: string }) {
  const styles = useStyles2(getStyles);
  return (
    <a
      className={styles.link}
      href={`${config.appSubUrl ?? ''}${href}`}
      onClick={(event) => {
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
        event.preventDefault();
        locationService.push(href);
      }}
    >
      {children}
    </a>
  );
}

function Row({ label, value }: { label: string; value: string }) {
  return (
    <tr>
      <th scope="row">{label}</th>
      <td>{value}</td>
    </tr>
  );
}

function format(unit: string, value: number): string {
  // Grafana's byte units scale below one with SI prefixes ("999 mB/s"); a fraction of a byte per second reads
  // better as itself.
  if (unit === 'Bps' && value > 0 && value < 1) return `${value.toPrecision(2)} B/s`;
  return formattedValueToString(getValueFormat(unit)(value));
}

const getStyles = (theme: GrafanaTheme2) => ({
  panel: css({
    position: 'absolute',
    top: 0,
    right: 0,
    bottom: 0,
    width: 320,
    // Never over the canvas's centre, where search (Enter) puts the node it finds.
    maxWidth: '45%',
    overflowY: 'auto',
    padding: theme.spacing(1, 1.5),
    background: theme.colors.background.primary,
    borderLeft: `1px solid ${theme.colors.border.medium}`,
    boxShadow: theme.shadows.z2,
  }),
  header: css({ display: 'flex', alignItems: 'flex-start', justifyContent: 'space-between', gap: theme.spacing(1) }),
  title: css({ margin: 0, fontSize: theme.typography.h5.fontSize, wordBreak: 'break-all' }),
  section: css({
    margin: theme.spacing(1.5, 0, 0.5),
    fontSize: theme.typography.bodySmall.fontSize,
    color: theme.colors.text.secondary,
  }),
  muted: css({ margin: theme.spacing(0.5, 0), color: theme.colors.text.secondary }),
  table: css({
    width: '100%',
    fontSize: theme.typography.bodySmall.fontSize,
    'th, td': { padding: theme.spacing(0.25, 0.5), textAlign: 'left' },
    th: { fontWeight: theme.typography.fontWeightRegular, color: theme.colors.text.secondary },
    td: { textAlign: 'right' },
  }),
  list: css({ margin: 0, paddingLeft: theme.spacing(2), fontSize: theme.typography.bodySmall.fontSize }),
  linkButton: css({
    padding: 0,
    border: 'none',
    background: 'none',
    color: theme.colors.text.link,
    cursor: 'pointer',
    textAlign: 'left',
  }),
  close: css({
    padding: theme.spacing(0, 0.5),
    border: 'none',
    background: 'none',
    color: theme.colors.text.secondary,
    fontSize: theme.typography.h4.fontSize,
    lineHeight: 1,
    cursor: 'pointer',
    '&:hover': { color: theme.colors.text.primary },
  }),
  link: css({ color: theme.colors.text.link, '&:hover': { textDecoration: 'underline' } }),
  actions: css({ display: 'flex', flexWrap: 'wrap', gap: theme.spacing(1.5), margin: theme.spacing(0.5, 0) }),
  links: css({ display: 'flex', gap: theme.spacing(2), marginTop: theme.spacing(1.5) }),
});
