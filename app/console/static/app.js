// The operations console page: tabs, the live connection (server-sent events) and the
// Maintenance, Fleet and Safety pages. The Alarms page lives in alarms.js.

import { alarmActions, handledText, post, renderAlarms, renderFigures, setIdentity } from "./alarms.js";
import { ago, duration, featureText, fill, h, num, shortId, toast, when } from "./dom.js";
import { drawFleet, drawSite } from "./maps.js";
import { drawPlot } from "./plot.js";

const state = { maintenance: null, fleet: null, safety: null, alarms: null, figures: null, commands: null };
let selectedAsset = null;
let episodesKey = "";
let safetyKey = "";
let historyAt = 0;

// ---- tabs and operator -----------------------------------------------------------------

function currentPage() {
  return (location.hash || "#maintenance").slice(1);
}

function showPage() {
  const page = currentPage();
  for (const section of document.querySelectorAll(".page")) section.hidden = section.id !== `page-${page}`;
  for (const tab of document.querySelectorAll(".tabs a")) tab.classList.toggle("active", tab.dataset.page === page);
  for (const name of PAGE_SECTIONS[page] || []) if (state[name]) RENDER[name]();
}

function setupOperator() {
  const input = document.getElementById("operator");
  input.value = localStorage.getItem("aiot.operator") || "";
  input.addEventListener("input", () => {
    localStorage.setItem("aiot.operator", input.value.trim());
    input.classList.remove("missing");
  });
}

// ---- Maintenance -------------------------------------------------------------------------

function riskBar(risk) {
  const level = risk >= 0.6 ? "high" : risk >= 0.35 ? "mid" : "";
  const fillBar = h("i", { class: level });
  fillBar.style.width = `${Math.round(Math.max(0, Math.min(1, risk)) * 100)}%`;  // CSSOM: allowed by the CSP
  return h("div", { class: "bar", title: num(risk, 3) }, fillBar, h("b", {}, num(risk, 2)));
}

function renderMaintenance() {
  const m = state.maintenance;
  if (!m) return;
  document.getElementById("assets-tracked").textContent = `${m.tracked} assets`;
  const rows = m.assets.map((a) => h("tr", {
    class: a.asset_id === selectedAsset ? "clickable selected" : "clickable",
    "data-testid": "asset-row", "data-asset": a.asset_id,
    onclick: () => selectAsset(a.asset_id),
  },
  h("td", { class: "nowrap" }, h("b", {}, a.asset_id)),
  h("td", { class: "muted" }, a.asset_class),
  h("td", {}, riskBar(a.risk)),
  h("td", { class: "num" }, `${num(a.failure_probability * 100, 0)} % ≤ ${num(a.horizon_h, 0)} h`),
  h("td", { class: "num" }, a.time_to_failure_h === null ? "–" : duration(a.time_to_failure_h * 3600)),
  h("td", { class: "num" }, num(a.anomaly_score, 2)),
  h("td", {}, a.top_features.length ? featureText(a.top_features[0]) : "–"),
  h("td", {}, a.alarm ? h("span", { class: `chip ${a.alarm}` }, a.alarm.replace("_", " ")) : ""),
  h("td", { title: a.model_version, class: "nowrap muted" }, when(a.ts)),
  ));
  fill(document.getElementById("assets-body"), ...rows);
  document.getElementById("assets-empty").hidden = rows.length > 0;
  if (!selectedAsset && m.assets.length) selectAsset(m.assets[0].asset_id);
  else if (selectedAsset && Date.now() - historyAt > 2000) loadHistory();
  const asset = m.assets.find((a) => a.asset_id === selectedAsset);
  if (asset) {
    fill(document.getElementById("asset-evidence"),
      ...asset.top_features.map((f) => h("li", {}, featureText(f))),
      h("li", { class: "handled" }, `model ${asset.model_version}`));
  }
}

function selectAsset(id) {
  selectedAsset = id;
  document.getElementById("asset-title").textContent = id;
  renderMaintenance();
  loadHistory();
}

