// The interpolation timeline: keyframes (dataset garments or saved latent vectors), the decoded
// path between them (one decodeBatch request), a player with scrubber and speed, and exports
// (filmstrip PNG, animated GIF).

import { buildPath } from './interp.js';
import { drawGarment, clearGarment, garmentCanvas, colormapRGBA, fillSelect } from './render.js';
import { encodeGif } from './gif.js';
import { LIMITS, STEPS } from './state.js';
import { Lane, isStale } from './latest.js';
import { SIDE, PIXELS, button, classIndex } from './util.js';
const BASE_FPS = 12;

export class Timeline {
  /** section: #panel-timeline; ctx: {client() (the worker client), state, messages}. */
  constructor(section, ctx) {
    this.section = section;
    this.ctx = ctx;
    this.state = ctx.state;
    this.$ = (id) => section.querySelector(`#${id}`);
    this.keys = []; // [{type: 'garment', id, z: Float32Array | null} | {type: 'z', z}]
    this.frames = null; // {pixels: Uint8ClampedArray(n * 784), n, Z, keyFrames, ids}
    this.current = 0;
    this.playing = false;
    this.building = false;
    this.rebuildWanted = false;
    this.userTouched = false; // the keyframes came from the URL or the user (no defaults then)
    this.frameEls = [];
    this.batch = new Lane('timeline'); // the decoded path (and nearest garments) of the latest keys and settings
    this.musLane = new Lane('keyframe-mus'); // μ of garment keyframes
  }

  /** Builds the controls for the loaded model and follows the index, colour map and links. */
  mount() {
    const { state } = this;
    const addClass = this.$('add-class');
    state.classes.forEach((name, c) => addClass.append(new Option(name, String(c))));
    addClass.addEventListener('change', () => {
      const c = Number(addClass.value);
      addClass.value = '';
      if (addClass.options.length && Number.isInteger(c)) this.addRandom(c);
    });
    this.$('add-current').addEventListener('click', () => this.add({ type: 'z', z: Float32Array.from(state.z) }));
    this.$('add-random').addEventListener('click', () => this.addRandom(-1));
    this.$('play').addEventListener('click', () => this.setPlaying(!this.playing));
    this.$('scrubber').addEventListener('input', (e) => this.show(Number(e.target.value)));
    fillSelect(this.$('per-segment'), STEPS);
    const setting = (field, value) => {
      state.changeSettings({ [field]: value });
      this.rebuild();
    };
    this.$('interp').addEventListener('change', (e) => setting('interp', e.target.value));
    this.$('per-segment').addEventListener('change', (e) => setting('steps', Number(e.target.value)));
    this.$('nearest').addEventListener('change', (e) => setting('nearest', e.target.checked));
    this.$('use-frame').addEventListener('click', () => {
      const f = this.frames;
      if (f) state.setZ(f.Z.subarray(this.current * state.latentSize, (this.current + 1) * state.latentSize));
    });
    this.$('export-png').addEventListener('click', () => this.exportPng());
    this.$('export-gif').addEventListener('click', () => this.exportGif());
    state.on('index', () => this.onIndex());
    state.on('colormap', () => this.redraw());
    state.on('applied', () => this.syncControls());
    state.on('add-keyframe', (k) => this.add(k));
    this.renderKeys();
    this.updateStatus();
  }

  syncControls() {
    const s = this.state.settings;
    this.$('interp').value = s.interp;
    this.$('per-segment').value = String(s.steps);
    this.$('nearest').checked = s.nearest;
  }

  /** The keyframes as a link carries them: [{type: 'garment', id} | {type: 'z', z}]. */
  keyframesForUrl() {
    return this.keys.map((k) => (k.type === 'garment' ? { type: 'garment', id: k.id } : { type: 'z', z: k.z }));
  }

  setKeyframes(list, { fromUrl = false } = {}) {
    this.keys = list.map((k) => (k.type === 'garment' ? { type: 'garment', id: k.id, z: null } : { type: 'z', z: Float32Array.from(k.z) }));
    if (fromUrl && list.length) this.userTouched = true;
    this.changed();
  }

