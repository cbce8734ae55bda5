// latent wardrobe: the page. The main thread only draws; the worker (worker.js) owns the wasm
// module, downloads the blobs and answers decode / search requests.
//
// The interactive loop: any change of z marks the frame dirty; on the next animation frame, if no
// request is in flight, the latest z is sent (decode + search in one request); when the answer
// arrives it is drawn, and if z changed meanwhile the next request goes out on the next animation
// frame. So the worker never holds a queue of stale frames.

import { parseHash, formatHash, defaultState, clampLatent, COLORMAPS, RANGES, LIMITS } from './state.js';
import { Lane, isStale } from './latest.js';
import { WardrobeClient } from './client.js';
import { GarmentStore } from './garments.js';
import { colormapPacked, colormapBackground, drawGarment, fillSelect, CLASS_COLORS } from './render.js';
import { Sliders } from './sliders.js';
import { SearchPanel } from './search.js';
import { Timeline } from './timeline.js';
import { LatentMap } from './map.js';
import { registerServiceWorker, serviceWorkerControls } from './sw-client.js';

const $ = (id) => document.getElementById(id);
// The folder of index.html (the production build keeps this module under assets/).
const root = new URL('./', document.baseURI);
// The worker's address: index.html says it (the production build rewrites it to the hashed name).
const workerUrl = () => new URL(document.documentElement.dataset.worker || 'worker.js', root);

// Measurements read by tests/browser/page-bench.mjs.
const perf = (window.__lwPerf = { firstGarment: null, indexReady: null, frames: [], workerMs: [], mapMs: [], drawMs: [], split: [], boot: { appStart: performance.now() } });

export const app = {
  client: null,
  manifest: null,
  classes: [],
  latentSize: 0,
  kl: null,
  z: null, // Float32Array(d), the current latent vector
  zSource: null, // {id} when z is a dataset garment's μ (loaded from it and not moved since)
  state: defaultState(), // the URL-shared settings (see state.js); z, its source and keyframes live elsewhere
  zLane: new Lane('z'), // requests whose answer sets z (a garment's μ, an encoded picture)
  index: null, // {size, xy, labels, pca, classMeans} once the index is loaded
  indexError: null,
  store: null,
  get colormap() {
    return this.state.colormap;
  },
  lut: colormapPacked('ember'),
  listeners: { z: [], index: [], colormap: [], frame: [], path: [] },
  on(event, f) {
    this.listeners[event].push(f);
  },
  emit(event, ...args) {
    for (const f of this.listeners[event]) f(...args);
  },

  /**
   * Sets z (copied into the shared domain, state.js: finite, within ±LIMITS.zAbs, with a note
   * naming any value it changed), updates the sliders unless they caused it, and schedules a frame.
   * Any answer still pending for an earlier z request is dropped (zLane).
   */
  setZ(z, { from = null, fromSliders = false } = {}) {
    const c = clampLatent(z);
    if (c.invalid.length) {
      this.note(`z${c.invalid[0]} = ${z[c.invalid[0]]} is not a number; z was left as it was.`);
      return;
    }
    if (c.clamped.length) {
      const k = c.clamped[0];
      this.note(`z${k} = ${Number(z[k]).toPrecision(6)} is outside ±${LIMITS.zAbs}, the range the decoder and links accept; ` +
        `it${c.clamped.length > 1 ? ` and ${c.clamped.length - 1} more were` : ' was'} set to the nearest end.`);
    }
    this.zLane.invalidate();
    this.z.set(c.z);
    this.zSource = from;
    if (!fromSliders) sliders.setValues(this.z);
    this.emit('z', this.z);
    requestFrame();
    saveUrlSoon();
  },

  /** Loads garment id's μ into z; resolves to the garment, or null if a newer z request won. */
  async loadGarmentIntoSliders(id) {
    const ticket = this.zLane.begin();
    try {
      const g = await ticket.wait(this.client.call('garment', { id }));
      this.setZ(g.mu, { from: { id } });
      return g;
    } catch (e) {
      if (isStale(e)) return null;
      throw e;
    }
  },

  /** What the page knows about dataset garment id: {label (null before the index), split}. */
  garmentInfo(id) {
    return {
      label: this.index ? this.index.labels[id] : null,
      split: id < this.manifest.garments.train_count ? 'train' : 'test',
    };
  },

  className(label) {
    return this.classes[label] ?? `class ${label}`;
  },

  classColor(label) {
    return CLASS_COLORS[label] ?? '#888';
  },

  /** A dismissable note; action = {label, run} adds a button (e.g. the new version's Reload). */
  note(text, action = null) {
    addMessage($('notes'), 'note', text, action);
  },

  error(text, action = null) {
    addMessage($('messages'), 'message', text, action);
  },

  saveUrlSoon: () => saveUrlSoon(),
  requestFrame: () => requestFrame(),
};
window.__lw = app; // for tests and the console

