// A building's relations in its panel (一人一档、一企一档 at the building): its households and
// enterprises as the caller may see them (masked identities, or only counts), with their history.
(function () {
  const map = window.onemapMap;
  const info = () => document.getElementById("info");

  function span(e) { return `${e.from || "…"} – ${e.to || "今 now"}`; }

  async function showRelations(code) {
    const day = window.onemapCurrentDay ? window.onemapCurrentDay() : null;
    const r = await fetch(`/relations/building/${encodeURIComponent(code)}?depth=2${day ? `&datetime=${day}` : ""}`, { headers: authHeaders() });
    const g = await r.json();
    if (!r.ok) return null;
    const byId = Object.fromEntries(g.nodes.map((n) => [n.id, n]));
    const edgesOf = (type) => g.edges.filter((e) => e.type === type);
    const lives = edgesOf("lives_in").filter((e) => e.target === `building:${code}`);
    const households = new Map();
    for (const m of edgesOf("member_of")) {
      if (!lives.some((l) => l.source === m.source)) continue;
      const h = byId[m.target];
      if (h) households.set(h.id, { label: h.label, members: (households.get(h.id)?.members || 0) + 1, from: m.from, to: m.to });
    }
    const firms = edgesOf("registered_at").map((e) => ({ node: byId[e.source], edge: e })).filter((x) => x.node);
    const building = byId[`building:${code}`] || { properties: {} };
    let html = `<div class="sub">关系 relations（${escapeHTML(g.datetime)}）</div>`;
    if (lives.length) {
      html += `<div>住户 households: ${households.size} · 居民 residents: ${lives.length}</div><table>`
        + [...households.values()].map((h) => `<tr><td>${escapeHTML(h.label)}</td><td class="n">${h.members} 人</td><td class="day">${escapeHTML(span(h))}</td></tr>`).join("")
        + "</table>";
    } else if (building.properties.residents !== undefined) {
      html += `<div>居民 residents: ${fmt(building.properties.residents)}（仅计数 counts only）</div>`;
    }
    if (firms.length) {
      html += `<div>法人 enterprises: ${firms.length}</div><table>`
        + firms.map((x) => `<tr><td>${escapeHTML(x.node.properties.name || x.node.label)}</td><td class="day">${escapeHTML(span(x.edge))}</td></tr>`).join("")
        + "</table>";
    } else if (building.properties.businesses !== undefined) {
      html += `<div>法人 enterprises: ${fmt(building.properties.businesses)}（仅计数 counts only）</div>`;
    }
    info().insertAdjacentHTML("beforeend", `<div class="relations">${html}</div>`);
    window.onemapRelations.last = g;
    return g;
  }

  map.on("click", (e) => {
    if (map.getLayer("problems-circle") && map.queryRenderedFeatures(e.point, { layers: ["problems-circle"] }).length) return;
    const b = map.queryRenderedFeatures(e.point, { layers: ["buildings-fill"] });
    if (!b.length || !b[0].properties.entity_code) return;
    setTimeout(() => showRelations(b[0].properties.entity_code), 0);
  });

  window.onemapRelations = { show: showRelations, last: null };  // for tests and the console
})();