  add(k) {
    if (this.keys.length >= LIMITS.keyframes) {
      this.ctx.messages.note(`The timeline holds at most ${LIMITS.keyframes} keyframes (as many as a link carries): remove one to add another.`);
      return;
    }
    this.userTouched = true;
    this.keys.push(k.type === 'garment' ? { type: 'garment', id: k.id, z: null } : { type: 'z', z: Float32Array.from(k.z) });
    this.changed();
    const last = this.$('keyframes').lastElementChild;
    if (last) last.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }

  addRandom(label) {
    const index = this.state.index;
    if (!index) {
      this.ctx.messages.note('Dataset garments need the garment index, which is not loaded.');
      return;
    }
    let id;
    if (label < 0) id = Math.floor(Math.random() * index.size);
    else {
      if (!this.byClass) {
        this.byClass = Array.from(this.state.classes, () => []);
        index.labels.forEach((c, i) => this.byClass[c] && this.byClass[c].push(i));
      }
      const ids = this.byClass[label];
      if (!ids || !ids.length) {
        this.ctx.messages.note(`The garment index has no ${this.state.className(label)}, so none can be added.`);
        return;
      }
      id = ids[Math.floor(Math.random() * ids.length)];
    }
    this.add({ type: 'garment', id });
  }

  remove(i) {
    this.userTouched = true;
    this.keys.splice(i, 1);
    this.changed();
  }

  move(i, to) {
    if (to < 0 || to >= this.keys.length || to === i) return;
    this.userTouched = true;
    const [k] = this.keys.splice(i, 1);
    this.keys.splice(to, 0, k);
    this.changed();
  }

  changed() {
    this.renderKeys();
    this.resolve();
    this.state.emit('keyframes');
  }

  onIndex() {
    const { index, classes } = this.state;
    if (index && !this.userTouched && this.keys.length === 0) {
      // A first path that shows what the timeline does: a sneaker growing into an ankle boot (the
      // first test garment of each, else the first of each).
      const first = (c) => {
        if (c < 0) return -1;
        for (let i = this.state.manifest.garments.train_count; i < index.size; i++) if (index.labels[i] === c) return i;
        return index.labels.indexOf(c);
      };
      const a = first(classIndex(classes, 'Sneaker')), b = first(classIndex(classes, 'Ankle boot'));
      if (a >= 0 && b >= 0) {
        this.keys = [{ type: 'garment', id: a, z: null }, { type: 'garment', id: b, z: null }];
        this.renderKeys();
      }
    }
    this.resolve();
  }

  // Fetches μ for garment keyframes that have none yet, then rebuilds the path.
  async resolve() {
    const missing = this.keys.filter((k) => k.type === 'garment' && !k.z);
    if (missing.length && this.state.index) {
      const ids = [...new Set(missing.map((k) => k.id))];
      const ticket = this.musLane.begin();
      try {
        const { mus } = await ticket.wait(this.ctx.client().call('mus', { ids }));
        const d = this.state.latentSize;
        ids.forEach((id, i) => {
          for (const k of this.keys) if (k.type === 'garment' && k.id === id && !k.z) k.z = mus.slice(i * d, (i + 1) * d);
        });
      } catch (e) {
        if (isStale(e)) return; // the newer request asks for these ids too, then rebuilds
        this.ctx.messages.note(`Some keyframes could not be loaded: ${e.message}`);
        this.keys = this.keys.filter((k) => k.type !== 'garment' || k.z);
        this.renderKeys();
      }
    }
    this.rebuild();
  }

  updateStatus() {
    const el = this.$('timeline-status');
    const unresolved = this.keys.filter((k) => !k.z).length;
    let text = '';
    if (unresolved && this.state.indexError) text = `${unresolved} keyframe${unresolved > 1 ? 's are' : ' is a'} dataset garment${unresolved > 1 ? 's' : ''}, which need${unresolved > 1 ? '' : 's'} the garment index (not loaded). Add the current sliders instead.`;
    else if (unresolved) text = 'Loading the keyframe garments…';
    else if (this.keys.length < 2) text = `Add ${this.keys.length ? 'one more keyframe' : 'two keyframes'}: a search result's +, a random garment, a class, or the current sliders.`;
    else if (this.keys.length >= LIMITS.keyframes) text = `${this.keys.length} keyframes: the most a timeline (and its link) holds. Remove one to add another.`;
    el.textContent = text;
    el.className = 'panel-status';
  }

  showError(message) {
    const el = this.$('timeline-status');
    el.textContent = message;
    el.className = 'panel-status error';
  }