function button(text, className, onclick) {
  const b = document.createElement('button');
  b.type = 'button';
  if (className) b.className = className;
  b.textContent = text;
  b.onclick = onclick;
  return b;
}

/** A dismissable message; action = {label, run} adds a button that removes the message and runs. */
function addMessage(container, cls, text, action = null) {
  for (const el of container.children) if (el.dataset.text === text) return; // no duplicates
  const el = document.createElement('div');
  el.className = cls;
  el.dataset.text = text;
  const span = document.createElement('span');
  span.textContent = text;
  el.append(span);
  if (action) {
    el.append(button(action.label, 'action', () => {
      el.remove();
      action.run();
    }));
  }
  const close = button('×', '', () => el.remove());
  close.setAttribute('aria-label', 'Dismiss');
  el.append(close);
  container.append(el);
}

// ---------------------------------------------------------------- UI parts

const sliders = new Sliders(app, $('sliders'), $('quiet'), $('quiet-sliders'), $('quiet-summary'));
const search = new SearchPanel(app);
const timeline = new Timeline(app);
const latentMap = new LatentMap(app);

// ---------------------------------------------------------------- the frame loop

let dirty = false;
let inFlight = false;
let rafPending = false;
const frameLane = new Lane('frame'); // the preview: one request in flight, the newest z next

function requestFrame() {
  dirty = true;
  if (!rafPending && !inFlight && app.client && app.z) {
    rafPending = true;
    requestAnimationFrame(pump);
  }
}

function pump() {
  rafPending = false;
  if (inFlight || !dirty) return;
  dirty = false;
  inFlight = true;
  const t0 = performance.now();
  const z = Float32Array.from(app.z);
  const searchArgs = search.request();
  // The rankings answer this request's settings: if they change before it returns, its rankings
  // are dropped (the next frame brings the new ones); its garment is still the newest z's.
  const searchTicket = search.lane.begin();
  frameLane
    .begin()
    .wait(app.client.call('frame', { z, search: searchArgs }))
    .then((res) => {
      const t1 = performance.now();
      drawFrame(z, res, searchTicket.current());
      const t2 = performance.now();
      if (perf.frames.length < 5000) {
        perf.frames.push(t2 - t0);
        perf.workerMs.push(res.ms);
        perf.drawMs.push(t2 - t1);
        if (res.at) {
          // to the worker, in the worker, back to this thread (queued behind rendering), drawing
          const o = performance.timeOrigin;
          perf.split.push([res.at[0] - (o + t0), res.at[1] - res.at[0], o + t1 - res.at[1], t2 - t1]);
        }
      }
      if (perf.boot.firstFrame === undefined) perf.boot.firstFrame = { sent: t0, answered: t1, drawn: t2 };
    })
    .catch((e) => isStale(e) || showDecoderError(e.message))
    .finally(() => {
      inFlight = false;
      if (dirty) {
        rafPending = true;
        requestAnimationFrame(pump);
      }
    });
}

const preview = $('preview');
const logo = $('logo');

function drawFrame(z, res, searchLive) {
  drawGarment(preview, res.pixels, app.lut);
  drawGarment(logo, res.pixels, app.lut);
  if (searchLive) search.show(res.results, z);
  app.emit('frame', z, res);
  updateCaption(searchLive ? res.results : search.lastResults);
}

const sourceLane = new Lane('source'); // the thumbnail of the garment z came from

function updateCaption(results) {
  const src = $('source');
  if (app.zSource && app.index) {
    if (src._id === app.zSource.id && !src.hidden) return updateCaptionText(results);
    const id = (src._id = app.zSource.id);
    src.hidden = false;
    const ticket = sourceLane.begin();
    const px = app.store.peek(id);
    if (px) drawGarment($('source-canvas'), px, app.lut);
    else ticket.wait(app.store.get(id)).then((p) => drawGarment($('source-canvas'), p, app.lut)).catch(() => {});
    $('source-label').textContent = `#${id}`;
  } else {
    sourceLane.invalidate();
    src._id = null;
    src.hidden = true;
  }
  updateCaptionText(results);
}