async function loadHistory() {
  historyAt = Date.now();
  const id = selectedAsset;
  const res = await fetch(`/api/assets/${encodeURIComponent(id)}/history`);
  if (res.ok && id === selectedAsset) drawPlot(document.getElementById("asset-plot"), await res.json());
}

function renderCommands() {
  const c = state.commands;
  if (!c) return;
  const lines = c.commands.filter((x) => x.source.startsWith("maintenance") || x.source.startsWith("edge"))
    .slice(0, 12)
    .map((x) => h("li", {}, `${ago(x.issued_at)} · ${x.action} ${x.asset_id} · ${x.status || "not acked yet"} · ${x.reason}`));
  fill(document.getElementById("maintenance-commands"), ...(lines.length ? lines : [h("li", { class: "empty" }, "none")]));
}

// ---- Fleet -------------------------------------------------------------------------------

const VERDICTS = [["normal", "Normal"], ["traffic_detour", "Detour"], ["unauthorized", "Unauthorized"]];

function renderFleet() {
  const f = state.fleet;
  if (!f) return;
  drawFleet(document.getElementById("fleet-map"), f);
  document.getElementById("fleet-summary").textContent =
    `${f.vehicles.length} vehicles, ${f.geofences.length} geofences${f.tile_url ? "" : " (plain map: no tile server set)"}`;
  document.getElementById("episodes-open").textContent = `${f.open_episodes} open`;
  fill(document.getElementById("geofence-events"), ...f.geofence_events.slice(0, 15).map((g) =>
    h("li", {}, `${when(g.ts)} · ${g.vehicle_id} ${g.event} ${g.geofence_id} (${g.kind})${g.dwell_s ? ` after ${duration(g.dwell_s)}` : ""}`)));
  const key = JSON.stringify(f.episodes.slice(0, 40));
  if (key === episodesKey) return;  // unchanged: keep the buttons where they are
  episodesKey = key;
  const cards = f.episodes.slice(0, 40).map((e) => {
    const given = e.verdict ? e.verdict.label : null;
    return h("div", { class: `episode ${e.status}`, "data-testid": "episode", "data-episode-id": e.episode_id,
      "data-vehicle": e.vehicle_id },
    h("header", {}, h("b", {}, e.vehicle_id),
      h("span", { class: `chip ${e.label}` }, `${e.label.replace("_", " ")} ${num(e.confidence * 100, 0)} %`),
      h("span", { class: "meta" }, e.status)),
    h("div", { class: "meta" }, `${when(e.start_ts)} · ${e.end_ts ? duration(e.end_ts - e.start_ts) : "ongoing"}` +
      ` · ${num(e.max_off_corridor_m / 1000, 1)} km off route`),
    h("ul", {}, e.reasons.map((r) => h("li", {}, r))),
    h("div", { class: "verdicts" }, "Verdict:",
      VERDICTS.map(([label, text]) => h("button", {
        class: given === label ? "chosen" : null,
        "data-testid": `verdict-${label}`,
        onclick: async () => {
          const answer = await post(`/api/episodes/${encodeURIComponent(e.episode_id)}/verdict`, { label });
          if (answer) toast(`Verdict "${text}" on ${e.vehicle_id} sent to the classifier`);
        },
      }, text)),
      e.verdict ? h("span", { class: "meta" }, `by ${e.verdict.by || "?"}`) : null));
  });
  fill(document.getElementById("episodes"), ...(cards.length ? cards : [h("p", { class: "empty" }, "No deviation episodes yet.")]));
}

// ---- Safety ------------------------------------------------------------------------------

function renderSafety() {
  const sf = state.safety;
  if (!sf) return;
  const alarms = state.alarms ? state.alarms.alarms : [];
  document.getElementById("site-title").textContent = sf.site ? sf.site.name : "Site";
  drawSite(document.getElementById("site-map"), sf, alarms);
  const open = alarms.filter((a) => a.domain === "safety" && a.phase !== "cleared");
  renderZones(sf);
  const key = JSON.stringify(open);
  if (key === safetyKey) return;  // unchanged: keep the buttons where they are
  safetyKey = key;
  fill(document.getElementById("safety-alarms"), ...(open.length ? open.map((a) =>
    h("div", { class: `card ${a.severity}`, "data-testid": "safety-alarm", "data-alert-id": a.alert_id, "data-phase": a.phase },
      h("div", { class: "row" }, h("b", {}, a.alert_type.replace("_", " ")),
        h("span", { class: `chip ${a.phase}` }, a.phase.replace("_", " "))),
      h("p", {}, a.message),
      h("p", { class: "handled" }, `${shortId(a.asset_id)} · raised ${ago(a.raised_at)} ${handledText(a)}`),
      alarmActions(a, true))) : [h("p", { class: "empty" }, "No open safety alarms.")]));
}

