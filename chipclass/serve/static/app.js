// chipclass serve: the page's own script. It never evaluates data: answers arrive as HTML the
// server escaped, or as JSON whose strings are put into the page with textContent, and into
// plotly with its HTML-like characters escaped (plotly reads <b>, <br> ... in its text).
"use strict";

function plain(text) {  // a string shown by plotly exactly as written
  return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function withData(url) {
  const token = new URLSearchParams(location.search).get("data");
  if (!token) return url;
  return url + (url.includes("?") ? "&" : "?") + "data=" + encodeURIComponent(token);
}

// ---- upload (every page that has the widget) -------------------------------------------
function setupUpload() {
  const input = document.getElementById("upload-file");
  if (!input) return;
  const message = document.getElementById("upload-message");
  input.addEventListener("change", async () => {
    const file = input.files[0];
    if (!file) return;
    message.textContent = "reading " + file.name + " …";
    try {
      const resp = await fetch("/upload", {method: "POST", body: file,
        headers: {"X-Filename": encodeURIComponent(file.name), "Content-Type": "application/octet-stream"}});
      const body = await resp.json();
      if (!resp.ok || body.error) { message.textContent = body.error || ("upload failed: " + resp.status); return; }
      const params = new URLSearchParams(location.search);
      params.set("data", body.token);
      location.search = params.toString();
    } catch (err) {
      message.textContent = "upload failed: " + err;
    }
  });
}

// ---- design ---------------------------------------------------------------------------
function drawEnvelope() {  // the envelope chart: data from an attribute, parsed as JSON (never run)
  const box = document.getElementById("envelope-plot");
  if (!box || typeof Plotly === "undefined") return;
  const c = JSON.parse(box.dataset.chart);
  const traces = c.pieces.map((p, k) => ({type: "scatter", mode: "lines", fill: "toself", x: p.x, y: p.y,
    name: k ? "" : plain("keeps " + c.target), showlegend: k === 0, hoverinfo: "x+y",
    line: {color: "#1f3a93", width: 1.5}, fillcolor: "rgba(31,58,147,0.15)"}));
  traces.push({type: "scatter", mode: "markers", x: [c.base[0]], y: [c.base[1]], name: "this design",
    marker: {color: "#d62728", size: 10, symbol: "x"}});
  if (c.nearest) traces.push({type: "scatter", mode: "markers", x: [c.nearest[0]], y: [c.nearest[1]],
    name: "nearest point", marker: {color: "#2ca02c", size: 10, symbol: "diamond"}});
  Plotly.react(box, traces, {height: 320, margin: {l: 60, r: 10, t: 10, b: 45},
    xaxis: {title: {text: plain(c.free[0])}}, yaxis: {title: {text: plain(c.free[1])}},
    legend: {orientation: "h", y: -0.25}}, {displaylogo: false, responsive: true});
}

function setupDesign() {
  const form = document.getElementById("design-form");
  if (!form) return;
  const answer = document.getElementById("answer");
  let seq = 0, timer = null;
  async function update() {
    const mine = ++seq;
    const body = new URLSearchParams(new FormData(form));
    answer.setAttribute("aria-busy", "true");
    try {
      const resp = await fetch("/api/design", {method: "POST", body: body});
      const html = await resp.text();
      if (mine !== seq) return;  // a newer change is on its way
      answer.innerHTML = html;   // server-rendered, every value escaped
      drawEnvelope();
      const keep = new URLSearchParams();
      for (const [k, v] of body) if (v) keep.append(k, v);
      history.replaceState(null, "", "/design?" + keep.toString());
    } finally {
      if (mine === seq) answer.setAttribute("aria-busy", "false");
    }
  }
  form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(update, 120); });
  form.addEventListener("change", () => { clearTimeout(timer); timer = setTimeout(update, 10); });
  form.addEventListener("submit", (e) => { e.preventDefault(); update(); });
  drawEnvelope();
}

// ---- map ------------------------------------------------------------------------------
const DAY = 86400000;

function isoDay(ms) { return new Date(ms).toISOString().slice(0, 10); }

function deviceTraces(points, colours, names, yaxis, ys) {
  const traces = [];
  const groups = {};
  points.name.forEach((n, k) => {
    const key = points.label[k] + (points.datacenter[k] ? "" : " (not datacenter)");
    (groups[key] = groups[key] || []).push(k);
  });
  for (const [key, idx] of Object.entries(groups)) {
    const label = points.label[idx[0]];
    const colour = colours[names.indexOf(label)] || "#2ca02c";
    traces.push({type: "scatter", mode: "markers", name: plain(key), yaxis: yaxis, showlegend: yaxis === "y",
      x: idx.map((k) => points.tpp[k]), y: idx.map((k, j) => ys ? ys[k] : points.pd[k]),
      text: idx.map((k) => plain(points.name[k]) + "<br>" + plain(points.eccn[k] || points.label[k])),
      customdata: idx.map((k) => points.name[k]),
      hovertemplate: "%{text}<br>TPP %{x:,.0f}" + (ys ? "" : "<br>PD %{y:.3g}") + "<extra></extra>",
      marker: {color: colour, size: 8, symbol: points.datacenter[idx[0]] ? "circle" : "triangle-up",
        line: {color: "#222", width: 0.7}}});
  }
  return traces;
}