function updateCaptionText(results) {
  const cap = $('preview-caption');
  const top = results && results.likelihood;
  const parts = [];
  if (app.zSource) {
    const { label, split } = app.garmentInfo(app.zSource.id);
    parts.push(`μ of garment <b>#${app.zSource.id}</b>${label === null ? '' : `, a ${escapeHtml(app.className(label))}`} (${split})`);
  } else if (top && top.ids.length) parts.push(`Most likely garment: <b>${escapeHtml(app.className(app.index.labels[top.ids[0]]))}</b> #${top.ids[0]}`);
  else parts.push('Decoded from the current z');
  const html = parts.join('');
  if (cap._html !== html) cap.innerHTML = cap._html = html;
}

/** Text for innerHTML: &, <, >, " and ' as character references. */
export function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

let disabledByDecoderError = [];

/** retry: offer to load the decoder again (a failed download), not for a browser that cannot run it. */
function showDecoderError(message, { retry = false } = {}) {
  document.body.dataset.decoder = 'error';
  const el = $('preview-error');
  el.hidden = false;
  el.textContent = message;
  $('preview-caption').textContent = 'The decoder is unavailable, so nothing can be drawn.';
  if (retry) app.error(`${message} The other files are kept; retry when the connection or the site is back.`, { label: 'Retry', run: retryDecoder });
  else app.error(`${message} Reloading may help; if it does not, the site's files are damaged or from different builds.`);
  setLoad('decoder', { failed: true });
  // Nothing on the page works without the decoder: say so by disabling its controls.
  for (const c of document.querySelectorAll('.layout button, .layout input, .layout select')) {
    if (!c.disabled) {
      c.disabled = true;
      disabledByDecoderError.push(c);
    }
  }
  // ...except a Retry where the garment should be (added after the controls were disabled).
  if (retry) el.append(' ', button('Retry', 'btn retry', retryDecoder));
}

function retryDecoder() {
  for (const c of disabledByDecoderError) c.disabled = false;
  disabledByDecoderError = [];
  // Either Retry (here or in the message list) starts one attempt: drop the other.
  for (const m of $('messages').querySelectorAll('.message')) if (m.querySelector('button.action')) m.remove();
  $('preview-error').hidden = true;
  $('preview-error').textContent = '';
  $('preview-caption').textContent = 'Loading the decoder…';
  setLoad('decoder', { reset: true });
  document.body.dataset.decoder = 'loading';
  startDecoder().catch((e) => showDecoderError(`Unexpected error while starting: ${e.message}`));
}

// ---------------------------------------------------------------- URL state

let saveTimer = 0;
function saveUrlSoon() {
  clearTimeout(saveTimer);
  saveTimer = setTimeout(saveUrl, 150);
}

// z is always written (zero too): a link without z opens on a garment sampled from the prior.
function currentHash() {
  const s = { ...app.state };
  s.z = app.z;
  s.source = app.zSource ? app.zSource.id : null;
  s.keyframes = timeline.keyframesForUrl();
  return formatHash(s);
}
app.currentHash = currentHash;

function saveUrl() {
  if (!app.z) return;
  const hash = currentHash();
  if (hash !== location.hash && !(hash === '' && location.hash === '')) {
    history.replaceState(null, '', hash === '' ? location.pathname + location.search : hash);
  }
}

// Applies a parsed state (boot, or a link pasted into this tab); startZ is used when the link has
// no z (at boot, the worker's first garment).
function applyState(parsed, startZ = null) {
  for (const n of parsed.notes) app.note(`The link was partly not understood: ${n}`);
  const { z, source, keyframes, ...settings } = parsed.state;
  app.state = settings;
  search.syncControls();
  timeline.syncControls();
  syncExploreControls();
  focusPanel(app.state.panel, { scroll: settings.panel !== 'explore' });
  if (z) app.setZ(z, { from: source === null ? null : { id: source } });
  else app.setZ(startZ || new Float32Array(app.latentSize));
  timeline.setKeyframes(keyframes, { fromUrl: true });
}

function parseLocation() {
  return parseHash(location.hash, { latentSize: app.latentSize, itemCount: app.manifest.garments.count, classCount: app.classes.length });
}

window.addEventListener('hashchange', () => {
  if (!app.z) return;
  if (location.hash === currentHash()) return;
  applyState(parseLocation());
});

// ---------------------------------------------------------------- panels

function focusPanel(name, { scroll = true } = {}) {
  app.state.panel = name;
  for (const b of document.querySelectorAll('.journey')) b.setAttribute('aria-current', String(b.dataset.panel === name));
  for (const p of document.querySelectorAll('.layout > .panel')) p.classList.toggle('focus', p.dataset.panel === name);
  if (scroll) {
    const el = $(`panel-${name}`);
    if (el && el.scrollIntoView && window.matchMedia('(min-width: 761px)').matches) el.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
    else window.scrollTo({ top: 0 });
  }
  app.emit('z', app.z); // panels that were hidden on phones redraw
  saveUrlSoon();
}
app.focusPanel = focusPanel;

