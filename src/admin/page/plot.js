// Time plots with uPlot (served as /uplot.js, a global `uPlot`; no CDN). Each plot is kept in
// window.sbcPlots[id] so a test can read what it draws (plot.data).
const plots = (window.sbcPlots ??= {});

/**
 * Draws or updates a plot of `history` ({ t: [unix s], fields: { name: [...] } }) in the element
 * `id`; `series` names the fields: [{ field, label, color, scale }], scale 'left' or 'right'.
 * `options.windowS`: the seconds shown up to the last sample (default the hour; null: the data's
 * own span, as for a call's life); `options.height` in pixels.
 */
export function timePlot(id, history, series, options = {}) {
  const data = [history.t, ...series.map((s) => history.fields[s.field] ?? [])];
  const old = plots[id];
  const shape = series.map((s) => s.field).join('\n');
  if (old && old.sbcShape === shape) {
    old.setData(data);
    return old;
  }
  old?.destroy();
  const box = document.getElementById(id);
  const windowS = options.windowS === undefined ? 3600 : options.windowS;
  const width = Math.max(240, box.clientWidth || 320);
  const opts = {
    width, height: options.height ?? 170,
    // Always the whole window up to the last sample, so a young agent's few points sit at the right.
    // windowS null: the data's span, at least a minute (a young call's single sample would
    // otherwise stretch the axis over years).
    scales: { x: { time: true, range: (u, min, max) => {
      const end = max ?? Date.now() / 1000;
      return windowS === null ? [Math.min(min ?? end, end - 60), end] : [end - windowS, end];
    } } },
    series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, scale: s.scale }))],
    axes: [{}, ...[...new Set(series.map((s) => s.scale))].map((scale) => ({ scale, side: scale === 'right' ? 1 : 3, grid: { show: scale !== 'right' }, size: 44 }))],
  };
  const plot = new window.uPlot(opts, data, box);
  plot.sbcShape = shape;
  plots[id] = plot;
  return plot;
}

/** Removes the plot `id` (its call ended) from the page and from window.sbcPlots. */
export function dropPlot(id) {
  plots[id]?.destroy();
  delete plots[id];
}

const PALETTE = ['#3366cc', '#2a7f62', '#cc6633', '#8844aa', '#aa3355', '#557711'];

/** A color per index, for plots with one line per SBC. */
export function colorAt(i) {
  return PALETTE[i % PALETTE.length];
}
