// The page: talks to the JSON API of `wordvec explore` (POST /api/NAME, runs addressed by index).
import { MapView, drawLoss } from "./map.js";

const $ = (id) => document.getElementById(id);
const state = { runs: [], run: 0, compare: new Set(), limit: 2000, maxK: 1000, lastQuery: null };

async function api(name, body = {}) {
  const response = await fetch(`api/${name}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  let data;
  try {
    data = await response.json();
  } catch {
    throw new Error(`the server answered ${response.status} without JSON`);
  }
  if (!response.ok) {
    const error = new Error(data.error || `HTTP ${response.status}`);
    error.unknown = Boolean(data.unknown);
    throw error;
  }
  return data;
}

function say(id, text, isError = false) {
  const el = $(id);
  el.textContent = text;
  el.classList.toggle("error", isError);
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const c of children) node.append(c);
  return node;
}

function kValue() {
  const k = Math.round(Number($("k").value));
  return Number.isFinite(k) ? Math.min(Math.max(k, 1), Math.min(100, state.maxK)) : 10;
}

function resultList(pairs, shared = new Set()) {
  const best = Math.max(1e-9, ...pairs.map((p) => Math.abs(p.score)));
  const ol = el("ol", { className: "results" });
  for (const { word, score } of pairs) {
    const li = el("li", { className: shared.has(word) ? "shared" : "", title: `search ${word}` },
      el("span", { className: "word", textContent: word }),
      el("span", { className: "score", textContent: score.toFixed(3) }),
      el("span", { className: "bar" }));
    li.dataset.word = word;
    li.querySelector(".bar").style.width = `${Math.max(0, (score / best) * 100)}%`;
    li.addEventListener("click", () => search(word));
    ol.append(li);
  }
  return ol;
}

// --- runs and facts ----------------------------------------------------------------------------------------
function fmt(v) {
  if (v === null || v === undefined) return "—";
  if (typeof v === "number") return Number.isInteger(v) ? v.toLocaleString("en") : String(Number(v.toPrecision(4)));
  return String(v);
}

function showFacts() {
  const run = state.runs[state.run];
  const f = run.facts;
  const rows = f.kind === "run"
    ? [["run", run.name], ["preset", f.preset], ["model", `${f.model} / ${f.loss}`], ["vocabulary", f.vocab_size],
       ["tokens", f.tokens], ["dimensions", f.vector_size], ["epochs", f.epochs], ["final loss", f.final_loss],
       ["tokenizer", f.tokenizer], ["train seconds", f.train_seconds]]
    : [["file", run.name], ["vocabulary", f.vocab_size], ["dimensions", f.vector_size], ["tokenizer", f.tokenizer]];
  const dl = $("facts");
  dl.replaceChildren(...rows.flatMap(([k, v]) => [el("dt", { textContent: k }), el("dd", { textContent: fmt(v) })]));
  $("loss").hidden = f.kind !== "run";
  if (f.kind === "run") {
    drawLoss($("loss"), [{ name: "train", values: f.epoch_losses, color: "#e4572e" },
                         { name: "held-out", values: f.heldout_losses, color: "#2f6fdf" }]);
  }
}

function showRunsPicker() {
  const picker = $("runs-picker");
  if (state.runs.length < 2) return;
  picker.hidden = false;
  picker.replaceChildren(el("span", { textContent: "compare:" }), ...state.runs.map((r) => {
    const box = el("input", { type: "checkbox", checked: true, value: String(r.index) });
    box.addEventListener("change", () => {
      box.checked ? state.compare.add(r.index) : state.compare.delete(r.index);
      if (state.lastQuery) search(state.lastQuery);
    });
    return el("label", {}, box, ` ${r.name}`);
  }), el("span", { className: "legend-shared", textContent: "in two runs or more" }));
  state.runs.forEach((r) => state.compare.add(r.index));
}

// --- neighbours --------------------------------------------------------------------------------------------
async function search(word) {
  word = word.trim();
  if (!word) return;
  $("search").value = word;
  state.lastQuery = word;
  const k = kValue();
  const runs = state.runs.length > 1 ? [...state.compare].sort((a, b) => a - b) : [state.run];
  if (!runs.length) runs.push(state.run);
  try {
    const data = await api("compare", { word, k, runs });
    const shared = new Set(state.runs.length > 1 ? data.shared : []);
    const columns = data.columns.map((c) => {
      const col = el("div", { className: "column" });
      col.dataset.run = String(c.run);
      const name = state.runs[c.run].name;
      if (c.error) {
        col.append(el("h3", { textContent: name }), el("p", { className: "message error", textContent: c.error }));
      } else {
        const head = el("h3", { textContent: name });
        if (c.token !== word) head.append(el("span", { className: "token", textContent: ` → ${c.token}` }));
        col.append(head, resultList(c.neighbors, shared));
      }
      return col;
    });
    $("neighbors").replaceChildren(...columns);
    const mine = data.columns.find((c) => c.run === state.run) || data.columns[0];
    const errors = data.columns.filter((c) => c.error).length;
    if (mine && !mine.error) {
      const onMap = map.highlight(mine.token, mine.neighbors.map((p) => p.word));
      say("search-message", `${mine.neighbors.length} neighbours of ${mine.token}; ${onMap} of them on the map` +
        (data.columns.length > 1 ? `; ${data.shared.length} shared by two runs or more` : ""));
    } else {
      map.highlight(null, []);
      say("search-message", `no neighbours for ${word}` + (data.columns.length > 1 ? " in this run" : ""), true);
    }
  } catch (e) {
    $("neighbors").replaceChildren();
    say("search-message", e.message, true);
  }
}

let completeTimer = null, completeSeq = 0;
function complete() {
  clearTimeout(completeTimer);
  completeTimer = setTimeout(async () => {
    const prefix = $("search").value.trim();
    const seq = ++completeSeq;
    if (!prefix) return $("completions").replaceChildren();
    try {
      const data = await api("complete", { run: state.run, prefix: prefix.slice(0, 100), n: 12 });
      if (seq !== completeSeq) return;
      $("completions").replaceChildren(...data.words.map((w) => el("option", { value: w })));
    } catch (e) {
      say("search-message", e.message, true);
    }
  }, 80);
}

// --- analogy, similarity, doesn't match --------------------------------------------------------------------
async function analogy() {
  const [a, b, c] = ["analogy-a", "analogy-b", "analogy-c"].map((id) => $(id).value.trim());
  if (!a || !b || !c) return say("analogy-message", "fill in the three words: a − b + c", true);
  try {
    const data = await api("analogy", { run: state.run, positive: [a, c], negative: [b], k: kValue() });
    say("analogy-message", `${data.tokens[0]} − ${data.tokens[2]} + ${data.tokens[1]} ≈`);
    $("analogy-results").replaceWith(Object.assign(resultList(data.results), { id: "analogy-results" }));
  } catch (e) {
    $("analogy-results").replaceChildren();
    say("analogy-message", e.message, true);
  }
}

async function similarity() {
  const a = $("sim-a").value.trim(), b = $("sim-b").value.trim();
  if (!a || !b) return say("similarity-result", "type two words", true);
  try {
    const data = await api("similarity", { run: state.run, a, b });
    say("similarity-result", `cos(${data.tokens[0]}, ${data.tokens[1]}) = ${data.similarity.toFixed(3)}`);
  } catch (e) {
    say("similarity-result", e.message, true);
  }
}

async function oddOne() {
  const words = $("odd-words").value.split(/[\s,]+/).filter(Boolean).slice(0, 20);
  if (words.length < 3) return say("odd-result", "type three words or more", true);
  try {
    const data = await api("doesnt_match", { run: state.run, words });
    say("odd-result", `odd one: ${data.odd_one}` + (data.unknown.length ? ` (unknown: ${data.unknown.join(", ")})` : ""));
  } catch (e) {
    say("odd-result", e.message, true);
  }
}

// --- map ---------------------------------------------------------------------------------------------------
const map = new MapView($("map"), $("tooltip"), { onPick: (w) => search(w) });

async function loadMap() {
  const n = Math.min(Math.max(1, Math.round(Number($("map-n").value)) || state.limit), state.limit);
  $("map-n").value = String(n);
  say("map-info", "computing…");
  try {
    const t = performance.now();
    const data = await api("map", { run: state.run, method: $("method").value, n });
    map.setData(data.words, data.x, data.y);
    $("map-n").value = String(data.words.length);
    say("map-info", `${data.words.length.toLocaleString("en")} words, ${Math.round(performance.now() - t)} ms`);
    if (state.lastQuery) search(state.lastQuery);
  } catch (e) {
    say("map-info", e.message, true);
  }
}

// --- start -------------------------------------------------------------------------------------------------
async function start() {
  const info = await api("runs");
  state.runs = info.runs;
  state.limit = info.limit;
  state.maxK = info.max_k;
  $("map-n").max = String(info.limit);
  $("map-n").value = String(info.limit);
  $("run").replaceChildren(...info.runs.map((r) => el("option", { value: String(r.index), textContent: r.name })));
  $("method").replaceChildren(...info.methods.map((m) => el("option", { value: m, textContent: m.toUpperCase() })));
  $("run").addEventListener("change", () => { state.run = Number($("run").value); showFacts(); loadMap(); });
  $("method").addEventListener("change", loadMap);
  $("map-n").addEventListener("change", loadMap);
  $("map-reset").addEventListener("click", () => map.resetView());
  $("search").addEventListener("input", complete);
  $("search-form").addEventListener("submit", (e) => { e.preventDefault(); search($("search").value); });
  $("analogy-form").addEventListener("submit", (e) => { e.preventDefault(); analogy(); });
  $("similarity-form").addEventListener("submit", (e) => { e.preventDefault(); similarity(); });
  $("odd-form").addEventListener("submit", (e) => { e.preventDefault(); oddOne(); });
  showRunsPicker();
  showFacts();
  await loadMap();
  document.body.dataset.ready = "true";
}

window.explore = { map, search, state };
start().catch((e) => say("status", e.message, true));
