// DOM and formatting helpers of the console. Every text goes through textContent: operator
// notes and messages are data, never markup.

const SVG_NS = "http://www.w3.org/2000/svg";

/** Build an HTML element: h("td", {class: "num"}, "text", child, ...). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** Build an SVG element the same way. */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
}

function append(el, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace the children of ``el``. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** A UTC date and time of Unix seconds: "2026-12-04 14:05". */
export function when(ts) {
  if (ts === null || ts === undefined) return "–";
  return new Date(ts * 1000).toISOString().slice(0, 16).replace("T", " ");
}

/** A wall-clock time relative to now: "42 s ago", "in 5 min". */
export function ago(ts, now = Date.now() / 1000) {
  if (ts === null || ts === undefined) return "–";
  const d = now - ts;
  const abs = Math.abs(d);
  const text = abs < 60 ? `${abs.toFixed(0)} s` : abs < 3600 ? `${(abs / 60).toFixed(0)} min`
    : abs < 172800 ? `${(abs / 3600).toFixed(1)} h` : `${(abs / 86400).toFixed(1)} d`;
  return d >= 0 ? `${text} ago` : `in ${text}`;
}

/** A duration in seconds: "45 s", "12 min", "3.5 h". */
export function duration(sec) {
  if (sec === null || sec === undefined) return "–";
  if (sec < 60) return `${sec.toFixed(0)} s`;
  if (sec < 3600) return `${(sec / 60).toFixed(0)} min`;
  if (sec < 172800) return `${(sec / 3600).toFixed(1)} h`;
  return `${(sec / 86400).toFixed(1)} d`;
}

/** A number with a fixed number of decimals, or a dash. */
export function num(x, digits = 2) {
  return x === null || x === undefined || Number.isNaN(x) ? "–" : Number(x).toFixed(digits);
}

/** One feature of evidence: "kurtosis 7.9 vs 3.1 (z +6.2)"; levels of a biometric are never shown. */
export function featureText(f) {
  const z = `z ${f.z >= 0 ? "+" : ""}${num(f.z, 1)}`;
  if (f.name === "hr_ratio") return `heart rate vs own baseline (${z})`;
  return `${f.name} ${fmt(f.value)} vs ${fmt(f.baseline)} (${z})`;
}

function fmt(x) {
  if (typeof x !== "number") return "–";
  return Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toPrecision(3);
}

/** A short form of a pseudonym: "p-3f1a9c…". */
export function shortId(id) {
  return id && id.length > 12 ? `${id.slice(0, 9)}…` : id;
}

let toastTimer = null;

/** Show a short message at the bottom of the page. */
export function toast(text, error = false) {
  const el = document.getElementById("toast");
  el.textContent = text;
  el.className = error ? "toast error" : "toast";
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, error ? 6000 : 2500);
}
