// Exact values under the pointer for a heatmap sent as an image (mnistapp/heatmap_hover.py). Each mount names
// a chart (a CSS selector) and the URL of its values (figures/weights.py hover_values); the image trace's meta
// holds the label's wording in the page's language and its decimal mark. Plotly sends hover events for the
// image (hoverinfo "none") and draws no label; this draws one beside the pointer, with the weight of the cell under it to meta.digits significant digits.
const state = (window.__heatmapHover ??= { charts: new Map(), loads: new Map(), timer: null });

function decode(buffer) {
  const head = new DataView(buffer, 0, 12);
  const rows = head.getUint32(0, true), cols = head.getUint32(4, true), n = head.getUint32(8, true);
  const table = new Float32Array(buffer.slice(12, 12 + 4 * n));
  const width = n <= 65536 ? 2 : 4, cells = rows * cols;
  const planes = new Uint8Array(buffer, 12 + 4 * n);
  if (planes.length !== width * cells) return null;
  const codes = new Uint32Array(cells);  // the byte planes, low byte first, back into whole indices
  for (let b = 0; b < width; b++) {
    const plane = planes.subarray(b * cells, (b + 1) * cells), shift = 8 * b;
    for (let k = 0; k < cells; k++) codes[k] |= plane[k] << shift;
  }
  return { rows, cols, at: (i, j) => table[codes[i * cols + j]] };
}

function load(url) {  // one fetch per file, kept while a chart uses it
  if (!state.loads.has(url)) {
    const values = fetch(new URL(url, document.baseURI))
      .then((r) => new Response(r.body.pipeThrough(new DecompressionStream("deflate"))).arrayBuffer())
      .then(decode)
      .catch(() => null);
    const entry = { values, result: undefined };
    state.loads.set(url, entry);
    values.then((v) => {
      if (v) entry.result = v;
      else if (state.loads.get(url) === entry) state.loads.delete(url);  // failed: the next hover asks again
    });
  }
  return state.loads.get(url);
}

function fill(template, fields) {
  return template.replace(/\{(\w+)\}/g, (_, k) => fields[k]);
}

function label(meta, chart, values, row, col) {
  const [r, c] = [Math.floor(row / 28), row % 28];
  // the values are this picture's only when they have its shape and first column: a new figure and its
  // values arrive in one run, but not in one instant
  const mine = values && chart.x0 === meta.x0 && values.rows === meta.shape[0] && values.cols === meta.shape[1];
  const v = mine && row < values.rows && col < values.cols ? values.at(row, col) : null;
  const shown = v === null ? "…"  // as Plotly's ".3g" shows it, with the figure's decimal mark
    : v.toPrecision(meta.digits).replaceAll("-", "−").replace(".", meta.decimal || ".");
  return [fill(meta.row, { r, c, i: row }), fill(meta.col, { j: meta.x0 + col }), fill(meta.value, { v: shown })]
    .join("\n");
}

function tip() {
  let el = document.querySelector('[data-testid="heatmap-hover"]');
  if (!el) {
    el = document.createElement("div");
    el.dataset.testid = "heatmap-hover";
    el.setAttribute("role", "tooltip");
    Object.assign(el.style, {
      position: "fixed", zIndex: 1000, pointerEvents: "none", display: "none", whiteSpace: "pre",
      font: "13px 'Source Sans Pro', sans-serif", color: "#262730", background: "rgba(255, 255, 255, 0.96)",
      border: "1px solid #8a8d96", borderRadius: "3px", padding: "4px 8px",
    });
    document.body.appendChild(el);
  }
  return el;
}

function attach(selector, gd) {
  gd.__heatmapHover = true;
  gd.on("plotly_hover", (ev) => {
    const point = ev.points.find((p) => p.data && p.data.meta && p.data.meta.value);
    const chart = state.charts.get(selector);
    if (!point || !chart) return;
    const meta = point.data.meta;
    const row = Math.round(point.y), col = Math.round(point.x) - meta.x0;
    const values = load(chart.url);
    const el = tip();
    el.textContent = label(meta, chart, values.result, row, col);
    if (values.result === undefined) values.values.then((v) => { el.textContent = label(meta, chart, v, row, col); });
    el.style.display = "block";
    const { clientX: x, clientY: y } = ev.event;
    const right = x + 16 + el.offsetWidth > window.innerWidth;  // near the right edge the label goes left of the pointer
    el.style.left = `${right ? x - 16 - el.offsetWidth : x + 16}px`;
    el.style.top = `${Math.min(y + 16, window.innerHeight - el.offsetHeight - 4)}px`;
  });
  gd.on("plotly_unhover", () => { tip().style.display = "none"; });
}

function attachAll() {
  for (const selector of state.charts.keys()) {
    const gd = document.querySelector(`${selector} .js-plotly-plot`);
    if (gd && gd.on && !gd.__heatmapHover) attach(selector, gd);
  }
}

export default function ({ data }) {
  if (!data || !data.chart || !data.url) return;
  state.charts.set(data.chart, { url: data.url, x0: data.x0 });
  load(data.url);  // fetched while the chart draws, so the first hover has its values
  attachAll();
  state.timer ??= setInterval(attachAll, 300);  // a chart drawn or drawn anew after this mount
}
