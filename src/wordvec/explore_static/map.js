// The 2-D map: thousands of points on one canvas (no DOM node per point), zoom around the cursor, drag to pan,
// hover for the word, the query and its neighbours highlighted. No dependencies.

const HOT = "#e4572e", NEAR = "#2f6fdf", DOT = "rgba(60, 70, 90, 0.35)", LABEL = "#1d2330";

export class MapView {
  constructor(canvas, tooltip, { onPick } = {}) {
    this.canvas = canvas;
    this.tooltip = tooltip;
    this.onPick = onPick || (() => {});
    this.words = [];
    this.x = new Float32Array(0);
    this.y = new Float32Array(0);
    this.index = new Map();
    this.query = null;
    this.near = new Set();
    this.hover = -1;
    this.view = { scale: 1, dx: 0, dy: 0 };
    this.pending = false;
    this.drag = null;
    new ResizeObserver(() => this.redraw()).observe(canvas);
    canvas.addEventListener("wheel", (e) => this.onWheel(e), { passive: false });
    canvas.addEventListener("pointerdown", (e) => this.onDown(e));
    canvas.addEventListener("pointermove", (e) => this.onMove(e));
    canvas.addEventListener("pointerup", (e) => this.onUp(e));
    canvas.addEventListener("pointerleave", () => this.setHover(-1));
  }

  setData(words, x, y) {
    this.words = words;
    this.x = Float32Array.from(x);
    this.y = Float32Array.from(y);
    this.index = new Map(words.map((w, i) => [w, i]));
    this.hover = -1;
    this.redraw();
  }

  highlight(query, neighbours) {
    this.query = query;
    this.near = new Set(neighbours);
    this.redraw();
    return neighbours.filter((w) => this.index.has(w)).length;
  }

  resetView() {
    this.view = { scale: 1, dx: 0, dy: 0 };
    this.redraw();
  }

  // data [-1, 1] -> CSS pixels of the canvas
  base() {
    const w = this.canvas.clientWidth, h = this.canvas.clientHeight;
    return { w, h, s: (Math.min(w, h) / 2) * 0.92 * this.view.scale };
  }

  toScreen(i) {
    const { w, h, s } = this.base();
    return [w / 2 + this.view.dx + this.x[i] * s, h / 2 + this.view.dy - this.y[i] * s];
  }

  // Where a word is drawn, in page coordinates (null when it is not on the map): for tests and links.
  pagePoint(word) {
    const i = this.index.get(word);
    if (i === undefined) return null;
    const [px, py] = this.toScreen(i);
    const r = this.canvas.getBoundingClientRect();
    return { x: r.left + px, y: r.top + py };
  }

  nearest(px, py, radius = 8) {
    const { w, h, s } = this.base();
    const cx = w / 2 + this.view.dx, cy = h / 2 + this.view.dy;
    let best = -1, bestD = radius * radius;
    for (let i = 0; i < this.x.length; i++) {
      const dx = cx + this.x[i] * s - px, dy = cy - this.y[i] * s - py;
      const d = dx * dx + dy * dy;
      if (d < bestD) { bestD = d; best = i; }
    }
    return best;
  }

  local(e) {
    const r = this.canvas.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  }

  onWheel(e) {
    e.preventDefault();
    const [px, py] = this.local(e);
    const { w, h } = this.base();
    const f = Math.exp(-e.deltaY * 0.0015);
    const scale = Math.min(200, Math.max(0.1, this.view.scale * f));
    const k = scale / this.view.scale;
    // keep the data point under the cursor fixed
    this.view.dx = (px - w / 2) - (px - w / 2 - this.view.dx) * k;
    this.view.dy = (py - h / 2) - (py - h / 2 - this.view.dy) * k;
    this.view.scale = scale;
    this.redraw();
  }

  onDown(e) {
    this.canvas.setPointerCapture(e.pointerId);
    this.drag = { x: e.clientX, y: e.clientY, dx: this.view.dx, dy: this.view.dy, moved: false };
    this.canvas.classList.add("dragging");
  }

  onMove(e) {
    if (this.drag) {
      const mx = e.clientX - this.drag.x, my = e.clientY - this.drag.y;
      if (Math.abs(mx) + Math.abs(my) > 3) this.drag.moved = true;
      this.view.dx = this.drag.dx + mx;
      this.view.dy = this.drag.dy + my;
      this.redraw();
      return;
    }
    const [px, py] = this.local(e);
    this.setHover(this.nearest(px, py), px, py);
  }

  onUp(e) {
    const drag = this.drag;
    this.drag = null;
    this.canvas.classList.remove("dragging");
    if (drag && !drag.moved) {
      const [px, py] = this.local(e);
      const i = this.nearest(px, py);
      if (i >= 0) this.onPick(this.words[i]);
    }
  }

  setHover(i, px = 0, py = 0) {
    if (i === this.hover && i < 0) return;
    this.hover = i;
    if (i < 0) {
      this.tooltip.hidden = true;
    } else {
      this.tooltip.textContent = this.words[i];
      this.tooltip.style.left = `${px}px`;
      this.tooltip.style.top = `${py}px`;
      this.tooltip.hidden = false;
    }
    this.redraw();
  }

