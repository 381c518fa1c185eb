// OneMap viewer: MapLibre GL JS served by OneMap itself (no CDN; intranets are offline).

// A department's API key, given once as ?key= (then taken out of the address bar and history) and
// kept for this tab only; without one the viewer shows what anonymous callers see.
const pageParams = new URLSearchParams(location.search);
if (pageParams.get("key")) {
  sessionStorage.setItem("onemapKey", pageParams.get("key"));
  pageParams.delete("key");
  history.replaceState(null, "", location.pathname + (pageParams.toString() ? `?${pageParams}` : "") + location.hash);
}
const apiKey = sessionStorage.getItem("onemapKey");
function authHeaders(headers = {}) { return apiKey ? { ...headers, Authorization: `Bearer ${apiKey}` } : headers; }
function sameOrigin(url) { return new URL(url, location.href).origin === location.origin; }

const map = new maplibregl.Map({
  // The key goes to this server only, as a header (never into tile URLs, caches or logs).
  transformRequest: (url) => (apiKey && sameOrigin(url) ? { url, headers: authHeaders() } : { url }),
  container: "map",
  style: "/styles/onemap.json",
  center: [117.62, 26.26],
  zoom: 9,
  hash: true,
  // Chinese names are drawn with the browser's CJK font, so no CJK glyph files are needed.
  localIdeographFontFamily: "'Noto Sans CJK SC', 'Noto Sans SC', 'Noto Sans CJK JP', sans-serif",
});
map.addControl(new maplibregl.NavigationControl(), "top-right");
map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
window.onemapMap = map;  // for tests and the browser console

// Buildings are coloured by residents for callers who may count them, by use for everyone else:
// the catalog says which, and the legend follows.
fetch("/catalog", { headers: authHeaders() })
  .then((r) => (r.ok ? r.json() : { layers: [] }))
  .then((catalog) => {
    const buildings = (catalog.layers || []).find((l) => l.id === "buildings");
    const residents = !!buildings && buildings.fields.some((f) => f.name === "population" && f.shown === "yes");
    document.getElementById("legend-residents").hidden = !residents;
    document.getElementById("legend-use").hidden = residents;
    window.onemapLegend = residents ? "residents" : "use";
  })
  .catch(() => { window.onemapLegend = "use"; });

function escapeHTML(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

// Time slider: each year shows the map as of its last day (the current year: today).
const slider = document.getElementById("year");
const thisYear = new Date().getFullYear();
slider.max = String(thisYear);
slider.value = String(thisYear);
function asOfDay(year) { return year >= thisYear ? null : `${year}-12-31`; }
function showYear(year) {
  const day = asOfDay(year);
  document.getElementById("asof").textContent = day ?? "今天 today";
  const source = map.getSource("onemap");
  const base = source.url.split("?")[0];
  source.setUrl(day ? `${base}?datetime=${day}` : base);
}
slider.addEventListener("input", () => showYear(Number(slider.value)));
// For tests: change the year and resolve once the map has redrawn.
window.onemapShowYear = (year) => new Promise((resolve) => {
  map.once("idle", resolve);
  slider.value = String(year);
  showYear(year);
});

// Statistics panel: a clicked county (its townships below it) or a drawn polygon, as of the
// slider's day. Counts of 1-4 people arrive as "<5" and are shown as such.
function currentDay() { return asOfDay(Number(slider.value)); }
window.onemapCurrentDay = currentDay;
function fmt(v) { return typeof v === "number" ? v.toLocaleString("zh-CN") : escapeHTML(v); }
function breakdown(title, obj) {
  const rows = Object.entries(obj || {}).sort().map(([k, v]) => `<tr><td>${escapeHTML(k)}</td><td class="n">${fmt(v)}</td></tr>`);
  return rows.length ? `<div class="sub">${title}</div><table>${rows.join("")}</table>` : "";
}
function renderStats(title, doc) {
  const p = doc.population, b = doc.businesses, u = doc.buildings;
  let html = `<b>${escapeHTML(title)}</b> <span class="day">${escapeHTML(doc.datetime)}</span>
    <table class="key">
      <tr><td>人口 people</td><td class="n" id="stat-people">${fmt(p.total)}</td></tr>
      <tr><td>户数 households</td><td class="n">${fmt(p.households)}</td></tr>
      <tr><td>法人 businesses</td><td class="n" id="stat-businesses">${fmt(b.count)}</td></tr>
      <tr><td>从业 employees</td><td class="n">${fmt(b.employees)}</td></tr>
      <tr><td>建筑 buildings</td><td class="n" id="stat-buildings">${fmt(u.count)}</td></tr>
      <tr><td>建筑面积 floor area m²</td><td class="n">${fmt(Math.round(u.floorArea))}</td></tr>
    </table>`;
  if (doc.children && doc.children.length) {
    const rows = doc.children.map((c) => `<tr><td>${escapeHTML(c.name)}</td><td class="n">${fmt(c.population)}</td><td class="n">${fmt(c.businesses)}</td></tr>`);
    html += `<div class="sub">下级 areas · people · businesses</div><table id="stat-children">${rows.join("")}</table>`;
  }
  html += breakdown("性别 sex", p.bySex) + breakdown("年龄 age", p.byAgeBand) + breakdown("户籍 registration", p.byRegistration)
    + breakdown("行业 industry (GB/T 4754)", b.byIndustry) + breakdown("用途 use", u.byUse);
  if (doc.area && doc.area.repaired) html += `<div class="note">区域已修复 repaired: ${escapeHTML(doc.area.repaired)}</div>`;
  html += `<div class="note">${escapeHTML(doc.rule || "")}; ${escapeHTML(doc.suppression || "")}</div>`;
  html += `<div class="downloads">报告 report: <button data-format="pdf">PDF</button> <button data-format="html">HTML</button>
    <button data-format="xlsx">XLSX</button></div>`;
  const info = document.getElementById("info");
  info.innerHTML = html;
  for (const b of info.querySelectorAll(".downloads button")) b.addEventListener("click", () => downloadReport(b.dataset.format));
  return info.innerText;
}

// The report of the area shown in the panel, fetched with the caller's key (a plain link could not
// carry it) and saved as a file.
let reportRequest = null;
async function downloadReport(format) {
  if (!reportRequest) return;
  const r = await fetch(`/reports/area?format=${format}`, {
    method: "POST", headers: authHeaders({ "Content-Type": "application/json" }), body: JSON.stringify(reportRequest) });
  if (!r.ok) { document.getElementById("info").textContent = (await r.json()).description; return; }
  const a = document.createElement("a");
  a.href = URL.createObjectURL(await r.blob());
  a.download = `onemap-report.${format}`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 60000);
}
async function statsForArea(code, name) {
  const day = currentDay();
  const info = document.getElementById("info");
  info.textContent = `统计中 counting ${name || code}…`;
  const r = await fetch(`/areas/${encodeURIComponent(code)}${day ? `?datetime=${day}` : ""}`, { headers: authHeaders({ Accept: "application/json" }) });
  const doc = await r.json();
  if (!r.ok) { info.textContent = doc.description; return info.innerText; }
  reportRequest = day ? { area: code, datetime: day } : { area: code };
  return renderStats(`${doc.name} (${doc.code})`, doc);
}
async function statsForPolygon(ring) {
  const body = { area: { type: "Polygon", coordinates: [ring] } };
  const day = currentDay();
  if (day) body.datetime = day;
  const info = document.getElementById("info");
  info.textContent = "统计中 counting…";
  const r = await fetch("/stats", { method: "POST", headers: authHeaders({ "Content-Type": "application/json" }), body: JSON.stringify(body) });
  const doc = await r.json();
  if (!r.ok) { info.textContent = doc.description; return info.innerText; }
  reportRequest = body;
  return renderStats("绘制区域 drawn area", doc);
}
window.onemapStatsForArea = statsForArea;      // for tests
window.onemapStatsForPolygon = statsForPolygon;
window.onemapReportRequest = () => reportRequest;

