// The correction loop in the viewer (纠错): for a department signed in with its key, the problems it
// may see are a layer (open ones red, overdue ones dark red, corrected ones amber); a building's
// panel offers 报告问题, and a problem's panel offers the steps the caller may take.
(function () {
  if (!apiKey) return;  // problems are for departments
  const map = window.onemapMap;
  const info = () => document.getElementById("info");
  const stepNames = { accept: "受理 accept", reject: "驳回 reject", correct: "已整改 correct", confirm: "确认 confirm", reopen: "重新打开 reopen" };
  const stateNames = { open: "待受理 open", accepted: "已受理 accepted", rejected: "已驳回 rejected", corrected: "已整改 corrected", confirmed: "已确认 confirmed" };

  async function refresh() {
    const r = await fetch("/problems?f=geojson&state=open,accepted,corrected,rejected&limit=1000", { headers: authHeaders() });
    if (!r.ok) return;
    const doc = await r.json();
    map.getSource("problems").setData({ type: "FeatureCollection", features: doc.features.filter((f) => f.geometry) });
    window.onemapProblemCount = doc.features.length;
  }

  map.on("load", () => {
    map.addSource("problems", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    map.addLayer({
      id: "problems-circle", type: "circle", source: "problems",
      paint: {
        "circle-radius": ["interpolate", ["linear"], ["zoom"], 8, 4, 16, 9],
        "circle-color": ["case", ["get", "overdue"], "#7f0000",
                         ["match", ["get", "state"], "corrected", "#f0a020", "rejected", "#888888", "#e0301e"]],
        "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.5,
      },
    });
    map.on("mouseenter", "problems-circle", () => { map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", "problems-circle", () => { map.getCanvas().style.cursor = ""; });
    refresh();
  });

  function problemHTML(p) {
    const history = (p.history || []).map((e) => `<tr><td>${escapeHTML(e.at.slice(0, 16).replace("T", " "))}</td><td>${escapeHTML(e.department || e.by)}</td>`
      + `<td>${escapeHTML(stepNames[e.action] || e.action)}</td><td>${escapeHTML(e.note || "")}</td></tr>`).join("");
    const buttons = p.actions.map((a) => `<button type="button" data-step="${a}">${stepNames[a]}</button>`).join(" ");
    return `<b>问题 #${p.id}</b> ${escapeHTML(stateNames[p.state] || p.state)}${p.overdue ? " <b style='color:#7f0000'>逾期 overdue</b>" : ""}`
      + `<table><tr><td>图层</td><td>${escapeHTML(p.target.layer)}${p.target.key ? " · " + escapeHTML(p.target.key) : ""}</td></tr>`
      + `<tr><td>字段</td><td>${escapeHTML(p.field || "—")}</td></tr><tr><td>问题</td><td>${escapeHTML(p.description)}</td></tr>`
      + `<tr><td>建议值</td><td>${p.proposedValueMasked ? "（已脱敏 masked）" : escapeHTML(p.proposedValue || "—")}</td></tr>`
      + `<tr><td>责任部门</td><td>${escapeHTML(p.owner)}</td></tr><tr><td>报告部门</td><td>${escapeHTML(p.reporter)}</td></tr>`
      + `<tr><td>期限</td><td>${escapeHTML(p.deadline)}</td></tr></table>`
      + `<div class="sub">处理记录 history</div><table>${history}</table>`
      + (buttons ? `<div class="steps">${buttons}</div><textarea id="step-note" rows="2" placeholder="说明 note"></textarea>`
        + (p.actions.includes("correct") ? `<input id="step-version" placeholder="整改版本号 version id">` : "") : "");
  }

  async function showProblem(id) {
    const r = await fetch(`/problems/${id}`, { headers: authHeaders() });
    const p = await r.json();
    if (!r.ok) { info().textContent = p.description; return info().innerText; }
    info().innerHTML = problemHTML(p);
    for (const b of info().querySelectorAll("button[data-step]")) {
      b.addEventListener("click", () => takeStep(p.id, b.dataset.step));
    }
    return info().innerText;
  }

  async function takeStep(id, action, note, version) {
    const body = {};
    const n = note ?? (document.getElementById("step-note") || {}).value;
    const v = version ?? (document.getElementById("step-version") || {}).value;
    if (n) body.note = n;
    if (action === "correct" && v) body.version = Number(v);
    const r = await fetch(`/problems/${id}/${action}`, { method: "POST", headers: authHeaders({ "Content-Type": "application/json" }), body: JSON.stringify(body) });
    const doc = await r.json();
    if (!r.ok) { info().textContent = doc.description; return { status: r.status, text: info().innerText }; }
    await refresh();
    const text = await showProblem(id);
    return { status: r.status, state: doc.state, text };
  }

  // 报告问题: a form under a building's attributes.
  function reportForm(layer, id, fields) {
    const options = fields.map((f) => `<option value="${escapeHTML(f)}">${escapeHTML(f)}</option>`).join("");
    return `<div class="report"><div class="sub">报告问题 report a problem</div>`
      + `<select id="problem-field"><option value="">（整条记录 the whole record）</option>${options}</select>`
      + `<textarea id="problem-description" rows="2" placeholder="问题描述 what is wrong"></textarea>`
      + `<input id="problem-value" placeholder="建议值 proposed value">`
      + `<select id="problem-priority"><option value="normal">一般 normal</option><option value="high">较急 high</option>`
      + `<option value="urgent">紧急 urgent</option><option value="low">不急 low</option></select>`
      + `<button type="button" id="problem-submit" data-layer="${escapeHTML(layer)}" data-id="${id}">提交 file</button></div>`;
  }

  async function fileProblem(layer, id, description, field, proposedValue, priority) {
    const body = { layer, id, description, priority: priority || "normal" };
    if (field) body.field = field;
    if (proposedValue) body.proposedValue = proposedValue;
    const r = await fetch("/problems", { method: "POST", headers: authHeaders({ "Content-Type": "application/json" }), body: JSON.stringify(body) });
    const doc = await r.json();
    if (!r.ok) { info().textContent = doc.description; return { status: r.status, text: info().innerText }; }
    await refresh();
    return { status: r.status, id: doc.id, text: await showProblem(doc.id) };
  }

  // Clicks on problems come first; a building's panel (drawn by viewer.js) gets the form.
  map.on("click", (e) => {
    const hit = map.getLayer("problems-circle") && map.queryRenderedFeatures(e.point, { layers: ["problems-circle"] });
    if (hit && hit.length) { showProblem(hit[0].properties.id); return; }
    const b = map.queryRenderedFeatures(e.point, { layers: ["buildings-fill"] });
    if (!b.length || b[0].id === undefined) return;
    setTimeout(() => {
      info().insertAdjacentHTML("beforeend", reportForm("buildings", b[0].id, Object.keys(b[0].properties)));
      document.getElementById("problem-submit").addEventListener("click", () => fileProblem(
        "buildings", b[0].id, document.getElementById("problem-description").value, document.getElementById("problem-field").value,
        document.getElementById("problem-value").value, document.getElementById("problem-priority").value));
    }, 0);
  });

  // For tests and the console.
  window.onemapProblems = { refresh, showProblem, takeStep, fileProblem, reportForm };
})();
