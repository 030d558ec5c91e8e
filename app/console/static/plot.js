// A small SVG line chart: risk, anomaly score and P(failure) of one asset over event time.

import { fill, s, when } from "./dom.js";

const W = 520;
const H = 260;
const M = { left: 38, right: 10, top: 10, bottom: 34 };

/** Draw ``series`` ({ts: [...], risk: [...], anomaly: [...], failure_probability: [...]}) into svg. */
export function drawPlot(svg, series) {
  if (!series || !series.ts.length) {
    fill(svg, s("text", { x: W / 2, y: H / 2, "text-anchor": "middle" }, "no history yet"));
    return;
  }
  const t0 = series.ts[0];
  const t1 = Math.max(series.ts[series.ts.length - 1], t0 + 1);
  const x = (t) => M.left + ((t - t0) / (t1 - t0)) * (W - M.left - M.right);
  const y = (v) => H - M.bottom - Math.max(0, Math.min(1, v)) * (H - M.top - M.bottom);
  const parts = [];
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(s("line", { x1: M.left, x2: W - M.right, y1: y(v), y2: y(v), stroke: "#e3e8ea" }));
    parts.push(s("text", { x: M.left - 6, y: y(v) + 4, "text-anchor": "end" }, v.toFixed(2)));
  }
  for (let i = 0; i <= 3; i++) {
    const t = t0 + ((t1 - t0) * i) / 3;
    const anchor = i === 0 ? "start" : i === 3 ? "end" : "middle";
    parts.push(s("text", { x: x(t), y: H - 12, "text-anchor": anchor }, when(t)));
  }
  const line = (values, color, dash) => s("polyline", {
    fill: "none",
    stroke: color,
    "stroke-width": 2,
    "stroke-dasharray": dash || null,
    points: values.map((v, i) => `${x(series.ts[i]).toFixed(1)},${y(v).toFixed(1)}`).join(" "),
  });
  parts.push(line(series.anomaly, "#2f6f9f"));
  parts.push(line(series.failure_probability, "#7d6aa8", "5 3"));
  parts.push(line(series.risk, "#c0392b"));
  fill(svg, ...parts);
}
