// The Alarms page (one list across domains, filters, ISA-18.2 handling) and the actions the
// operator takes on an alarm, shared with the Safety page.

import { ago, duration, featureText, fill, h, num, shortId, toast, when } from "./dom.js";

const ACTIONABLE = new Set(["unacknowledged", "cleared_unacknowledged"]);
const expanded = new Set();
const openMore = new Set();
let lastKey = "";
let identity = { header: false, user: null };

/** Remember how operators are identified (proxy header or typed name). */
export function setIdentity(meta) {
  identity = { header: Boolean(meta.identity_header), user: meta.user || null };
}

/** The operator's name typed in the top bar (stored in the browser). */
export function operator() {
  return document.getElementById("operator").value.trim();
}

/** POST a JSON action; returns the answer or null (the error is shown). Never throws. */
export async function post(path, body) {
  const by = operator();
  if (!identity.header && !by) {
    const input = document.getElementById("operator");
    input.classList.add("missing");
    input.focus();
    toast("Type your name in Operator first: every action records who took it.", true);
    return null;
  }
  const payload = identity.header ? body : { ...body, by };
  try {
    const res = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload),
    });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) {
      toast(`Refused (${res.status}): ${data.error || res.statusText}`, true);
      return null;
    }
    return data;
  } catch (err) {
    toast(`Console unreachable: ${err}`, true);
    return null;
  }
}

async function act(alarm, action, body = {}) {
  const answer = await post(`/api/alarms/${encodeURIComponent(alarm.alert_id)}/${action}`, body);
  if (answer) toast(`${action} sent for ${alarm.alert_type} on ${alarm.asset_id}`);
  return answer;
}

/** The action controls of one alarm. */
export function alarmActions(alarm, compact = false) {
  const box = h("div", { class: "actions" });
  const acking = (alarm.pending || []).some((p) => p.action === "acknowledge" && !p.late);
  if (ACTIONABLE.has(alarm.phase) && !acking) {
    box.append(h("button", { class: "primary", "data-testid": "ack", onclick: () => act(alarm, "acknowledge") },
      "Acknowledge"));
  }
  for (const p of alarm.pending || []) {
    box.append(h("span", { class: p.late ? "pending late" : "pending", "data-testid": "pending" },
      p.late ? `${p.action} by ${p.by}: no answer from a worker` : `${p.action} by ${p.by}…`));
  }
  if (compact) return box;
  const more = h("div", { class: "more" });
  const details = h("details", { "data-testid": "more" }, h("summary", {}, "More"), more);
  if (openMore.has(alarm.alert_id)) details.open = true;
  details.addEventListener("toggle", () => {
    if (details.open) openMore.add(alarm.alert_id); else openMore.delete(alarm.alert_id);
  });
  if (alarm.phase === "shelved") {
    more.append(h("button", { "data-testid": "unshelve", onclick: () => act(alarm, "unshelve") }, "Unshelve"));
  } else if (alarm.phase !== "cleared") {
    const minutes = h("select", { "data-testid": "shelve-minutes", "aria-label": "shelve for" },
      h("option", { value: 15 }, "15 min"), h("option", { value: 60 }, "1 h"),
      h("option", { value: 240 }, "4 h"), h("option", { value: 480 }, "8 h"));
    more.append(h("button", { "data-testid": "shelve",
      onclick: () => act(alarm, "shelve", { minutes: Number(minutes.value) }) }, "Shelve"), minutes);
  }
  const note = h("input", { class: "note", placeholder: "note", maxlength: 2000, "data-testid": "note-text" });
  more.append(note, h("button", { "data-testid": "note", onclick: async () => {
    if (!note.value.trim()) { note.focus(); return; }
    if (await act(alarm, "note", { note: note.value })) note.value = "";
  } }, "Add note"));
  if (!alarm.outcome) {
    more.append(
      h("button", { class: "danger", "data-testid": "outcome-fault",
        onclick: () => act(alarm, "outcome", { outcome: "fault_confirmed", note: note.value || null }) },
      "Fault confirmed"),
      h("button", { "data-testid": "outcome-none",
        onclick: () => act(alarm, "outcome", { outcome: "no_fault_found", note: note.value || null }) },
      "No fault found"),
    );
  }
  box.append(details);
  return box;
}

/** What has been done about an alarm, in words. */
export function handledText(alarm) {
  const out = [];
  if (alarm.acked_by) out.push(`acked by ${alarm.acked_by} after ${duration(alarm.acked_at - alarm.raised_at)}`);
  if (alarm.shelved_until) out.push(`shelved by ${alarm.shelved_by} until ${when(alarm.shelved_until)}`);
  if (alarm.outcome) out.push(`inspection: ${alarm.outcome.replace(/_/g, " ")} (${alarm.outcome_by})`);
  if (alarm.notes && alarm.notes.length) out.push(`${alarm.notes.length} note(s)`);
  return out.join(" · ");
}