for (const b of document.querySelectorAll('.journey')) b.addEventListener('click', () => focusPanel(b.dataset.panel));
for (const p of document.querySelectorAll('.layout > .panel')) {
  p.addEventListener('focusin', () => {
    if (app.state.panel !== p.dataset.panel) {
      app.state.panel = p.dataset.panel;
      for (const b of document.querySelectorAll('.journey')) b.setAttribute('aria-current', String(b.dataset.panel === p.dataset.panel));
      for (const q of document.querySelectorAll('.layout > .panel')) q.classList.toggle('focus', q === p);
      saveUrlSoon();
    }
  });
}

$('copy-link').addEventListener('click', async () => {
  saveUrl();
  const b = $('copy-link');
  try {
    await navigator.clipboard.writeText(location.href);
    b.textContent = 'Link copied';
  } catch {
    b.textContent = 'Copy from the address bar';
  }
  setTimeout(() => (b.textContent = 'Copy link'), 1800);
});

// ---------------------------------------------------------------- explore controls

$('reset').addEventListener('click', () => app.setZ(new Float32Array(app.latentSize)));

const temperature = $('temperature');
temperature.addEventListener('input', () => ($('temperature-out').textContent = Number(temperature.value).toFixed(2)));
$('randomise').addEventListener('click', () => {
  const t = Number(temperature.value);
  const z = new Float32Array(app.latentSize);
  for (let k = 0; k < z.length; k++) z[k] = t * gaussian();
  app.setZ(z);
});

function gaussian() {
  // Box-Muller; 1 - random() avoids log(0).
  return Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
}

// The form has novalidate: the page says what is wrong with the id (the browser's bubble would
// not name the range, and an empty box would read as 0).
$('from-garment').addEventListener('submit', async (e) => {
  e.preventDefault();
  const text = $('garment-id').value.trim();
  const count = app.manifest.garments.count;
  const id = /^\d{1,9}$/.test(text) ? Number(text) : NaN;
  if (!(id < count)) {
    app.note(`${text === '' ? 'No garment id was given' : `There is no garment "${text.slice(0, 24)}"`}: ids are whole numbers from 0 to ${count - 1}.`);
    return;
  }
  try {
    await app.loadGarmentIntoSliders(id);
  } catch (err) {
    app.note(err.message);
  }
});

fillSelect($('colormap'), COLORMAPS);
$('colormap').addEventListener('change', (e) => {
  app.state.colormap = e.target.value;
  applyColormap();
  saveUrlSoon();
});
fillSelect($('range'), RANGES);
$('range').addEventListener('change', (e) => {
  app.state.range = Number(e.target.value);
  sliders.setRange(app.state.range);
  saveUrlSoon();
});

function applyColormap() {
  app.lut = colormapPacked(app.colormap);
  document.documentElement.style.setProperty('--garment-bg', colormapBackground(app.colormap));
  $('source')._id = null;
  app.emit('colormap');
  requestFrame();
}

/** Puts the shared state's colour map and slider range into their controls (a link was applied). */
function syncExploreControls() {
  $('colormap').value = app.state.colormap;
  $('range').value = String(app.state.range);
  if (app.lut !== colormapPacked(app.colormap)) applyColormap();
  sliders.setRange(app.state.range);
}

// ---------------------------------------------------------------- loading

const loadSizes = { decoder: 0, index: 0, wasm: 0 };
function setLoad(name, { loaded, total, cached, failed, done, reset } = {}) {
  const el = document.querySelector(`.load[data-name="${name}"]`);
  if (!el) return;
  const bar = el.querySelector('progress');
  const size = el.querySelector('.load-size');
  if (reset) {
    el.classList.remove('failed', 'done');
    size.textContent = '';
    bar.value = 0;
    $('loads').classList.remove('all-done');
    return;
  }
  if (failed) {
    el.classList.add('failed');
    size.textContent = 'failed';
    return;
  }
  if (total) {
    bar.max = total;
    bar.value = loaded;
    loadSizes[name] = total;
    size.textContent = cached ? 'cached' : loaded >= total ? mb(total) : `${mb(loaded)} / ${mb(total)}`;
  }
  if (done || (total && loaded >= total)) el.classList.add('done');
  const all = [...document.querySelectorAll('.load')].every((l) => l.classList.contains('done') || l.classList.contains('failed'));
  $('loads').classList.toggle('all-done', all);
}
app.setLoad = setLoad;

