// The latent map: every garment's μ projected on the index's two principal axes, coloured by
// class, with the current z and the timeline's path on top. Clicking, dragging or arrow keys move z
// within the PCA plane, keeping z's off-plane part: z' = z + (a' - a) c1 + (b' - b) c2.
//
// Every projection comes from the runtime (project_points, through the worker's 'project'): the
// garments' once, z's on each change, the path's on each new path. A move needs z's coordinates
// (a, b); after a move they are known without asking (the axes are orthonormal), and a move asked
// for while z's coordinates are still on their way is applied when they arrive.

import { classColor } from './render.js';
import { hexRgb, button } from './util.js';
import { record } from './perf.js';
import { Lane, isStale } from './latest.js';

const sameVector = (a, b) => !!a && !!b && a.length === b.length && a.every((v, k) => v === b[k]);

export class LatentMap {
  /** section: #panel-map; ctx: {client(), state, messages} (the index arrives through the state's 'index'). */
  constructor(section, ctx) {
    this.state = ctx.state;
    this.client = ctx.client;
    const $ = (id) => section.querySelector(`#${id}`);
    this.canvas = $('map');
    this.marker = $('map-marker'); // the current z: a DOM element moved by transform only
    this.status = $('map-status');
    this.legend = $('legend');
    this.data = null; // {xy, labels, c1, c2}
    this.view = null; // {cx, cy, scale} in CSS pixels per unit
    this.base = null; // offscreen canvas with the points
    this.highlight = -1; // class shown at full strength, -1 for all
    this.path = null;
    this.pathXY = null; // Float32Array [2 x frames]: the path's coordinates, null until they arrive
    this.pathCurrent = -1;
    this.zAt = null; // {z, xy: [a, b]}: a recent z (a copy) and its coordinates
    this.pendingMove = null; // {abs: [a, b] | null, rel: [da, db]}: waits for z's coordinates
    this.zLane = new Lane('map-z');
    this.pathLane = new Lane('map-path');
    this.drawPending = false;
  }

  /** Builds the legend for the loaded model and follows the index, z, the timeline's path. */
  mount() {
    const { state } = this;
    this.buildLegend();
    state.on('index', (index) => {
      if (!index) return;
      this.setData(index);
      this.requestZ();
      this.requestPath();
    });
    // Moving z only moves the marker (a compositor transform): no canvas redraw, no raster. A
    // hidden map (another panel on a phone) asks the worker nothing; it catches up when shown.
    // Shown again on a phone: the size observer below asks for z once the map has a size.
    state.on('z', () => this.shown() && this.requestZ());
    state.on('path', (frames, current) => {
      const fresh = frames !== this.path;
      this.path = frames;
      this.pathCurrent = current ?? -1;
      if (fresh) this.requestPath();
      else this.scheduleDraw();
    });
    // The canvas size comes from the observer, so drawing never forces a synchronous layout.
    new ResizeObserver((entries) => {
      const r = entries[entries.length - 1].contentRect;
      const wasShown = this.shown();
      this.cssSize = { w: r.width, h: r.height };
      if (this.shown() && !wasShown) this.requestZ();
      if (this.data) this.renderBase();
      this.scheduleDraw();
    }).observe(this.canvas);
    this.bindPointer();
    this.bindKeys();
  }

  buildLegend() {
    this.legend.textContent = '';
    this.state.classes.forEach((name, c) => {
      const li = document.createElement('li');
      const b = button('', '', null);
      b.style.setProperty('--cls', classColor(c));
      b.setAttribute('aria-pressed', 'false');
      b.title = `Highlight ${name} on the map`;
      const sw = document.createElement('span');
      sw.className = 'sw';
      const t = document.createElement('span');
      t.textContent = name;
      b.append(sw, t);
      b.addEventListener('click', () => {
        this.highlight = this.highlight === c ? -1 : c;
        for (const [i, el] of [...this.legend.querySelectorAll('button')].entries()) el.setAttribute('aria-pressed', String(i === this.highlight));
        this.legend.classList.toggle('filtered', this.highlight >= 0);
        this.renderBase();
        this.scheduleDraw();
      });
      li.append(b);
      this.legend.append(li);
    });
  }

  showError(message) {
    this.status.hidden = false;
    this.status.className = 'panel-status overlay error';
    this.status.textContent = message;
  }