// Drawing: click to add corners, double-click (or the button again) to finish.
let drawing = null;
const drawButton = document.getElementById("draw");
function drawData(points, closed) {
  const ring = closed && points.length > 2 ? [...points, points[0]] : points;
  return { type: "FeatureCollection", features: points.length > 1
    ? [{ type: "Feature", properties: {}, geometry: { type: "LineString", coordinates: ring } }] : [] };
}
map.on("load", () => {
  map.addSource("draw", { type: "geojson", data: drawData([], false) });
  map.addLayer({ id: "draw-line", type: "line", source: "draw", paint: { "line-color": "#2b6cb0", "line-width": 2, "line-dasharray": [2, 1] } });
});
function finishDrawing() {
  const points = drawing;
  drawing = null;
  drawButton.textContent = "画区域统计 draw an area";
  map.doubleClickZoom.enable();
  if (!points || points.length < 3) { map.getSource("draw").setData(drawData([], false)); return; }
  map.getSource("draw").setData(drawData(points, true));
  statsForPolygon([...points, points[0]]);
}
drawButton.addEventListener("click", () => {
  if (drawing) { finishDrawing(); return; }
  drawing = [];
  drawButton.textContent = "完成 finish (or double-click)";
  map.doubleClickZoom.disable();
  document.getElementById("info").textContent = "点击添加顶点 click to add corners";
});
map.on("dblclick", (e) => { if (drawing) { e.preventDefault(); finishDrawing(); } });

map.on("click", (e) => {
  if (drawing) {
    drawing.push([e.lngLat.lng, e.lngLat.lat]);
    map.getSource("draw").setData(drawData(drawing, false));
    return;
  }
  const features = map.queryRenderedFeatures(e.point, { layers: ["buildings-fill", "county-fill"] });
  const info = document.getElementById("info");
  if (!features.length) { info.textContent = "无要素 · nothing here"; return; }
  const f = features[0];
  if (f.sourceLayer === "admin_areas" && f.properties.code) { statsForArea(f.properties.code, f.properties.name); return; }
  const rows = Object.entries(f.properties).map(([k, v]) => `<tr><td>${escapeHTML(k)}</td><td>${escapeHTML(v)}</td></tr>`);
  info.innerHTML = `<b>${escapeHTML(f.sourceLayer)}</b><table>${rows.join("")}</table>`;
});
for (const layer of ["buildings-fill", "county-fill"]) {
  map.on("mouseenter", layer, () => { map.getCanvas().style.cursor = "pointer"; });
  map.on("mouseleave", layer, () => { map.getCanvas().style.cursor = ""; });
}