  // Decodes the path; at most one request in flight. Any change while it is out makes its answer
  // stale (dropped, never drawn), and the latest keys and settings are decoded next.
  async rebuild() {
    this.updateStatus();
    const ready = this.keys.length >= 2 && this.keys.every((k) => k.z);
    if (!ready) {
      this.batch.invalidate();
      this.frames = null;
      this.renderFrames();
      this.state.emit('path', null);
      return;
    }
    if (this.building) {
      this.rebuildWanted = true;
      this.batch.invalidate();
      return;
    }
    this.building = true;
    const ticket = this.batch.begin();
    try {
      const { steps, interp } = this.state.settings;
      const path = buildPath(this.keys.map((k) => k.z), steps, interp);
      const nearest = this.state.settings.nearest && !!this.state.index;
      const res = await ticket.wait(this.ctx.client().call('batch', { Z: path.Z, n: path.n, nearest, filter: { split: 'all', label: -1 } }));
      this.frames = { ...path, pixels: res.pixels, ids: res.ids };
      this.current = Math.min(this.current, path.n - 1);
      this.renderFrames();
      this.state.emit('path', this.frames);
      this.section.dataset.frames = String(path.n);
    } catch (e) {
      if (!isStale(e)) this.showError(`The timeline could not be decoded: ${e.message}`);
    } finally {
      this.building = false;
      if (this.rebuildWanted) {
        this.rebuildWanted = false;
        this.rebuild();
      }
    }
  }

  renderKeys() {
    const list = this.$('keyframes');
    list.textContent = '';
    const full = this.keys.length >= LIMITS.keyframes; // the add controls stop at the link's limit
    for (const id of ['add-current', 'add-random', 'add-class']) {
      this.$(id).disabled = full;
      this.$(id).title = full ? `The timeline holds at most ${LIMITS.keyframes} keyframes` : '';
    }
    this.keys.forEach((k, i) => {
      const { li, canvas } = this.keyCard(k, i);
      this.bindDrag(li, i);
      list.append(li);
      this.drawKeyThumb(k, i, canvas);
    });
  }

  // A keyframe's card: its picture (loads it into the sliders), label, and move/remove buttons.
  keyCard(k, i) {
    const { state } = this;
    const li = document.createElement('li');
    li.className = 'keyframe';
    li.draggable = true;
    li.dataset.index = String(i);
    if (k.type === 'garment') li.dataset.id = String(k.id);
    const label = k.type === 'garment' && state.index ? `${state.className(state.index.labels[k.id])} #${k.id}` : k.type === 'garment' ? `garment #${k.id}` : 'your sliders';
    const thumb = button('', 'thumb');
    thumb.setAttribute('aria-label', `Keyframe ${i + 1}: ${label}. Load it into the sliders.`);
    const canvas = garmentCanvas('garment', label);
    const num = document.createElement('span');
    num.className = 'k';
    num.textContent = String(i + 1);
    thumb.append(canvas, num);
    thumb.addEventListener('click', () => {
      if (k.z) state.setZ(k.z, { from: k.type === 'garment' ? { id: k.id } : null });
    });
    const lab = document.createElement('span');
    lab.className = 'klabel';
    if (k.type === 'garment') {
      const name = document.createElement('b');
      name.textContent = state.index ? state.className(state.index.labels[k.id]) : 'garment';
      lab.append(name, ` #${k.id}`);
    } else {
      lab.textContent = 'your sliders';
    }
    lab.title = label;
    const btns = document.createElement('span');
    btns.className = 'kbtns';
    const mk = (text, aria, onClick, disabled) => {
      const b = button(text, '', onClick);
      b.setAttribute('aria-label', aria);
      b.title = aria;
      b.disabled = disabled;
      return b;
    };
    btns.append(
      mk('←', `Move keyframe ${i + 1} earlier`, () => this.moveAndFocus(i, i - 1, 0), i === 0),
      mk('×', `Remove keyframe ${i + 1}`, () => this.remove(i), false),
      mk('→', `Move keyframe ${i + 1} later`, () => this.moveAndFocus(i, i + 1, 2), i === this.keys.length - 1),
    );
    li.append(thumb, lab, btns);
    return { li, canvas };
  }

