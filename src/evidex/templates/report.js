// The evidence report's behaviour: filters, the map's counts, and the paged finding lists.
// Plain JavaScript, no library; all data is in the page. State lives in the URL hash
// (#design=rct,cohort&organism=human&cell=2-0&dir=decrease&page=1), so a view can be linked.
"use strict";
(function () {
  const SYMBOL = { increase: "▲", decrease: "▼", no_difference: "=", achieved: "✓" };
  const PAGE_SIZE = 25;
  const map = JSON.parse(document.getElementById("evidex-map").textContent);
  const DIRS = map.directions;
  const state = { designs: new Set(map.designs), organisms: new Set(map.organisms), cell: null, direction: null, page: 0 };
  const $ = (sel) => document.querySelector(sel);
  const cells = Array.from(document.querySelectorAll("#evidence-map td[data-cell]"));
  let detailPromise = null;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else node.setAttribute(k, v);
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }
  const fmt = (n) => n.toLocaleString("en");
  const nice = (s) => s.replace(/_/g, " ");

  // The detail rows: plain JSON, or gzip + base64 unpacked by the browser itself.
  function loadDetail() {
    if (!detailPromise) {
      detailPromise = (async () => {
        const node = document.getElementById("evidex-detail");
        if (node.dataset.encoding === "json") return JSON.parse(node.textContent);
        if (typeof DecompressionStream === "undefined") throw new Error("this browser cannot unpack the finding lists (no DecompressionStream)");
        const bin = atob(node.textContent.trim());
        const bytes = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
        const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
        return JSON.parse(await new Response(stream).text());
      })();
      detailPromise.then(() => { document.documentElement.dataset.detail = "ready"; },
                         (err) => { document.documentElement.dataset.detail = "failed"; console.error(err); });
    }
    return detailPromise;
  }

  const active = (g, s) => state.designs.has(map.designs[g]) && state.organisms.has(map.organisms[s]);

  // Findings and documents per cell and direction under the filters. A document has one design
  // and one organism, so adding the per-design/organism counts counts each document once.
  function tally() {
    const out = new Map();
    const get = (t, o) => {
      const key = t + "-" + o;
      if (!out.has(key)) out.set(key, { f: new Array(DIRS.length).fill(0), d: new Array(DIRS.length).fill(0), docs: 0, total: 0 });
      return out.get(key);
    };
    for (const [t, o, g, s, dir, f, d] of map.counts) {
      if (!active(g, s)) continue;
      const c = get(t, o);
      c.f[dir] += f; c.d[dir] += d; c.total += f;
    }
    for (const [t, o, g, s, docs] of map.cellDocs) if (active(g, s)) get(t, o).docs += docs;
    return out;
  }

  function renderFilters() {
    for (const input of document.querySelectorAll("#filters input[name=design]")) input.checked = state.designs.has(input.value);
    for (const input of document.querySelectorAll("#filters input[name=organism]")) input.checked = state.organisms.has(input.value);
    const byDesign = new Array(map.designs.length).fill(0), byOrganism = new Array(map.organisms.length).fill(0);
    let docs = 0;
    for (const [g, s, n] of map.pairDocs) {
      if (state.organisms.has(map.organisms[s])) byDesign[g] += n;
      if (state.designs.has(map.designs[g])) byOrganism[s] += n;
      if (active(g, s)) docs += n;
    }
    map.designs.forEach((d, i) => { document.querySelector(`[data-count-design="${d}"]`).textContent = "(" + fmt(byDesign[i]) + ")"; });
    map.organisms.forEach((s, i) => { document.querySelector(`[data-count-organism="${s}"]`).textContent = "(" + fmt(byOrganism[i]) + ")"; });
    return docs;
  }

  function renderMap() {
    const docs = renderFilters();
    const counts = tally();
    let max = 0, findings = 0;
    counts.forEach((c) => { max = Math.max(max, c.total); findings += c.total; });
    $("#filter-summary").textContent = `${fmt(findings)} findings in ${fmt(docs)} documents`;
    $("#filter-summary").dataset.findings = findings;
    $("#filter-summary").dataset.documents = docs;
    const rowHas = new Set();
    for (const td of cells) {
      const c = counts.get(td.dataset.cell);
      td.replaceChildren();
      td.classList.remove("open");
      if (!c || !c.total) {
        td.className = "empty";
        td.removeAttribute("data-findings"); td.removeAttribute("data-docs"); td.removeAttribute("title");
        td.tabIndex = -1;
        continue;
      }
      rowHas.add(td.dataset.cell.split("-")[0]);
      td.className = "filled";
      td.tabIndex = 0;
      td.dataset.findings = c.total;
      td.dataset.docs = c.docs;
      td.style.setProperty("--heat", Math.sqrt(c.total / max).toFixed(3));
      td.title = `${c.total} findings in ${c.docs} documents`;
      DIRS.forEach((dir, i) => {
        if (!c.f[i]) return;
        td.append(el("span", { class: `chip dir-${dir}`, "data-dir": dir, "data-findings": c.f[i], "data-docs": c.d[i],
                               title: `${nice(dir)}: ${c.f[i]} findings in ${c.d[i]} documents` },
                     `${SYMBOL[dir]} ${fmt(c.f[i])}`, el("small", { text: ` (${fmt(c.d[i])})` })), " ");
      });
    }
    for (const tr of document.querySelectorAll("#evidence-map tbody tr")) tr.classList.toggle("none", !rowHas.has(tr.dataset.t));
    if (state.cell) {
      const td = document.querySelector(`td[data-cell="${state.cell}"]`);
      if (td) td.classList.add("open");
    }
    return counts;
  }

  function writeHash() {
    const parts = [];
    if (state.designs.size !== map.designs.length) parts.push("design=" + [...state.designs].join(","));
    if (state.organisms.size !== map.organisms.length) parts.push("organism=" + [...state.organisms].join(","));
    if (state.cell) parts.push("cell=" + state.cell);
    if (state.cell && state.direction) parts.push("dir=" + state.direction);
    if (state.cell && state.page) parts.push("page=" + (state.page + 1));
    history.replaceState(null, "", parts.length ? "#" + parts.join("&") : location.pathname + location.search);
  }

  function readHash() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ""));
    const pick = (name, all) => params.has(name) ? new Set(params.get(name).split(",").filter((v) => all.includes(v))) : new Set(all);
    state.designs = pick("design", map.designs);
    state.organisms = pick("organism", map.organisms);
    state.cell = params.get("cell");
    state.direction = DIRS.includes(params.get("dir")) ? params.get("dir") : null;
    state.page = Math.max(0, (parseInt(params.get("page"), 10) || 1) - 1);
  }

  const isPmid = (id) => /^(?:PMID:?\s*)?\d{1,9}$/i.test(id);

  function sentenceNode(text, marks, kinds) {
    const spans = [];
    for (let i = 0; i < marks.length; i += 3) spans.push([marks[i + 1], marks[i + 2], kinds[marks[i]]]);
    spans.sort((a, b) => a[0] - b[0]);
    const p = el("p", { class: "sentence" });
    let at = 0;
    for (const [s, e, kind] of spans) {
      p.append(text.slice(at, s), el("mark", { class: "m-" + kind, title: nice(kind), text: text.slice(s, e) }));
      at = e;
    }
    p.append(text.slice(at));
    return p;
  }

  function findingNode(d, i) {
    const doc = d.doc[i], id = d.docs.id[doc], dir = DIRS[d.dir[i]];
    const link = isPmid(id) ? el("a", { href: `https://pubmed.ncbi.nlm.nih.gov/${id.replace(/\D/g, "")}/`, target: "_blank", rel: "noopener", text: "PMID " + id.replace(/\D/g, "") })
                            : el("span", { class: "doc-id", text: id });
    const meta = el("div", { class: "meta" }, el("span", { class: `badge dir-${dir}`, text: nice(dir) }), link,
                    d.docs.title[doc] ? " · " + d.docs.title[doc] : "",
                    ` · ${nice(map.designs[d.g[i]])} · ${nice(map.organisms[d.s[i]])}`,
                    d.docs.year[doc] ? ` · ${d.docs.year[doc]}` : "");
    const facts = el("div", { class: "facts" });
    for (const [key, name] of [["therapy", "therapy"], ["outcome", "outcome"], ["value", "value"], ["timepoint", "time"],
                               ["sample_size", "n"], ["p_value", "p"], ["comparator", "vs"]]) {
      if (d[key][i]) facts.append(el("b", { text: name + " " }), d[key][i], "  ·  ");
    }
    facts.append(el("b", { text: "confidence " }), (d.conf[i] / 1000).toFixed(2));
    return el("li", { class: "finding", "data-doc": id, "data-dir": dir, "data-row": i }, meta,
              sentenceNode(d.sentences[d.sent[i]], d.marks[i], d.markKinds), facts);
  }

  async function renderDetail() {
    const section = $("#detail");
    if (!state.cell) { section.hidden = true; return; }
    const [t, o] = state.cell.split("-").map(Number);
    const therapy = map.therapies[t], outcome = map.outcomes[o];
    if (!therapy || !outcome) { state.cell = null; section.hidden = true; return; }
    section.hidden = false;
    section.dataset.cell = state.cell;
    $("#detail-title").textContent = `${therapy.label} × ${outcome.label}`;
    const list = $("#detail-list");
    list.replaceChildren(el("li", { class: "loading", text: "Loading findings…" }));
    section.dataset.state = "loading";
    let d;
    try { d = await loadDetail(); } catch (err) { list.replaceChildren(el("li", { class: "warn", text: String(err.message || err) })); return; }
    const range = d.ranges[state.cell] || [0, 0];
    const perDir = new Array(DIRS.length).fill(0), rows = [];
    for (let i = range[0]; i < range[1]; i++) {
      if (!active(d.g[i], d.s[i])) continue;
      perDir[d.dir[i]] += 1;
      if (state.direction === null || DIRS[d.dir[i]] === state.direction) rows.push(i);
    }
    const buttons = [el("button", { type: "button", "data-dir": "", "aria-pressed": String(state.direction === null), text: `all (${fmt(perDir.reduce((a, b) => a + b, 0))})` })];
    DIRS.forEach((dir, k) => { if (perDir[k]) buttons.push(" ", el("button", { type: "button", "data-dir": dir, "aria-pressed": String(state.direction === dir), class: `dir-${dir}`, text: `${SYMBOL[dir]} ${nice(dir)} (${fmt(perDir[k])})` })); });
    $("#detail-directions").replaceChildren(...buttons);
    const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
    state.page = Math.min(state.page, pages - 1);
    const first = state.page * PAGE_SIZE, shown = rows.slice(first, first + PAGE_SIZE);
    const counted = tally().get(state.cell);
    const total = counted ? (state.direction === null ? counted.total : counted.f[DIRS.indexOf(state.direction)]) : 0;
    $("#detail-range").textContent = rows.length
      ? `Findings ${fmt(first + 1)}–${fmt(first + shown.length)} of ${fmt(rows.length)}, most confident first (page ${state.page + 1} of ${pages})`
        + (total > rows.length ? `; ${fmt(total - rows.length)} more are counted but were not kept with their sentences` : "")
      : "No findings here under the current filters.";
    $("#detail-range").dataset.total = rows.length;
    list.replaceChildren(...shown.map((i) => findingNode(d, i)));
    list.start = first + 1;
    $("#detail-pager [data-page=prev]").disabled = state.page === 0;
    $("#detail-pager [data-page=next]").disabled = state.page >= pages - 1;
    section.dataset.state = "ready";
  }

  function update() { renderMap(); writeHash(); return renderDetail(); }

  // Events.
  $("#filters").addEventListener("change", (ev) => {
    const input = ev.target;
    const set = input.name === "design" ? state.designs : state.organisms;
    if (input.checked) set.add(input.value); else set.delete(input.value);
    state.page = 0;
    update();
  });
  $("#filter-reset").addEventListener("click", () => {
    state.designs = new Set(map.designs); state.organisms = new Set(map.organisms); state.page = 0;
    update();
  });
  $("#evidence-map").addEventListener("click", (ev) => {
    const td = ev.target.closest("td[data-cell]");
    if (!td || !td.classList.contains("filled")) return;
    state.cell = td.dataset.cell;
    state.direction = null;
    state.page = 0;
    update().then(() => $("#detail").scrollIntoView({ block: "nearest" }));
  });
  $("#evidence-map").addEventListener("keydown", (ev) => {
    if ((ev.key === "Enter" || ev.key === " ") && ev.target.matches("td.filled")) { ev.preventDefault(); ev.target.click(); }
  });
  $("#detail-directions").addEventListener("click", (ev) => {
    const button = ev.target.closest("button[data-dir]");
    if (!button) return;
    state.direction = button.dataset.dir || null; state.page = 0;
    update();
  });
  $("#detail-pager").addEventListener("click", (ev) => {
    const button = ev.target.closest("button[data-page]");
    if (!button || button.disabled) return;
    state.page += button.dataset.page === "next" ? 1 : -1;
    update();
  });
  window.addEventListener("hashchange", () => { readHash(); renderMap(); renderDetail(); });

  readHash();
  renderMap();
  document.body.dataset.ready = "map";
  renderDetail();
  setTimeout(loadDetail, 0);  // unpack the finding lists while the reader looks at the map
})();
