/* global define */
// A test double of the drawn policy flow panel: the least that meets the DOM contract (grafana-plugin/README.md,
// "The drawn panels' DOM contract"), so that test/browser/real-panels.ts runs, and is known to work, before the real
// panel exists. Not the panel: links from sources to policies as straight lines. An AMD module like a built panel's.
define(['react', '@grafana/data', '@grafana/ui'], function (React, data, ui) {
  const h = React.createElement;
  const ROW = 14;

  function linksOf(series) {
    const links = [];
    for (const frame of series) {
      for (const field of frame.fields) {
        const labels = field.labels;
        if (field.type !== 'number' || !labels || !labels.policy || !(field.values[0] > 0)) continue;
        links.push({
          source: `${labels.source_namespace}/${labels.source_workload}`,
          policy: labels.policy,
          target: `${labels.dest_namespace}/${labels.dest_workload}`,
          action: labels.action,
          staged: frame.refId === 'staged',
        });
      }
    }
    return links;
  }

  function PolicyFlow({ data: panelData, width, height }) {
    const all = React.useMemo(() => linksOf(panelData.series), [panelData.series]);
    const [policy, setPolicy] = React.useState(undefined);
    const [mode, setMode] = React.useState('flow');
    const links = all.filter((link) => policy === undefined || link.policy === policy);
    const unique = (key) => [...new Set(links.map((link) => link[key]))].sort();
    const sources = unique('source');
    const policies = unique('policy');
    const targets = unique('target');
    const y = (list, id) => 20 + list.indexOf(id) * ROW;
    const node = (kind, x, list, onClick) => (id) =>
      h(
        'g',
        {
          key: `${kind}:${id}`,
          'data-testid': 'pf-node',
          'data-kind': kind,
          'data-id': id,
          onClick: onClick && (() => onClick(id)),
        },
        h('rect', { x, y: y(list, id) - 5, width: 10, height: 10, fill: kind === 'policy' ? 'white' : 'grey' }),
      );
    return h(
      'div',
      {
        'data-testid': 'flowlens-policy-flow',
        'data-link-count': links.length,
        'data-policy-count': policies.length,
        style: { width, height, overflow: 'auto' },
      },
      h(ui.RadioButtonGroup, {
        options: [
          { label: 'Flow', value: 'flow' },
          { label: 'Table', value: 'table' },
        ],
        value: mode,
        onChange: setMode,
      }),
      policy === undefined ? null : h('div', { 'data-testid': 'pf-policy-filter' }, `policy ${policy}`),
      mode === 'table'
        ? h(
            'table',
            { 'data-testid': 'pf-table' },
            h(
              'tbody',
              null,
              links.map((link, index) =>
                h(
                  'tr',
                  { key: index },
                  h('td', null, link.source),
                  h('td', null, link.policy),
                  h('td', null, link.target),
                ),
              ),
            ),
          )
        : h(
            'svg',
            { width: 800, height: 40 + ROW * Math.max(sources.length, policies.length, targets.length) },
            ...links.map((link, index) =>
              h('path', {
                key: `link:${index}`,
                'data-testid': 'pf-link',
                'data-action': link.action,
                'data-staged': String(link.staged),
                d: `M 100 ${y(sources, link.source)} L 400 ${y(policies, link.policy)} L 700 ${y(targets, link.target)}`,
                stroke: link.action === 'deny' ? 'red' : 'green',
                fill: 'none',
              }),
            ),
            ...sources.map(node('source', 90, sources)),
            ...policies.map(node('policy', 395, policies, setPolicy)),
            ...targets.map(node('dest', 700, targets)),
          ),
    );
  }

  return { plugin: new data.PanelPlugin(PolicyFlow) };
});