  // Dragging a card onto another moves it there.
  bindDrag(li, i) {
    li.addEventListener('dragstart', (e) => {
      e.dataTransfer.setData('text/plain', String(i));
      e.dataTransfer.effectAllowed = 'move';
      li.classList.add('dragging');
    });
    li.addEventListener('dragend', () => li.classList.remove('dragging'));
    li.addEventListener('dragover', (e) => {
      e.preventDefault();
      li.classList.add('drop-target');
    });
    li.addEventListener('dragleave', () => li.classList.remove('drop-target'));
    li.addEventListener('drop', (e) => {
      e.preventDefault();
      li.classList.remove('drop-target');
      const from = Number(e.dataTransfer.getData('text/plain'));
      if (Number.isInteger(from)) this.move(from, i);
    });
  }

  // Moving a keyframe re-renders the list; keep keyboard focus on the same button of the moved card.
  moveAndFocus(i, to, buttonIndex) {
    this.move(i, to);
    const li = this.$('keyframes').children[Math.max(0, Math.min(to, this.keys.length - 1))];
    const b = li && li.querySelectorAll('.kbtns button')[buttonIndex];
    if (b && !b.disabled) b.focus();
    else if (li) li.querySelector('.thumb').focus();
  }

  drawKeyThumb(k, i, canvas) {
    const { state } = this;
    if (k.type === 'garment' && state.store) {
      const px = state.store.peek(k.id);
      if (px) drawGarment(canvas, px, state.lut);
      else {
        clearGarment(canvas, state.lut);
        state.store.get(k.id).then((p) => drawGarment(canvas, p, state.lut)).catch(() => {}); // a new canvas per render: never stale
      }
    } else if (this.frames && this.frames.keyFrames[i] !== undefined) {
      drawGarment(canvas, this.frames.pixels, state.lut, this.frames.keyFrames[i] * PIXELS);
    } else {
      clearGarment(canvas, state.lut);
    }
  }

  renderFrames() {
    const strip = this.$('filmstrip');
    const f = this.frames;
    const n = f ? f.n : 0;
    while (this.frameEls.length > n) this.frameEls.pop().el.remove();
    while (this.frameEls.length < n) {
      const j = this.frameEls.length;
      const el = button('', 'frame', () => this.show(j));
      const canvas = garmentCanvas('garment', '');
      el.append(canvas);
      strip.append(el);
      this.frameEls.push({ el, canvas, nn: null, nnLabel: null, nnImage: new Lane('timeline-nearest') });
    }
    const scrub = this.$('scrubber');
    scrub.max = String(Math.max(0, n - 1));
    scrub.disabled = n === 0;
    this.$('play').disabled = n === 0;
    this.$('export-png').disabled = n === 0;
    this.$('use-frame').disabled = n === 0;
    this.$('strip-info').textContent = f ? `· ${n} frames, ${this.state.settings.interp === 'linear' ? 'linear' : 'spherical'} path${f.ids ? ', with the most likely dataset garment under each' : ''}` : '';
    this.$('export-gif').disabled = n === 0;
    if (!f) {
      clearGarment(this.$('player'), this.state.lut);
      this.$('frame-label').textContent = '–';
      this.setPlaying(false);
      return;
    }
    const keySet = new Set(f.keyFrames);
    for (let j = 0; j < n; j++) {
      const fe = this.frameEls[j];
      drawGarment(fe.canvas, f.pixels, this.state.lut, j * PIXELS);
      fe.el.classList.toggle('key', keySet.has(j));
      fe.el.dataset.frame = String(j);
      fe.el.setAttribute('aria-label', `Frame ${j + 1} of ${n}${keySet.has(j) ? ', a keyframe' : ''}`);
      this.drawNearest(fe, f.ids ? f.ids[j] : null);
    }
    // Keyframes that are vectors show their decoded frame.
    [...this.$('keyframes').children].forEach((li, i) => {
      if (this.keys[i] && this.keys[i].type === 'z') this.drawKeyThumb(this.keys[i], i, li.querySelector('canvas'));
    });
    this.show(this.current);
  }

