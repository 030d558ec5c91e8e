// The fleet map (Web Mercator; tiles from the operator's own tile server, or a plain drawn map)
// and the site map of the safety domain (site metres from the site map file).

import { fill, s, shortId } from "./dom.js";

const EARTH_M = 40075016.686;
const KIND_COLOR = { depot: "#2f6f9f", customer: "#2e8b57", service: "#7f8c8d", restricted: "#c0392b" };

function mercator(lat, lon) {
  const phi = (Math.max(-85, Math.min(85, lat)) * Math.PI) / 180;
  return [(lon + 180) / 360, (1 - Math.log(Math.tan(phi) + 1 / Math.cos(phi)) / Math.PI) / 2];
}

/** Draw vehicles and geofences of the fleet section into ``svg`` (viewBox 900 x 620). */
export function drawFleet(svg, fleet, onVehicle) {
  const W = 900;
  const H = 620;
  const points = [
    ...fleet.geofences.map((g) => [g.lat, g.lon]),
    ...fleet.vehicles.map((v) => [v.lat, v.lon]),
  ];
  if (!points.length) {
    fill(svg, s("text", { x: W / 2, y: H / 2, "text-anchor": "middle" }, "no vehicles or geofences yet"));
    return;
  }
  const xy = points.map(([lat, lon]) => mercator(lat, lon));
  let [x0, y0, x1, y1] = [1, 1, 0, 0];
  for (const [x, y] of xy) {
    x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
  }
  const pad = Math.max(x1 - x0, y1 - y0, 2e-5) * 0.08;
  x0 -= pad; x1 += pad; y0 -= pad; y1 += pad;
  const scale = Math.min(W / (x1 - x0), H / (y1 - y0));
  const ox = (W - (x1 - x0) * scale) / 2;
  const oy = (H - (y1 - y0) * scale) / 2;
  const px = ([x, y]) => [ox + (x - x0) * scale, oy + (y - y0) * scale];
  const midLat = fleet.geofences.length ? fleet.geofences[0].lat : fleet.vehicles[0].lat;
  const metresPerUnit = EARTH_M * Math.cos((midLat * Math.PI) / 180);
  const parts = [s("rect", { x: 0, y: 0, width: W, height: H, fill: "#f4f6f2" })];
  if (fleet.tile_url) parts.push(...tiles(fleet.tile_url, x0, y0, x1, y1, scale, px));
  else parts.push(...graticule(metresPerUnit, scale, W, H));
  for (const g of fleet.geofences) {
    const [cx, cy] = px(mercator(g.lat, g.lon));
    const r = Math.max((g.radius_m / metresPerUnit) * scale, 3);
    const color = KIND_COLOR[g.kind] || "#555";
    parts.push(s("circle", {
      cx, cy, r, fill: color, "fill-opacity": g.kind === "restricted" ? 0.18 : 0.08,
      stroke: color, "stroke-width": 1.5, "stroke-dasharray": g.kind === "restricted" ? "4 3" : null,
    }, s("title", {}, `${g.name} (${g.kind})`)));
    if (g.kind !== "customer") {
      parts.push(s("text", { x: cx, y: cy - r - 3, "text-anchor": "middle" }, g.name));
    }
  }
  const labelled = [];
  for (const v of fleet.vehicles) {
    const [cx, cy] = px(mercator(v.lat, v.lon));
    const near = labelled.find(([lx, ly]) => Math.hypot(lx - cx, ly - cy) < 12);
    if (near) near[2].push(v.vehicle_id); else labelled.push([cx, cy, [v.vehicle_id]]);
    const alarm = v.alarm && v.alarm !== "cleared";
    const color = alarm ? "#c0392b" : v.ignition ? "#12343b" : "#8a9aa0";
    const rad = ((v.heading_deg || 0) * Math.PI) / 180;
    const group = s("g", { class: "vehicle", "data-vehicle": v.vehicle_id,
      onclick: () => onVehicle && onVehicle(v.vehicle_id) });
    if (v.ignition && v.speed_kmh > 2) {
      group.append(s("line", { x1: cx, y1: cy, x2: cx + 14 * Math.sin(rad), y2: cy - 14 * Math.cos(rad),
        stroke: color, "stroke-width": 2 }));
    }
    group.append(s("circle", { cx, cy, r: alarm ? 8 : 6, fill: color, stroke: "#fff", "stroke-width": 2,
      class: alarm ? "pulse" : null }));
    group.append(s("title", {}, `${v.vehicle_id}: ${v.speed_kmh.toFixed(0)} km/h, route ${v.route_id || "none"}`));
    parts.push(group);
  }
  for (const [lx, ly, ids] of labelled) {
    const text = ids.length > 1 ? `${ids[0]} +${ids.length - 1}` : ids[0];
    parts.push(s("text", { x: lx + 10, y: ly + 4, class: "label" }, text, s("title", {}, ids.join(", "))));
  }
  fill(svg, ...parts);
}

