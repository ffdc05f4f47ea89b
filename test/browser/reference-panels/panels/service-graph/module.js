/* global define, performance, requestAnimationFrame, cancelAnimationFrame */
// A test double of the drawn service graph panel: the least that meets the DOM contract (grafana-plugin/README.md,
// "The drawn panels' DOM contract"), so that test/browser/real-panels.ts runs, and is known to work, before the real
// panel exists. Not the panel: nodes on a circle, edges as straight lines. An AMD module like a built panel's.
define(['react', '@grafana/data', '@grafana/ui'], function (React, data, ui) {
  const h = React.createElement;
  const RATES = {
    'edge:flowlens_flows:rate5m': 'flow',
    'edge:flowlens_flows_denied:rate5m': 'denied',
    'edge:flowlens_flow_bytes:rate5m': 'bytes',
    'edge:flowlens_http_requests:rate5m': 'http',
  };
  const COLORS = { allowed: 'rgb(115, 191, 105)', denied: 'rgb(242, 73, 92)', mixed: 'rgb(255, 152, 48)' };
  const NODE_COLOR = 'rgb(204, 204, 220)';
  const namespaceOf = (id) => (id.includes('/') ? id.slice(0, id.indexOf('/')) : '');

  function edgesOf(series) {
    const edges = new Map();
    for (const frame of series) {
      for (const field of frame.fields) {
        const rate = field.type === 'number' && field.labels ? RATES[field.labels.__name__] : undefined;
        const value = rate ? field.values[field.values.length - 1] : undefined;
        if (!Number.isFinite(value)) continue;
        const labels = field.labels;
        const source = labels.source_namespace
          ? `${labels.source_namespace}/${labels.source_workload}`
          : labels.source_workload;
        const target = labels.dest_namespace
          ? `${labels.dest_namespace}/${labels.dest_workload}`
          : labels.dest_workload;
        const edge = edges.get(`${source}>${target}`) ?? { source, target, flow: 0, denied: 0, bytes: 0, http: 0 };
        edge[rate] += value;
        edges.set(`${source}>${target}`, edge);
      }
    }
    return [...edges.values()]
      .filter((edge) => edge.flow > 0 || edge.denied > 0 || edge.bytes > 0 || edge.http > 0)
      .map((edge) => ({
        ...edge,
        verdict: edge.denied <= 0 ? 'allowed' : edge.denied >= edge.flow * (1 - 1e-9) ? 'denied' : 'mixed',
      }));
  }

  function ServiceGraph({ data: panelData, width, height }) {
    const all = React.useMemo(() => edgesOf(panelData.series), [panelData.series]);
    const [onlyDenied, setOnlyDenied] = React.useState(false);
    const [namespaces, setNamespaces] = React.useState([]);
    const [search, setSearch] = React.useState('');
    const [pan, setPan] = React.useState({ x: 0, y: 0 });
    const [selected, setSelected] = React.useState(undefined);
    const canvasRef = React.useRef(null);
    const dragging = React.useRef(undefined);
    const canvasWidth = width;
    const canvasHeight = height - 80;
    const edges = all.filter(
      (edge) =>
        (!onlyDenied || edge.verdict !== 'allowed') &&
        (namespaces.length === 0 ||
          namespaces.includes(namespaceOf(edge.source)) ||
          namespaces.includes(namespaceOf(edge.target))),
    );
    const nodes = [...new Set(edges.flatMap((edge) => [edge.source, edge.target]))].sort();
    const nodeKey = nodes.join('\n');
    const positions = React.useMemo(() => {
      performance.mark('reference:layout');
      const radius = Math.min(canvasWidth, canvasHeight) * 0.4;
      const ids = nodeKey === '' ? [] : nodeKey.split('\n');
      const result = new Map(
        ids.map((id, index) => {
          const angle = (index / ids.length) * 2 * Math.PI;
          return [id, { x: Math.cos(angle) * radius, y: Math.sin(angle) * radius }];
        }),
      );
      performance.measure('flowlens:service-graph:layout', 'reference:layout');
      return result;
    }, [nodeKey, canvasWidth, canvasHeight]);
    const at = (id) => {
      const position = positions.get(id);
      return [position.x + canvasWidth / 2 + pan.x, position.y + canvasHeight / 2 + pan.y];
    };
    React.useEffect(() => {
      const frame = requestAnimationFrame(() => {
        const canvas = canvasRef.current;
        if (!canvas) return;
        performance.mark('reference:draw');
        const context = canvas.getContext('2d');
        context.clearRect(0, 0, canvas.width, canvas.height);
        context.lineWidth = 3;
        for (const edge of edges) {
          context.strokeStyle = COLORS[edge.verdict];
          context.beginPath();
          context.moveTo(...at(edge.source));
          context.lineTo(...at(edge.target));
          context.stroke();
        }
        context.fillStyle = NODE_COLOR;
        for (const id of nodes) {
          context.beginPath();
          context.arc(...at(id), 4, 0, 2 * Math.PI);
          context.fill();
        }
        performance.measure('flowlens:service-graph:draw', 'reference:draw');
      });
      return () => cancelAnimationFrame(frame);
    });
    const namespaceOptions = [...new Set(all.flatMap((edge) => [namespaceOf(edge.source), namespaceOf(edge.target)]))]
      .filter((namespace) => namespace !== '')
      .sort()
      .map((namespace) => ({ label: namespace, value: namespace }));
    const onSearchKey = (event) => {
      if (event.key !== 'Enter') return;
      const match = nodes.find((id) => id.toLowerCase().includes(search.toLowerCase()));
      if (match === undefined) return;
      const position = positions.get(match);
      setPan({ x: -position.x, y: -position.y });
      setSelected(match);
    };
    const onMouseUp = (event) => {
      const drag = dragging.current;
      dragging.current = undefined;
      if (drag && Math.abs(event.clientX - drag.x) + Math.abs(event.clientY - drag.y) > 2) return;
      const box = event.currentTarget.getBoundingClientRect();
      const x = event.clientX - box.left;
      const y = event.clientY - box.top;
      setSelected(nodes.find((id) => Math.hypot(at(id)[0] - x, at(id)[1] - y) < 8));
    };
    const select = (label) => h(ui.Select, { 'aria-label': label, options: [], onChange: () => undefined, width: 12 });
    return h(
      'div',
      {
        'data-testid': 'flowlens-service-graph',
        'data-node-count': nodes.length,
        'data-edge-count': edges.length,
        style: { width, height },
      },
      h(
        'div',
        { style: { display: 'flex', gap: 8 } },
        h(ui.Input, {
          'aria-label': 'Search workloads',
          value: search,
          width: 20,
          onChange: (event) => setSearch(event.currentTarget.value),
          onKeyDown: onSearchKey,
        }),
        h(
          ui.InlineField,
          { label: 'Only denied' },
          h(ui.InlineSwitch, { value: onlyDenied, onChange: (event) => setOnlyDenied(event.currentTarget.checked) }),
        ),
        h(ui.InlineField, { label: 'Only unhealthy' }, h(ui.InlineSwitch, { value: false, onChange: () => undefined })),
        h(ui.MultiSelect, {
          'aria-label': 'Namespaces',
          options: namespaceOptions,
          value: namespaces,
          width: 24,
          onChange: (chosen) => setNamespaces(chosen.map((option) => option.value)),
        }),
        select('Protocol'),
        select('Port'),
        select('Color by'),
      ),
      h(
        'div',
        { style: { display: 'flex', gap: 8 } },
        ...Object.entries(COLORS).map(([verdict, color]) =>
          h(
            'span',
            { key: verdict, 'data-testid': `sg-legend-${verdict}` },
            h('span', {
              'data-testid': 'sg-swatch',
              style: { display: 'inline-block', width: 10, height: 10, marginRight: 4, background: color },
            }),
            verdict,
          ),
        ),
      ),
      h('canvas', {
        ref: canvasRef,
        'data-testid': 'sg-canvas',
        width: canvasWidth,
        height: canvasHeight,
        onMouseDown: (event) => {
          dragging.current = { x: event.clientX, y: event.clientY, pan };
        },
        onMouseMove: (event) => {
          const drag = dragging.current;
          if (drag) setPan({ x: drag.pan.x + event.clientX - drag.x, y: drag.pan.y + event.clientY - drag.y });
        },
        onMouseUp,
      }),
      selected === undefined
        ? null
        : h('div', { 'data-testid': 'sg-details' }, h('h3', { 'data-testid': 'sg-details-title' }, selected)),
    );
  }

  return { plugin: new data.PanelPlugin(ServiceGraph) };
});