  drawNearest(fe, id) {
    const ticket = fe.nnImage.begin(); // the frame's garment picture: only the latest id's is drawn
    if (id === null || id === undefined) {
      if (fe.nn) {
        fe.nn.remove();
        fe.nnLabel.remove();
        fe.nn = fe.nnLabel = null;
      }
      return;
    }
    if (!fe.nn) {
      fe.nn = garmentCanvas('garment nn', '');
      fe.nnLabel = document.createElement('span');
      fe.nnLabel.className = 'nn-label';
      fe.el.append(fe.nn, fe.nnLabel);
    }
    const { state } = this;
    const name = state.className(state.index.labels[id]);
    fe.nn.setAttribute('aria-label', `Most likely dataset garment: ${name} #${id}`);
    fe.nnLabel.textContent = name;
    fe.nnLabel.title = `#${id}`;
    fe.nn.dataset.id = String(id);
    const px = state.store.peek(id);
    if (px) drawGarment(fe.nn, px, state.lut);
    else {
      clearGarment(fe.nn, state.lut);
      ticket.wait(state.store.get(id)).then((p) => fe.nn && drawGarment(fe.nn, p, state.lut)).catch(() => {});
    }
  }

  show(j) {
    const f = this.frames;
    if (!f) return;
    this.current = Math.max(0, Math.min(f.n - 1, j));
    drawGarment(this.$('player'), f.pixels, this.state.lut, this.current * PIXELS);
    this.$('scrubber').value = String(this.current);
    this.$('frame-label').textContent = `${this.current + 1} / ${f.n}`;
    this.frameEls.forEach((fe, i) => fe.el.classList.toggle('current', i === this.current));
    this.state.emit('path', f, this.current);
  }

  setPlaying(on) {
    on = on && !!this.frames;
    this.playing = on;
    const b = this.$('play');
    b.textContent = on ? 'Pause' : 'Play';
    b.setAttribute('aria-pressed', String(on));
    if (on) {
      let last = performance.now();
      let acc = 0;
      const tick = (t) => {
        if (!this.playing || !this.frames) return;
        acc += t - last;
        last = t;
        const step = 1000 / (BASE_FPS * Number(this.$('speed').value));
        if (acc >= step) {
          const k = Math.floor(acc / step);
          acc -= k * step;
          this.show((this.current + k) % this.frames.n);
        }
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    }
  }

  redraw() {
    this.renderKeys();
    if (this.frames) this.renderFrames();
  }

  // ------------------------------------------------------------ exports

  exportPng() {
    const f = this.frames;
    if (!f) return;
    const scale = 4, gap = 8, pad = 16, cols = Math.min(f.n, 12);
    const rows = Math.ceil(f.n / cols), cell = SIDE * scale;
    const c = document.createElement('canvas');
    c.width = pad * 2 + cols * cell + (cols - 1) * gap;
    c.height = pad * 2 + rows * cell + (rows - 1) * gap;
    const ctx = c.getContext('2d');
    ctx.fillStyle = '#0e1016';
    ctx.fillRect(0, 0, c.width, c.height);
    ctx.imageSmoothingEnabled = false;
    const tmp = document.createElement('canvas');
    for (let j = 0; j < f.n; j++) {
      drawGarment(tmp, f.pixels, this.state.lut, j * PIXELS);
      const x = pad + (j % cols) * (cell + gap), y = pad + Math.floor(j / cols) * (cell + gap);
      ctx.drawImage(tmp, x, y, cell, cell);
    }
    c.toBlob((blob) => download(blob, 'latent-wardrobe-filmstrip.png'), 'image/png');
  }

  exportGif() {
    const f = this.frames;
    if (!f) return;
    const scale = 4, side = SIDE * scale;
    const frames = [];
    for (let j = 0; j < f.n; j++) {
      const out = new Uint8Array(side * side);
      for (let y = 0; y < side; y++) {
        const src = j * PIXELS + ((y / scale) | 0) * SIDE;
        for (let x = 0; x < side; x++) out[y * side + x] = f.pixels[src + ((x / scale) | 0)];
      }
      frames.push(out);
    }
    const rgba = colormapRGBA(this.state.settings.colormap);
    const palette = new Uint8Array(768);
    for (let i = 0; i < 256; i++) palette.set(rgba.subarray(i * 4, i * 4 + 3), i * 3);
    const fps = BASE_FPS * Number(this.$('speed').value);
    const gif = encodeGif({ width: side, height: side, frames, palette, delayCs: 100 / fps });
    download(new Blob([gif], { type: 'image/gif' }), 'latent-wardrobe.gif');
  }
}

function download(blob, name) {
  if (!blob) return;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