function regionLegend(r, strip) {  // one legend entry per region present on the grid or the strip
  const present = new Set(r.z.flat().concat(strip.z));
  return r.names.filter((n, k) => present.has(k)).map((n) => ({type: "scatter", mode: "markers", x: [null], y: [null],
    name: "region: " + plain(n), hoverinfo: "skip",
    marker: {symbol: "square", size: 14, color: r.colours[r.names.indexOf(n)], opacity: 0.45}}));
}

function regionTraces(p) {
  const r = p.regions;
  const scale = [];
  r.colours.forEach((c, k) => { const lo = k / r.colours.length, hi = (k + 1) / r.colours.length;
    scale.push([lo, c], [hi, c]); });
  const zmax = r.colours.length - 0.5;
  const common = {type: "heatmap", colorscale: scale, zmin: -0.5, zmax: zmax, showscale: false,
    opacity: 0.28, hoverinfo: "skip"};
  return [
    {...common, x: r.x, y: r.y, z: r.z, name: "regions"},
    {...common, x: p.strip.x, y: [0, 1], z: [p.strip.z, p.strip.z], yaxis: "y2", name: "strip"},
    {type: "contour", x: r.x, y: r.y, z: r.differs, showscale: false, hoverinfo: "skip", name: "non-datacenter",
      contours: {start: 0.5, end: 0.5, size: 1, coloring: "none"}, line: {color: "#444", dash: "dot", width: 1.2},
      showlegend: true},
  ];
}

