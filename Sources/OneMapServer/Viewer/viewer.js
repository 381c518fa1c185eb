// OneMap viewer: MapLibre GL JS served by OneMap itself (no CDN; intranets are offline).
const map = new maplibregl.Map({
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

map.on("click", (e) => {
  const features = map.queryRenderedFeatures(e.point, { layers: ["buildings-fill", "county-fill"] });
  const info = document.getElementById("info");
  if (!features.length) { info.textContent = "无要素 · nothing here"; return; }
  const f = features[0];
  const rows = Object.entries(f.properties).map(([k, v]) => `<tr><td>${escapeHTML(k)}</td><td>${escapeHTML(v)}</td></tr>`);
  info.innerHTML = `<b>${escapeHTML(f.sourceLayer)}</b><table>${rows.join("")}</table>`;
});
for (const layer of ["buildings-fill", "county-fill"]) {
  map.on("mouseenter", layer, () => { map.getCanvas().style.cursor = "pointer"; });
  map.on("mouseleave", layer, () => { map.getCanvas().style.cursor = ""; });
}