function matches(alarm, f) {
  if (f.domain && alarm.domain !== f.domain) return false;
  if (f.phase === "open" && alarm.phase === "cleared") return false;
  if (f.phase && f.phase !== "open" && alarm.phase !== f.phase) return false;
  if (f.severity && alarm.severity !== f.severity) return false;
  if (f.text) {
    const hay = `${alarm.asset_id} ${alarm.alert_type} ${alarm.message}`.toLowerCase();
    if (!hay.includes(f.text.toLowerCase())) return false;
  }
  return true;
}

function filters() {
  return {
    domain: document.getElementById("f-domain").value,
    phase: document.getElementById("f-phase").value,
    severity: document.getElementById("f-severity").value,
    text: document.getElementById("f-text").value.trim(),
  };
}

function detailRow(alarm) {
  const e = alarm.evidence || {};
  const features = (e.top_features || []).map((f) => h("li", {}, featureText(f)));
  const facts = Object.entries(e).filter(([k]) => !["top_features", "model_version"].includes(k));
  return h("tr", { class: "detail" }, h("td", { colspan: 9 },
    h("div", {}, `Alert ${alarm.alert_id} · episode from ${when(alarm.first_ts)} · raised ${when(alarm.raised_at)}`),
    features.length ? h("ul", {}, features) : null,
    facts.length ? h("pre", {}, facts.map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join("\n")) : null,
    (alarm.notes || []).map((n) => h("div", {}, `${when(n.ts)} ${n.by}: ${n.text}`)),
  ));
}

/** Render the alarm list (unless the operator is typing in it: then after they leave it). */
export function renderAlarms(section, force = false) {
  const body = document.getElementById("alarms-body");
  if (!force && body.contains(document.activeElement) && document.activeElement.tagName === "INPUT") {
    body.dataset.deferred = "1";
    return;
  }
  body.dataset.deferred = "";
  const f = filters();
  const shown = section.alarms.filter((x) => matches(x, f));
  // Unchanged data: leave the DOM alone, so a button never moves away under the pointer.
  const key = JSON.stringify([shown, [...expanded], [...openMore]]);
  if (!force && key === lastKey) return;
  lastKey = key;
  const rows = [];
  const now = Date.now() / 1000;
  for (const a of shown) {
    const row = h("tr", { "data-testid": "alarm-row", "data-alert-id": a.alert_id, "data-phase": a.phase,
      "data-domain": a.domain, class: "clickable" },
      h("td", {}, h("span", { class: `sev ${a.severity}`, title: a.severity })),
      h("td", {}, h("span", { class: `chip ${a.phase}`, "data-testid": "phase" }, a.phase.replace("_", " ")),
        a.level ? h("div", { class: "level" }, `escalated ×${a.level}`) : null),
      h("td", {}, a.domain),
      h("td", { class: "nowrap" }, a.alert_type.replace(/_/g, " ")),
      h("td", { title: a.asset_id, class: "nowrap" }, shortId(a.asset_id)),
      h("td", { class: "message" }, a.message),
      h("td", { title: when(a.raised_at) }, ago(a.raised_at, now)),
      h("td", { class: "handled" }, handledText(a)),
      h("td", {}, alarmActions(a)),
    );
    row.addEventListener("click", (ev) => {
      if (ev.target.closest("button, input, select, details")) return;
      if (expanded.has(a.alert_id)) expanded.delete(a.alert_id); else expanded.add(a.alert_id);
      renderAlarms(section, true);
    });
    rows.push(row);
    if (expanded.has(a.alert_id)) rows.push(detailRow(a));
  }
  fill(body, ...rows);
  document.getElementById("alarms-empty").hidden = rows.length > 0;
}

/** Render the alarm-management figures. */
export function renderFigures(fig) {
  const card = (value, label, bad = false) =>
    h("div", { class: bad ? "figure bad" : "figure" }, h("b", {}, value), h("span", {}, label));
  fill(document.getElementById("figures"),
    card(fig.alarms_last_10min, `alarms in the last 10 min (flood > ${fig.flood_threshold})`,
      fig.alarms_last_10min > fig.flood_threshold),
    card(num(fig.alarms_per_10min, 1), "alarms per 10 min, average"),
    card(`${num(fig.flood_share * 100, 0)} %`, "of 10-min periods in flood", fig.flood_share > 0.01),
    card(`${fig.standing}`, `standing alarms (${fig.stale} stale)`, fig.stale > 0),
    card(`${fig.unacknowledged}`, `unacknowledged (${fig.shelved} shelved)`, fig.unacknowledged > 0),
    card(fig.ack_median_s === null ? "–" : duration(fig.ack_median_s),
      `time to acknowledge, median (p90 ${fig.ack_p90_s === null ? "–" : duration(fig.ack_p90_s)})`),
  );
}