  redraw() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => { this.pending = false; this.draw(); });
  }

  draw() {
    const c = this.canvas, dpr = window.devicePixelRatio || 1;
    const { w, h, s } = this.base();
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(h * dpr);
    }
    const g = c.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const cx = w / 2 + this.view.dx, cy = h / 2 + this.view.dy;
    const r = Math.max(1.2, Math.min(3, 1.2 * Math.sqrt(this.view.scale)));
    g.fillStyle = DOT;
    for (let i = 0; i < this.x.length; i++) {
      const px = cx + this.x[i] * s, py = cy - this.y[i] * s;
      if (px < -4 || py < -4 || px > w + 4 || py > h + 4) continue;
      g.fillRect(px - r, py - r, 2 * r, 2 * r);
    }
    // labels of the most frequent words that fit: more as you zoom in
    g.font = "11px system-ui, sans-serif";
    g.fillStyle = "rgba(29, 35, 48, 0.55)";
    const labels = Math.min(this.x.length, Math.round(40 * this.view.scale * this.view.scale));
    for (let i = 0; i < labels; i++) {
      const px = cx + this.x[i] * s, py = cy - this.y[i] * s;
      if (px < 0 || py < 0 || px > w || py > h) continue;
      g.fillText(this.words[i], px + 4, py - 3);
    }
    const mark = (i, color, size, bold) => {
      const px = cx + this.x[i] * s, py = cy - this.y[i] * s;
      g.beginPath();
      g.arc(px, py, size, 0, 2 * Math.PI);
      g.fillStyle = color;
      g.fill();
      g.lineWidth = 1.5;
      g.strokeStyle = "#fff";
      g.stroke();
      g.font = `${bold ? "600 " : ""}12px system-ui, sans-serif`;
      g.lineWidth = 3;
      g.strokeText(this.words[i], px + 6, py - 5);
      g.fillStyle = LABEL;
      g.fillText(this.words[i], px + 6, py - 5);
    };
    for (const word of this.near) {
      const i = this.index.get(word);
      if (i !== undefined) mark(i, NEAR, 4.5, false);
    }
    const q = this.index.get(this.query);
    if (q !== undefined) mark(q, HOT, 6, true);
    if (this.hover >= 0) {
      const px = cx + this.x[this.hover] * s, py = cy - this.y[this.hover] * s;
      g.beginPath();
      g.arc(px, py, 7, 0, 2 * Math.PI);
      g.lineWidth = 2;
      g.strokeStyle = HOT;
      g.stroke();
    }
  }
}

// A small line chart of the loss per epoch (and the held-out loss when there is one).
export function drawLoss(canvas, series) {
  const dpr = window.devicePixelRatio || 1, w = canvas.clientWidth, h = canvas.clientHeight;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const g = canvas.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const all = series.flatMap((s) => s.values);
  if (!all.length) {
    g.fillStyle = "#6b7385";
    g.font = "12px system-ui, sans-serif";
    g.fillText("no loss recorded", 8, 20);
    return;
  }
  const lo = Math.min(...all), hi = Math.max(...all), n = Math.max(...series.map((s) => s.values.length));
  const L = 44, R = 8, T = 8, B = 22;
  const X = (i) => L + (n > 1 ? (i / (n - 1)) * (w - L - R) : (w - L - R) / 2);
  const Y = (v) => T + (hi > lo ? (1 - (v - lo) / (hi - lo)) : 0.5) * (h - T - B);
  g.strokeStyle = "#e2e5eb";
  g.fillStyle = "#6b7385";
  g.font = "11px system-ui, sans-serif";
  for (const v of [lo, (lo + hi) / 2, hi]) {
    g.beginPath(); g.moveTo(L, Y(v)); g.lineTo(w - R, Y(v)); g.stroke();
    g.fillText(v.toPrecision(3), 2, Y(v) + 4);
  }
  g.fillText("epoch", (L + w - R) / 2 - 14, h - 6);
  g.fillText("1", L - 3, h - 6);
  if (n > 1) g.fillText(String(n), X(n - 1) - 8, h - 6);
  for (const s of series) {
    if (!s.values.length) continue;
    g.strokeStyle = s.color;
    g.fillStyle = s.color;
    g.lineWidth = 2;
    g.beginPath();
    s.values.forEach((v, i) => (i ? g.lineTo(X(i), Y(v)) : g.moveTo(X(i), Y(v))));
    g.stroke();
    s.values.forEach((v, i) => { g.beginPath(); g.arc(X(i), Y(v), 2.5, 0, 2 * Math.PI); g.fill(); });
  }
  let lx = L + 6;
  for (const s of series) {
    if (!s.values.length) continue;
    g.fillStyle = s.color;
    g.fillText(`— ${s.name}`, lx, T + 10);
    lx += 8 + g.measureText(`— ${s.name}`).width;
  }
}