function mb(bytes) {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.round(bytes / 1e3)} kB`;
}
app.mb = mb;

function onWorkerEvent(msg) {
  if (msg.event === 'progress') {
    setLoad(msg.name, msg);
    if (msg.name === 'index') search.showProgress(msg);
  }
}

async function boot() {
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.instantiate !== 'function') {
    showDecoderError('This browser does not support WebAssembly, which latent wardrobe needs to run its decoder. Try a current Chrome, Firefox, Safari or Edge.');
    return;
  }
  await startDecoder();
}

// The worker loads the module and the decoder; then the UI is built around the first garment.
// Runs again on Retry after a failed download (the worker keeps nothing from the failed attempt).
async function startDecoder() {
  const params = new URLSearchParams(location.search);
  if (!app.client || app.client.dead) {
    try {
      // The early worker (started by index.html) is adopted once; a dead one is replaced.
      app.client = new WardrobeClient(workerUrl(), onWorkerEvent, app.client ? null : window.__lwEarly);
    } catch (e) {
      showDecoderError(`This browser cannot start a module Web Worker (${e.message}).`);
      return;
    }
  }
  let info;
  perf.boot.initSent = performance.now();
  try {
    // init() adopts the early worker's request the first time, and sends a new one after that.
    info = await app.client.init({ forceScalar: params.get('scalar') === '1', hash: location.hash, controlled: serviceWorkerControls() });
  } catch (e) {
    // A worker that could not start will not start on retry either; a download may.
    showDecoderError(e.message, { retry: e.kind !== 'nowasm' && e.kind !== 'worker' });
    search.showError('Search needs the decoder, which did not load.');
    latentMap.showError('The map needs the decoder, which did not load.');
    timeline.showError('The timeline needs the decoder, which did not load.');
    return;
  }
  perf.boot.initDone = performance.now();
  perf.boot.worker = info.times;
  // The first garment goes on screen before the rest of the UI is built.
  drawGarment(preview, info.first.pixels, app.lut);
  drawGarment(logo, info.first.pixels, app.lut);
  await new Promise((resolve) => requestAnimationFrame(() => {
    perf.firstGarment = performance.now();
    performance.mark('lw-first-garment');
    resolve();
  }));
  app.manifest = info.manifest;
  app.classes = info.manifest.classes;
  app.latentSize = info.latentSize;
  app.kl = info.kl;
  app.z = new Float32Array(info.latentSize);
  app.store = new GarmentStore(new URL(`${info.dataDir || 'data/'}${info.manifest.garments.dir}/`, root).href, info.manifest.garments);
  // The index is not needed for the first garment: its download starts now, behind the UI build.
  loadIndex();
  $('garment-id').max = String(info.manifest.garments.count - 1);
  setLoad('decoder', { done: true });
  $('engine').textContent = `Running the ${info.simd ? 'SIMD' : 'scalar'} WebAssembly build.`;
  if (!info.simd && !info.simdSupported) app.note('This browser has no WebAssembly SIMD, so the page uses the scalar build: the same results, a little slower.');
  sliders.build(info.kl);
  search.init();
  timeline.init();
  latentMap.init();
  applyState(parseLocation(), info.first.z);
  document.body.dataset.decoder = 'ready';
  // Offline support and updates (production build only): after the first garment, never before.
  registerServiceWorker(app);
}

const indexLane = new Lane('index'); // a second load (Retry) supersedes the first

async function loadIndex() {
  const ticket = indexLane.begin();
  document.body.dataset.index = 'loading';
  app.indexError = null;
  setLoad('index', { reset: true });
  search.showProgress({ loaded: 0, total: app.manifest.blobs.index ? app.manifest.blobs.index.bytes : 0 });
  try {
    app.index = await ticket.wait(app.client.call('loadIndex'));
  } catch (e) {
    if (isStale(e)) return;
    app.indexError = e.message;
    document.body.dataset.index = 'error';
    setLoad('index', { failed: true });
    app.error(`${e.message} The sliders and the timeline of your own vectors still work; search, the map and dataset garments do not.`,
      { label: 'Retry', run: () => loadIndex() });
    search.showError(`Search is unavailable: ${e.message}`);
    latentMap.showError(`The map is unavailable: ${e.message}`);
    app.emit('index', null);
    return;
  }
  setLoad('index', { done: true });
  document.body.dataset.index = 'ready';
  perf.indexReady = performance.now();
  app.emit('index', app.index);
  requestFrame();
}

boot().catch((e) => showDecoderError(`Unexpected error while starting: ${e.message}`));