  setData(index) {
    const d = index.pca.mean.length;
    this.data = {
      xy: index.xy,
      labels: index.labels,
      c1: index.pca.components.subarray(0, d),
      c2: index.pca.components.subarray(d, 2 * d),
    };
    // The view covers the central 99% of the points on each axis, with equal scales.
    const n = index.size;
    const as = new Float32Array(n), bs = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      as[i] = index.xy[2 * i];
      bs[i] = index.xy[2 * i + 1];
    }
    as.sort();
    bs.sort();
    const q = (arr, p) => arr[Math.min(n - 1, Math.max(0, Math.round(p * (n - 1))))];
    const [a0, a1] = extent(as, q), [b0, b1] = extent(bs, q);
    // An axis without spread gets the other's extent; no spread at all a unit square: the scale
    // stays finite, and the garments show as the point or line they are.
    const ra = (a1 - a0 || b1 - b0 || 1) * 1.1, rb = (b1 - b0 || a1 - a0 || 1) * 1.1;
    this.bounds = { cx: (a0 + a1) / 2, cy: (b0 + b1) / 2, ra, rb };
    this.status.hidden = true;
    this.explain(n, as[n - 1] - as[0], bs[n - 1] - bs[0], index.labels);
    this.canvas.setAttribute('aria-label', `Latent map of ${n.toLocaleString('en')} garments. Arrow keys move z in the plane of the two principal axes; Shift moves further.`);
    this.renderBase();
    this.scheduleDraw();
  }

  // A line under the map when its picture needs words: no spread, or classes the index lacks.
  explain(n, spreadA, spreadB, labels) {
    let note = this.note;
    if (!note) {
      note = this.note = document.createElement('p');
      note.id = 'map-note';
      note.className = 'panel-status';
      note.setAttribute('role', 'status');
      this.legend.before(note);
    }
    const { classes } = this.state;
    const counts = new Array(classes.length).fill(0);
    for (const c of labels) counts[c]++;
    const missing = classes.filter((_, c) => !counts[c]);
    const parts = [];
    if (spreadA === 0 && spreadB === 0) parts.push(`All ${n.toLocaleString('en')} garments have the same μ on the two principal axes, so they are drawn as one point: the index's codes have no spread.`);
    else if (spreadA === 0 || spreadB === 0) parts.push('The garments spread along one axis only, so they are drawn on a line.');
    if (missing.length) parts.push(`The index has no ${missing.join(', ')}.`);
    note.textContent = parts.join(' ');
    [...this.legend.querySelectorAll('button')].forEach((b, c) => {
      b.classList.toggle('empty', !counts[c]);
      b.title = counts[c] ? `Highlight ${classes[c]} on the map (${counts[c].toLocaleString('en')})` : `The index has no ${classes[c]}`;
    });
  }

  /** The map has room on screen (a phone shows one panel at a time; the others have no size). */
  shown() {
    const { w, h } = this.size();
    return w >= 10 && h >= 10;
  }

  size() {
    const dpr = Math.min(window.devicePixelRatio || 1, 2);
    const { w, h } = this.cssSize || { w: 0, h: 0 };
    return { w, h, dpr };
  }

  renderBase() {
    if (!this.data) return;
    const { w, h, dpr } = this.size();
    if (!this.shown()) return; // drawn when shown
    const W = Math.round(w * dpr), H = Math.round(h * dpr);
    this.canvas.width = W;
    this.canvas.height = H;
    const b = this.bounds;
    const scale = Math.min(w / b.ra, h / b.rb);
    this.view = { cx: b.cx, cy: b.cy, scale, w, h, dpr };
    const base = (this.base = this.base || document.createElement('canvas'));
    base.width = W;
    base.height = H;
    const ctx = base.getContext('2d');
    const img = ctx.createImageData(W, H);
    const acc = new Float32Array(W * H * 3);
    const bg = [11, 13, 19];
    for (let i = 0; i < W * H; i++) {
      acc[3 * i] = bg[0];
      acc[3 * i + 1] = bg[1];
      acc[3 * i + 2] = bg[2];
    }
    const colors = this.state.classes.map((_, c) => hexRgb(classColor(c)));
    const { xy, labels } = this.data;
    const dot = dpr >= 1.5 ? 3 : 2; // points of about 1.5-2 CSS pixels
    const s = scale * dpr;
    for (let i = 0; i < labels.length; i++) {
      const c = labels[i];
      const dim = this.highlight >= 0 && c !== this.highlight;
      const alpha = dim ? 0.04 : this.highlight >= 0 ? 0.6 : 0.32;
      const col = dim ? [120, 125, 140] : colors[c];
      const x0 = Math.round((xy[2 * i] - b.cx) * s + W / 2);
      const y0 = Math.round(H / 2 - (xy[2 * i + 1] - b.cy) * s);
      for (let dy = 0; dy < dot; dy++) {
        for (let dx = 0; dx < dot; dx++) {
          const x = x0 + dx, y = y0 + dy;
          if (x < 0 || y < 0 || x >= W || y >= H) continue;
          const p = 3 * (y * W + x);
          acc[p] += (col[0] - acc[p]) * alpha;
          acc[p + 1] += (col[1] - acc[p + 1]) * alpha;
          acc[p + 2] += (col[2] - acc[p + 2]) * alpha;
        }
      }
    }
    for (let i = 0; i < W * H; i++) {
      img.data[4 * i] = acc[3 * i];
      img.data[4 * i + 1] = acc[3 * i + 1];
      img.data[4 * i + 2] = acc[3 * i + 2];
      img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }

  /** Asks the runtime for the current z's coordinates (unless known); places the marker on arrival. */
  requestZ() {
    const z = this.state.z;
    if (!this.data || !z) return;
    if (this.zAt && sameVector(this.zAt.z, z)) {
      this.placeMarker();
      return;
    }
    const asked = Float32Array.from(z);
    this.zLane
      .begin()
      .wait(this.client().call('project', { Z: asked }))
      .then(({ xy }) => {
        this.zAt = { z: asked, xy: [xy[0], xy[1]] };
        this.placeMarker();
        this.applyPendingMove();
      })
      .catch((e) => {
        if (!isStale(e)) this.pendingMove = null; // the marker stays where it was
      });
  }

  /** The timeline path's coordinates, from the runtime; drawn when they arrive. */
  requestPath() {
    const f = this.path;
    this.pathXY = null;
    this.scheduleDraw();
    if (!this.data || !f || !f.Z) return;
    this.pathLane
      .begin()
      .wait(this.client().call('project', { Z: f.Z.subarray(0, f.n * this.state.latentSize) }))
      .then(({ xy }) => {
        this.pathXY = xy;
        this.scheduleDraw();
      })
      .catch(() => {}); // stale, or no index: no path on the map
  }

  toScreen(a, b) {
    const v = this.view;
    return [(a - v.cx) * v.scale + v.w / 2, v.h / 2 - (b - v.cy) * v.scale];
  }

  fromScreen(x, y) {
    const v = this.view;
    return [(x - v.w / 2) / v.scale + v.cx, (v.h / 2 - y) / v.scale + v.cy];
  }

  scheduleDraw() {
    if (this.drawPending) return;
    this.drawPending = true;
    requestAnimationFrame(() => {
      this.drawPending = false;
      const t0 = performance.now();
      this.draw();
      if (this.data) record('mapMs', performance.now() - t0);
    });
  }

  draw() {
    if (!this.data || !this.view || !this.base || !this.state.z) return;
    const { w, h } = this.size();
    if (w < 10 || h < 10) return;
    const ctx = this.canvas.getContext('2d');
    const dpr = this.view.dpr;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(this.base, 0, 0);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const f = this.path;
    const p = this.pathXY;
    if (f && p) {
      const at = (j) => this.toScreen(p[2 * j], p[2 * j + 1]);
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = 'rgba(255, 255, 255, 0.75)';
      ctx.beginPath();
      for (let j = 0; j < f.n; j++) {
        const [x, y] = at(j);
        if (j === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      }
      ctx.stroke();
      ctx.font = '600 10px system-ui, sans-serif';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      f.keyFrames.forEach((j, i) => {
        const [x, y] = at(j);
        ctx.fillStyle = '#fb9466';
        ctx.beginPath();
        ctx.arc(x, y, 8, 0, 2 * Math.PI);
        ctx.fill();
        ctx.fillStyle = '#1a0f0a';
        ctx.fillText(String(i + 1), x, y + 0.5);
      });
      if (this.pathCurrent >= 0 && this.pathCurrent < f.n) {
        const [x, y] = at(this.pathCurrent);
        ctx.fillStyle = '#fcf3c4';
        ctx.beginPath();
        ctx.arc(x, y, 3.5, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
    ctx.fillStyle = 'rgba(160, 168, 190, 0.7)';
    ctx.font = '11px system-ui, sans-serif';
    ctx.textAlign = 'right';
    ctx.textBaseline = 'bottom';
    ctx.fillText('PC 1 →', w - 8, h - 6);
    ctx.save();
    ctx.translate(14, 8);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'right';
    ctx.textBaseline = 'top';
    ctx.fillText('PC 2 →', 0, -6);
    ctx.restore();
    this.placeMarker();
  }

  placeMarker() {
    const m = this.marker;
    if (!m) return;
    if (!this.data || !this.view || !this.zAt) {
      if (!m.hidden) m.hidden = true;
      return;
    }
    const [x, y] = this.toScreen(...this.zAt.xy);
    // Inside the canvas's border box (1 px border); kept within the map when z is far outside.
    const v = this.view;
    const cx = Math.max(0, Math.min(v.w, x)) + 1, cy = Math.max(0, Math.min(v.h, y)) + 1;
    m.style.transform = `translate(${cx.toFixed(1)}px, ${cy.toFixed(1)}px)`;
    if (m.hidden) m.hidden = false;
  }

  /**
   * Moves z within the PCA plane to abs + rel: abs the coordinates [a, b] (null: where z is), rel
   * a step [da, db] (null: none). Until the current z's coordinates are known, the move waits (the
   * latest absolute target and the sum of later steps) and is applied, as one move, when they do.
   */
  move(abs, rel) {
    const z = this.state.z;
    if (!this.zAt || !sameVector(this.zAt.z, z)) {
      const p = this.pendingMove || { abs: null, rel: [0, 0] };
      if (abs) this.pendingMove = { abs, rel: [0, 0] };
      else this.pendingMove = { abs: p.abs, rel: [p.rel[0] + rel[0], p.rel[1] + rel[1]] };
      return;
    }
    const [a0, b0] = this.zAt.xy;
    const [base, step] = [abs || [a0, b0], rel || [0, 0]];
    const [a, b] = [base[0] + step[0], base[1] + step[1]];
    const { c1, c2 } = this.data;
    const next = Float32Array.from(z);
    for (let k = 0; k < next.length; k++) next[k] += (a - a0) * c1[k] + (b - b0) * c2[k];
    // next's coordinates are (a, b) (c1, c2 are orthonormal): known before setZ's 'z' event asks.
    this.zAt = { z: Float32Array.from(next), xy: [a, b] };
    this.state.setZ(next);
  }

  applyPendingMove() {
    const p = this.pendingMove;
    if (!p || !this.zAt || !sameVector(this.zAt.z, this.state.z)) return;
    this.pendingMove = null;
    this.move(p.abs, p.rel);
  }

  bindPointer() {
    const c = this.canvas;
    let dragging = false;
    const at = (e) => {
      const r = c.getBoundingClientRect();
      this.move(this.fromScreen(e.clientX - r.left, e.clientY - r.top), null);
    };
    c.addEventListener('pointerdown', (e) => {
      if (!this.data || !this.view) return;
      dragging = true;
      c.setPointerCapture(e.pointerId);
      at(e);
    });
    c.addEventListener('pointermove', (e) => dragging && at(e));
    const stop = () => (dragging = false);
    c.addEventListener('pointerup', stop);
    c.addEventListener('pointercancel', stop);
  }

  bindKeys() {
    this.canvas.addEventListener('keydown', (e) => {
      if (!this.data || !this.view) return;
      const step = (e.shiftKey ? 0.12 : 0.03) * Math.max(this.bounds.ra, this.bounds.rb);
      const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
      const m = moves[e.key];
      if (!m) return;
      e.preventDefault();
      this.move(null, m);
    });
  }
}

// The central 99% of sorted values on an axis; all of them when that is a single value (most
// garments at one place, a few apart).
function extent(sorted, q) {
  const lo = q(sorted, 0.005), hi = q(sorted, 0.995);
  return hi > lo ? [lo, hi] : [sorted[0], sorted[sorted.length - 1]];
}
