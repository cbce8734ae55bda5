// The page's shared state: what every panel reads (the model's facts, z, the index, the URL
// settings, the colour map) and the one event bus panels talk through. Panels get it in their
// context; they change z and the settings through its methods and listen to its events, and never
// reach into another panel. main.js wires the bus to the frame loop, URL sync and the panels.
//
// Events (emit(name, ...args)):
//   z (z, {fromSliders})      z changed (after clamping)
//   settings (change)          a URL setting changed through a control ({field: value, ...})
//   applied ()                 a link's settings were applied: controls show state.settings
//   index (index | null)       the index loaded (or failed: null)
//   colormap ()                the colour map changed: redraw garments
//   frame (z, res)             a frame's garment and rankings arrived (frame-loop.js)
//   path (frames, current)     the timeline's decoded path (null: none), and its current frame
//   keyframes ()               the timeline's keyframes changed
//   add-keyframe (key)         a panel asks the timeline to add {type: 'garment', id} or {type: 'z', z}
//   focus (panel)              the panel in focus changed (panels hidden on phones redraw)

import { defaultState, clampLatent, LIMITS } from './state.js';
import { Lane, isStale } from './latest.js';
import { colormapPacked } from './render.js';
import { splitOf } from './util.js';

export class PageState {
  /** messages: the sink of notes and errors ({note(text, action), error(text, action)}). */
  constructor(messages) {
    this.messages = messages;
    this.manifest = null;
    this.classes = []; // class names, from the manifest
    this.latentSize = 0;
    this.kl = null; // Float32Array(d): each dimension's KL activity
    this.z = null; // Float32Array(d), the current latent vector
    this.zSource = null; // {id} when z is a dataset garment's μ (loaded from it and not moved since)
    this.settings = defaultState(); // the URL-shared settings (state.js); z, its source and keyframes live elsewhere
    this.zLane = new Lane('z'); // requests whose answer sets z (a garment's μ, an encoded picture)
    this.index = null; // {size, xy, labels, pca, classMeans} once the index is loaded
    this.indexError = null;
    this.store = null; // GarmentStore: dataset garment pixels
    this.lut = colormapPacked(this.settings.colormap);
    this.listeners = new Map();
  }

  on(event, f) {
    if (!this.listeners.has(event)) this.listeners.set(event, []);
    this.listeners.get(event).push(f);
  }

  emit(event, ...args) {
    for (const f of this.listeners.get(event) || []) f(...args);
  }

  /** The model's facts, from the worker's init answer. */
  setModel(info) {
    this.manifest = info.manifest;
    this.classes = info.manifest.classes;
    this.latentSize = info.latentSize;
    this.kl = info.kl;
    this.z = new Float32Array(info.latentSize);
  }

  /**
   * Sets z (copied into the shared domain, state.js: finite, within ±LIMITS.zAbs, with a note
   * naming any value it changed) and emits 'z'. Any answer still pending for an earlier z request
   * is dropped (zLane).
   */
  setZ(z, { from = null, fromSliders = false } = {}) {
    const c = clampLatent(z);
    if (c.invalid.length) {
      this.messages.note(`z${c.invalid[0]} = ${z[c.invalid[0]]} is not a number; z was left as it was.`);
      return;
    }
    if (c.clamped.length) {
      const k = c.clamped[0];
      this.messages.note(`z${k} = ${Number(z[k]).toPrecision(6)} is outside ±${LIMITS.zAbs}, the range the decoder and links accept; ` +
        `it${c.clamped.length > 1 ? ` and ${c.clamped.length - 1} more were` : ' was'} set to the nearest end.`);
    }
    this.zLane.invalidate();
    this.z.set(c.z);
    this.zSource = from;
    this.emit('z', this.z, { fromSliders });
  }

  /** Changes URL settings made through a control ({field: value}); emits 'settings'. */
  changeSettings(change) {
    Object.assign(this.settings, change);
    if ('colormap' in change) this.lut = colormapPacked(this.settings.colormap);
    this.emit('settings', change);
  }

  /** Loads garment id's μ into z through client; resolves to the garment, or null if a newer z request won. */
  async loadGarment(client, id) {
    const ticket = this.zLane.begin();
    try {
      const g = await ticket.wait(client.call('garment', { id }));
      this.setZ(g.mu, { from: { id } });
      return g;
    } catch (e) {
      if (isStale(e)) return null;
      throw e;
    }
  }

  /** What the page knows about dataset garment id: {label (null before the index), split}. */
  garmentInfo(id) {
    return { label: this.index ? this.index.labels[id] : null, split: splitOf(id, this.manifest.garments.train_count) };
  }

  className(label) {
    return this.classes[label] ?? `class ${label}`;
  }

  /** Garments of each class in the index (an index may lack classes). */
  classCounts() {
    const counts = new Array(this.classes.length).fill(0);
    if (this.index) for (const c of this.index.labels) counts[c]++;
    return counts;
  }
}