function renderZones(sf) {
  const zones = {};
  for (const w of sf.workers) {
    zones[w.zone] = zones[w.zone] || { moving: 0, stationary: 0 };
    zones[w.zone][w.state] = (zones[w.zone][w.state] || 0) + 1;
  }
  const risk = {};
  if (sf.site) for (const z of sf.site.zones) risk[z.id] = z.risk;
  fill(document.getElementById("zone-body"), ...Object.entries(zones).sort().map(([z, c]) =>
    h("tr", {}, h("td", {}, z), h("td", {}, risk[z] || "low"), h("td", { class: "num" }, c.moving || 0),
      h("td", { class: "num" }, c.stationary || 0))));
}

// ---- counts and dispatch -----------------------------------------------------------------

function renderCounts() {
  const alarms = state.alarms ? state.alarms.alarms : [];
  const unacked = (d) => alarms.filter((a) => (!d || a.domain === d)
    && (a.phase === "unacknowledged" || a.phase === "cleared_unacknowledged")).length || "";
  for (const d of ["maintenance", "fleet", "safety"]) document.getElementById(`count-${d}`).textContent = unacked(d);
  document.getElementById("count-alarms").textContent = unacked(null);
}

const RENDER = {
  maintenance: renderMaintenance,
  fleet: renderFleet,
  safety: renderSafety,
  alarms: () => renderAlarms(state.alarms),
  figures: () => renderFigures(state.figures),
  commands: renderCommands,
};

// The sections each page shows: only the visible page is drawn (maps are not cheap).
const PAGE_SECTIONS = {
  maintenance: ["maintenance", "commands"],
  fleet: ["fleet"],
  safety: ["safety"],
  alarms: ["alarms", "figures"],
};

function update(name, data) {
  state[name] = data;
  try {
    if (name === "alarms") renderCounts();
    const page = currentPage();
    const shown = PAGE_SECTIONS[page] || [];
    if (shown.includes(name)) RENDER[name]();
    else if (name === "alarms" && page === "safety") renderSafety();  // the map shows alarms
  } catch (err) {
    console.error(`rendering ${name} failed`, err);
  }
}

function connect() {
  const conn = document.getElementById("conn");
  const source = new EventSource("/api/events");
  for (const name of Object.keys(RENDER)) {
    source.addEventListener(name, (ev) => update(name, JSON.parse(ev.data)));
  }
  source.onopen = () => { conn.dataset.state = "live"; conn.textContent = "live"; };
  source.onerror = () => { conn.dataset.state = "lost"; conn.textContent = "reconnecting"; };
}

async function start() {
  setupOperator();
  window.addEventListener("hashchange", showPage);
  for (const id of ["f-domain", "f-phase", "f-severity", "f-text"]) {
    document.getElementById(id).addEventListener("input", () => state.alarms && renderAlarms(state.alarms, true));
  }
  document.getElementById("alarms-body").addEventListener("focusout", () => {
    setTimeout(() => {
      if (document.getElementById("alarms-body").dataset.deferred && state.alarms) renderAlarms(state.alarms);
    }, 0);
  });
  const res = await fetch("/api/state");
  if (res.ok) {
    const all = await res.json();
    setIdentity(all.console);
    if (all.console.identity_header) {
      document.getElementById("operator").hidden = true;
      const signed = document.getElementById("signed-in");
      signed.hidden = false;
      signed.textContent = all.console.user || "not signed in";
    }
    for (const name of Object.keys(RENDER)) state[name] = all[name];
    renderCounts();
  }
  showPage();
  connect();
}

start();
