// latent wardrobe: the page's entry. It creates the shared state and the message sink, mounts
// each panel into its section with the same context ({client(), state, messages}), and wires the
// events between them, the frame loop, URL sync and boot. Nothing imports this module; the panels
// talk through the state's events (page-state.js) and the callbacks given here.
//
// The main thread only draws; the worker (worker.js) owns the wasm module, downloads the blobs and
// answers decode / search / encode requests.

import { PageState } from './page-state.js';
import { createMessages } from './messages.js';
import { Boot } from './boot.js';
import { FrameLoop } from './frame-loop.js';
import { UrlSync } from './url-sync.js';
import { PanelSwitcher } from './switcher.js';
import { ExplorePanel } from './explore.js';
import { SearchPanel } from './search.js';
import { Timeline } from './timeline.js';
import { LatentMap } from './map.js';
import { OwnPanel } from './own.js';
import { colormapBackground } from './render.js';
import { registerServiceWorker } from './sw-client.js';
import { lanes } from './latest.js';
import { perf } from './perf.js';

const $ = (id) => document.getElementById(id);
const messages = createMessages($('notes'), $('messages'));
const state = new PageState(messages);
const ctx = { client: () => boot.client, state, messages };

const panels = {
  explore: new ExplorePanel($('panel-explore'), ctx),
  search: new SearchPanel($('panel-search'), ctx),
  timeline: new Timeline($('panel-timeline'), ctx),
  map: new LatentMap($('panel-map'), ctx),
  own: new OwnPanel($('panel-own'), ctx),
};
const switcher = new PanelSwitcher(state);
const url = new UrlSync({ state, keyframes: () => panels.timeline.keyframesForUrl(), apply: applyLink, messages });
const frames = new FrameLoop({ client: ctx.client, state, searchRequest: () => panels.search.frameRequest(), onFrame: drawFrame, onError: (m) => boot.fail(m) });
const boot = new Boot({
  state,
  messages,
  firstGarment: (pixels) => panels.explore.showFirstGarment(pixels),
  ready,
  progress: (msg) => msg.name === 'index' && panels.search.showProgress(msg),
  unavailable: decoderUnavailable,
  loading: () => panels.explore.showLoading(),
  index: indexLoaded,
});

// ---------------------------------------------------------------- events between the parts

state.on('z', () => {
  frames.request();
  url.saveSoon();
});
state.on('settings', (change) => {
  url.saveSoon();
  if ('colormap' in change) applyColormap();
  else if (!('panel' in change)) frames.request(); // the search settings: new rankings
});
state.on('keyframes', () => url.saveSoon());

function drawFrame(z, res, searchLive) {
  panels.explore.drawGarment(res.pixels);
  if (searchLive) panels.search.show(res.results, z);
  state.emit('frame', z, res);
  panels.explore.updateCaption(searchLive ? res.results : panels.search.lastResults);
}

function applyColormap() {
  document.documentElement.style.setProperty('--garment-bg', colormapBackground(state.settings.colormap));
  state.emit('colormap');
  frames.request();
}

// A parsed link (boot, or pasted into this tab); startZ is used when it has no z.
function applyLink(parsed, startZ) {
  const { z, source, keyframes, ...settings } = parsed;
  const colormapChanged = settings.colormap !== state.settings.colormap;
  state.settings = settings;
  state.emit('applied');
  if (colormapChanged) state.changeSettings({ colormap: settings.colormap });
  switcher.focus(settings.panel, { scroll: settings.panel !== 'explore' });
  if (z) state.setZ(z, { from: source === null ? null : { id: source } });
  else state.setZ(startZ || new Float32Array(state.latentSize));
  panels.timeline.setKeyframes(keyframes, { fromUrl: true });
}

// ---------------------------------------------------------------- boot

function ready(info) {
  for (const panel of Object.values(panels)) panel.mount();
  url.applyLocation(info.first.z);
  // Offline support and updates (production build only): after the first garment, never before.
  registerServiceWorker(messages);
}

function decoderUnavailable(message, retryButton, { atStart }) {
  panels.explore.showUnavailable(message, retryButton);
  if (!atStart) return;
  panels.search.showError('Search needs the decoder, which did not load.');
  panels.map.showError('The map needs the decoder, which did not load.');
  panels.timeline.showError('The timeline needs the decoder, which did not load.');
}

function indexLoaded(index, error) {
  if (!index) {
    panels.search.showError(`Search is unavailable: ${error}`);
    panels.map.showError(`The map is unavailable: ${error}`);
  }
  state.emit('index', index);
  if (index) frames.request();
}

// ---------------------------------------------------------------- test hooks

// For tests and the console (see web/README.md, "Test hooks").
window.__lw = {
  state,
  get client() { return boot.client; },
  get z() { return state.z; },
  get index() { return state.index; },
  get manifest() { return state.manifest; },
  get classes() { return state.classes; },
  get latentSize() { return state.latentSize; },
  get kl() { return state.kl; },
  get store() { return state.store; },
  get lut() { return state.lut; },
  timelineKeys: () => panels.timeline.keyframesForUrl().map((k) => (k.type === 'z' ? { type: 'z', z: Array.from(k.z) } : k)),
};
window.__lwPerf = perf;
window.__lwLanes = lanes;
window.__lwOwn = panels.own.hooks;

switcher.mount();
url.mount();
$('copy-link').addEventListener('click', copyLink);
boot.start();

async function copyLink() {
  url.save();
  const b = $('copy-link');
  try {
    await navigator.clipboard.writeText(location.href);
    b.textContent = 'Link copied';
  } catch {
    b.textContent = 'Copy from the address bar';
  }
  setTimeout(() => (b.textContent = 'Copy link'), 1800);
}