function setupMap() {
  const box = document.getElementById("map-controls");
  if (!box || typeof Plotly === "undefined") return;
  const slider = document.getElementById("date-slider"), label = document.getElementById("date-label");
  const first = Date.parse(box.dataset.first), today = Date.parse(box.dataset.today);
  slider.max = String(Math.round((today - first) / DAY));
  slider.value = slider.max;
  const ticks = document.createElement("datalist");  // a tick on each day the rule data changes
  ticks.id = "rule-days";
  for (const day of box.dataset.dates.split(" ").filter(Boolean)) {
    const option = document.createElement("option");
    option.value = String(Math.round((Date.parse(day) - first) / DAY));
    option.label = day;
    ticks.appendChild(option);
  }
  box.appendChild(ticks);
  slider.setAttribute("list", "rule-days");
  const state = {payload: null, sweep: null, envelope: null};
  const errorLine = document.getElementById("map-error");

  function layout(p) {
    const decades = (lo, hi) => [Math.log10(lo), Math.log10(hi)];
    return {margin: {l: 70, r: 20, t: 40, b: 40}, height: 700, dragmode: "zoom", hovermode: "closest",
      title: {text: plain("Regions as of " + p.as_of + " — rule set " + p.rule_set), font: {size: 14}},
      xaxis: {type: "log", range: decades(...p.tpp_range), anchor: "y2", title: {text: "TPP (dense TOPS or TFLOPS × bit length)"}},
      yaxis: {type: "log", range: decades(...p.pd_range), domain: [0.2, 1], title: {text: "performance density (TPP per mm²)"}},
      yaxis2: {domain: [0, 0.13], range: [0, 1], showticklabels: false, title: {text: "TPP only", font: {size: 11}}},
      legend: {orientation: "h", y: -0.1, yanchor: "top"}, uirevision: "keep"};
  }

  function draw() {
    const p = state.payload;
    const r = p.regions;
    let traces = regionTraces(p).concat(regionLegend(r, p.strip));
    traces = traces.concat(deviceTraces(p.devices, r.colours, r.names, "y", null));
    const ys = p.tpp_only.name.map((n, k) => 0.2 + 0.3 * (k % 3));
    traces = traces.concat(deviceTraces(p.tpp_only, r.colours, r.names, "y2", ys));
    if (state.sweep) traces.push({type: "heatmap", name: "sweep", x: state.sweep.x, y: state.sweep.y,
      z: state.sweep.z, zmin: 1, colorscale: "Blues", opacity: 0.6, hoverongaps: false,
      hovertemplate: "%{z:,} variants<extra>sweep</extra>",
      colorbar: {title: {text: "variants"}, len: 0.35, y: 0.75, thickness: 12}});
    if (state.envelope) state.envelope.forEach((poly, k) => traces.push({type: "scatter", mode: "lines", fill: "toself",
      name: k ? "" : "envelope", showlegend: k === 0, x: poly.map((q) => q[0]), y: poly.map((q) => q[1]),
      line: {color: "#1f3a93", width: 2}, fillcolor: "rgba(31,58,147,0.12)", hoverinfo: "skip"}));
    Plotly.react("map-plot", traces, layout(p), {responsive: true, displaylogo: false});
    drawHbm(p);
    document.getElementById("rule-set").textContent = p.citation;
    document.getElementById("not-placed").textContent = p.not_placed.length
      ? "Not on the axes (no throughput): " + p.not_placed.join(", ") : "";
  }

  function hbmRange(values) {
    const v = values.filter((x) => x > 0);
    if (!v.length) return [0, 1];
    return [Math.log10(Math.min(...v) / 1.25), Math.log10(Math.max(...v) * 1.25)];
  }

  function drawHbm(p) {
    const h = p.hbm, r = p.regions;
    const traces = deviceTraces({...h, tpp: h.mbd}, r.colours, r.names, "y", h.name.map((n, k) => k % 4));
    traces.forEach((t) => { t.hovertemplate = "%{text}<br>MBD %{x:.3g} GB/s/mm²<extra></extra>"; t.showlegend = false; });
    const shapes = p.hbm_thresholds.map((x) => ({type: "line", x0: x, x1: x, y0: -0.5, y1: 3.5,
      line: {color: "#9467bd", width: 2, dash: "dash"}}));
    Plotly.react("hbm-plot", traces, {height: 190, margin: {l: 70, r: 20, t: 30, b: 40}, shapes: shapes,
      title: {text: "HBM stacks: memory bandwidth density (3A090.c threshold dashed)", font: {size: 12}},
      xaxis: {type: "log", range: hbmRange(h.mbd.concat(p.hbm_thresholds)), title: {text: "GB/s per mm² of package"}}, yaxis: {visible: false, range: [-0.8, 3.8]}},
      {responsive: true, displaylogo: false});
  }

  async function load() {
    const day = isoDay(first + Number(slider.value) * DAY);
    label.textContent = day;
    const resp = await fetch(withData("/api/map?date=" + day));
    const body = await resp.json();
    if (body.error) { errorLine.textContent = body.error; return; }
    errorLine.textContent = "";
    if (day !== isoDay(first + Number(slider.value) * DAY)) return;  // the slider moved on
    state.payload = body;
    draw();
  }

  let timer = null;
  slider.addEventListener("input", () => {
    label.textContent = isoDay(first + Number(slider.value) * DAY);
    clearTimeout(timer); timer = setTimeout(load, 80);
  });

  document.getElementById("map-search").addEventListener("change", (e) => {
    const want = e.target.value, out = document.getElementById("search-result");
    const p = state.payload; if (!p) return;
    for (const [set, yaxis] of [[p.devices, "y"], [p.tpp_only, "y2"]]) {
      const k = set.name.indexOf(want);
      if (k >= 0) {
        const y = yaxis === "y" ? set.pd[k] : 0.5;
        Plotly.relayout("map-plot", {annotations: [{x: Math.log10(set.tpp[k]), y: yaxis === "y" ? Math.log10(y) : y,
          yref: yaxis, text: plain(want), showarrow: true, arrowhead: 2, bgcolor: "#fff"}]});
        out.textContent = want + ": TPP " + Math.round(set.tpp[k]).toLocaleString() + ", " + (set.eccn[k] || set.label[k]);
        return;
      }
    }
    const h = p.hbm.name.indexOf(want);
    out.textContent = h >= 0 ? want + ": HBM stack, in the panel below" : want + ": not on the map (no throughput)";
  });

  document.getElementById("sweep-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const msg = document.getElementById("sweep-message");
    const params = new URLSearchParams(new FormData(e.target));
    params.set("date", label.textContent);
    msg.textContent = "sweeping …";
    const body = await (await fetch(withData("/api/sweep?" + params.toString()))).json();
    if (body.error) { msg.textContent = body.error; return; }
    msg.textContent = body.n.toLocaleString() + " variants, " + body.placed.toLocaleString() + " on the axes";
    state.sweep = body; draw();
  });
  document.getElementById("envelope-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const msg = document.getElementById("envelope-message");
    const params = new URLSearchParams(new FormData(e.target));
    params.set("as_of", label.textContent);
    const body = await (await fetch(withData("/api/envelope"), {method: "POST", body: params})).json();
    if (body.error) { msg.textContent = body.error; return; }
    msg.textContent = body.polygons.length + " piece(s)";
    state.envelope = body.polygons; draw();
  });
  document.getElementById("clear-button").addEventListener("click", () => {
    state.sweep = null; state.envelope = null; draw();
  });
  load();
}

document.addEventListener("DOMContentLoaded", () => {
  setupUpload();
  setupDesign();
  setupMap();
});