function graticule(metresPerUnit, scale, W, H) {
  const pxPerKm = (1000 / metresPerUnit) * scale;
  const steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100];
  const km = steps.find((k) => k * pxPerKm >= 80) || 100;
  const step = km * pxPerKm;
  const out = [];
  for (let x = step; x < W; x += step) out.push(s("line", { x1: x, x2: x, y1: 0, y2: H, stroke: "#e2e7e0" }));
  for (let y = step; y < H; y += step) out.push(s("line", { x1: 0, x2: W, y1: y, y2: y, stroke: "#e2e7e0" }));
  out.push(s("line", { x1: 16, x2: 16 + step, y1: H - 18, y2: H - 18, stroke: "#33454c", "stroke-width": 3 }));
  out.push(s("text", { x: 16, y: H - 24 }, `${km} km`));
  return out;
}

function tiles(template, x0, y0, x1, y1, scale, px) {
  const z = Math.max(0, Math.min(19, Math.round(Math.log2(scale / 256))));
  const n = 2 ** z;
  const out = [];
  for (let tx = Math.floor(x0 * n); tx <= Math.floor(x1 * n); tx++) {
    for (let ty = Math.floor(y0 * n); ty <= Math.floor(y1 * n); ty++) {
      if (tx < 0 || ty < 0 || tx >= n || ty >= n) continue;
      const [left, top] = px([tx / n, ty / n]);
      const href = template.replace("{z}", z).replace("{x}", tx).replace("{y}", ty);
      out.push(s("image", { href, x: left, y: top, width: scale / n + 0.5, height: scale / n + 0.5,
        preserveAspectRatio: "none" }));
    }
  }
  return out;
}

/** Draw the site map: zones by risk, workers by pseudonym, and the open safety alarms. */
export function drawSite(svg, safety, alarms) {
  const site = safety.site;
  if (!site) {
    fill(svg, s("text", { x: 450, y: 260, "text-anchor": "middle" }, "no site map"));
    return;
  }
  const [ex0, ey0, ex1, ey1] = site.extent;
  const W = 900;
  const H = 520;
  const scale = Math.min((W - 20) / (ex1 - ex0), (H - 20) / (ey1 - ey0));
  const ox = (W - (ex1 - ex0) * scale) / 2;
  const oy = (H - (ey1 - ey0) * scale) / 2;
  const px = (x, y) => [ox + (x - ex0) * scale, oy + (ey1 - y) * scale];
  const fillOf = { high: "#f4c7c0", medium: "#f8e3b6", low: "#d9ecd9" };
  const [sx, sy] = px(ex0, ey1);
  const parts = [s("rect", { x: sx, y: sy, width: (ex1 - ex0) * scale, height: (ey1 - ey0) * scale,
    fill: "#eef1ea", stroke: "#9aa5a0" })];
  for (const z of site.zones) {
    const [x0, y0, x1, y1] = z.rect;
    const [left, top] = px(x0, y1);
    parts.push(s("rect", { x: left, y: top, width: (x1 - x0) * scale, height: (y1 - y0) * scale,
      fill: fillOf[z.risk] || "#eee", stroke: "#8a968f" }, s("title", {}, `${z.name} (${z.risk} risk)`)));
    parts.push(s("text", { x: left + 4, y: top + 13, class: "label" }, z.id));
  }
  const positions = {};
  for (const w of safety.workers) {
    const [cx, cy] = px(w.x_m, w.y_m);
    positions[w.worker] = [cx, cy];
    parts.push(s("circle", { cx, cy, r: 4.5, fill: w.state === "stationary" ? "#e08e0b" : "#2a9d8f",
      stroke: "#fff", "stroke-width": 1.2, "data-worker": w.worker },
      s("title", {}, `${shortId(w.worker)} · ${w.zone} · ${w.state}`)));
  }
  for (const a of alarms) {
    if (a.domain !== "safety" || !a.active) continue;
    const e = a.evidence || {};
    const color = a.phase === "unacknowledged" ? "#c0392b" : "#e08e0b";
    if (a.alert_type === "man_down" && typeof e.x_m === "number") {
      const [cx, cy] = px(e.x_m, e.y_m);
      parts.push(s("circle", { cx, cy, r: 14, fill: "none", stroke: color, "stroke-width": 3, class: "pulse" }));
      parts.push(s("text", { x: cx + 16, y: cy - 8, class: "alarm-label" }, `MAN DOWN ${shortId(a.asset_id)}`));
    } else if (a.alert_type === "stationary_cluster" && Array.isArray(e.center_m)) {
      const [cx, cy] = px(e.center_m[0], e.center_m[1]);
      parts.push(s("circle", { cx, cy, r: 22, fill: "none", stroke: color, "stroke-width": 2.5,
        "stroke-dasharray": "6 4", class: "pulse" }));
      const n = Array.isArray(e.workers) ? e.workers.length : "";
      parts.push(s("text", { x: cx + 24, y: cy - 10, class: "alarm-label" }, `GROUP OF ${n} in ${e.zone}`));
    } else if (a.alert_type === "worker_fatigue" && positions[a.asset_id]) {
      const [cx, cy] = positions[a.asset_id];
      parts.push(s("circle", { cx, cy, r: 9, fill: "none", stroke: color, "stroke-width": 2 }));
      parts.push(s("text", { x: cx + 10, y: cy + 14, class: "alarm-label" }, "fatigue"));
    }
  }
  fill(svg, ...parts);
}
