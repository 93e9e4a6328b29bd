// Time plots with uPlot (served as /uplot.js, a global `uPlot`; no CDN). Each plot is kept in
// window.sbcPlots[id] so a test can read what it draws (plot.data).
const plots = (window.sbcPlots ??= {});

/**
 * Draws or updates a plot of `history` ({ t: [unix s], fields: { name: [...] } }) in the element
 * `id`; `series` names the fields: [{ field, label, color, scale }], scale 'left' or 'right'.
 */
export function timePlot(id, history, series) {
  const data = [history.t, ...series.map((s) => history.fields[s.field] ?? [])];
  const old = plots[id];
  if (old) {
    old.setData(data);
    return old;
  }
  const box = document.getElementById(id);
  const width = Math.max(240, box.clientWidth || 320);
  const opts = {
    width, height: 170,
    scales: { x: { time: true } },
    series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, scale: s.scale }))],
    axes: [{}, ...[...new Set(series.map((s) => s.scale))].map((scale) => ({ scale, side: scale === 'right' ? 1 : 3, grid: { show: scale !== 'right' }, size: 44 }))],
  };
  const plot = new window.uPlot(opts, data, box);
  plots[id] = plot;
  return plot;
}
