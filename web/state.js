// The page's shareable state, kept in the URL hash so a copied link reproduces the view, and the
// one definition of every setting's domain: the controls are built from these lists and the
// parser accepts exactly them, so whatever the page can show, its link brings back.
// Pure module (no DOM, no globals, never throws) so it can be unit-tested and fuzzed in Node.
//
// Hash grammar (every key optional, any order; unknown or malformed parts are ignored with a note):
//   #z=0.5,-1.25,0        the latent vector (comma-separated decimals, each float32 exactly)
//   &g=123                z is the μ of dataset garment 123 (the caption and its thumbnail say so)
//   &k=123;456;z:0.1,-2   timeline keyframes: a dataset garment id, or z: followed by a latent vector
//   &m=likelihood         primary search metric: likelihood | euclidean
//   &cmp=1                show the other metric's ranking beside it: 0 | 1
//   &p=search             the panel in focus: explore | search | timeline | map | own
//   &i=slerp              interpolation: linear | slerp
//   &s=test               search filter, split: all | train | test
//   &c=3                  search filter, class: -1 (all) or 0..9
//   &n=24                 search results shown per ranking: 6 | 12 | 24
//   &st=12                timeline steps per segment: 4 | 8 | 12 | 16
//   &nn=1                 the most likely dataset garment under each timeline frame: 0 | 1
//   &r=8                  slider range ±: 3 | 5 | 8
//   &cm=tide              colour map: ember | grey | paper | tide
// Not in the link: playback, the temperature of the next Randomise, the garment-id box, the
// attribute-direction sliders (relative moves of z: the link has the z they made), and your own
// pictures (they never leave the browser).

export const PANELS = Object.freeze(['explore', 'search', 'timeline', 'map', 'own']);
export const METRICS = Object.freeze(['likelihood', 'euclidean']);
export const INTERPOLATIONS = Object.freeze(['linear', 'slerp']);
export const SPLITS = Object.freeze(['all', 'train', 'test']);
export const RESULT_COUNTS = Object.freeze([6, 12, 24]);
export const STEPS = Object.freeze([4, 8, 12, 16]);
export const RANGES = Object.freeze([3, 5, 8]);
export const COLORMAPS = Object.freeze(['ember', 'grey', 'paper', 'tide']);
/** Classes when the manifest does not say (Fashion-MNIST's ten). */
export const CLASS_COUNT = 10;

// Bounds that keep a hostile or mangled link from costing memory or time, and the domains the UI
// keeps to (the timeline stops at `keyframes`; z is held within ±zAbs).
export const LIMITS = Object.freeze({
  // Longer hashes are ignored whole. The longest link the page can write: 33 vectors (z and 32
  // keyframes) of 16 numbers of at most 15 characters (shortest exact float32) is about 8,600.
  hashChars: 16384,
  dims: 256, // most latent dimensions accepted when the model's size is not known
  keyframes: 32, // most timeline keyframes
  zAbs: 100, // largest |z_k| accepted (the UI clamps to it)
  numberChars: 24, // longest single number token
});

/** The state a page starts from when the URL says nothing. */
export function defaultState() {
  return {
    z: null, // Float32Array(d) or null (all zeros)
    source: null, // id of the dataset garment whose μ z is, or null
    keyframes: [], // [{type: 'garment', id}] or [{type: 'z', z: Float32Array(d)}]
    metric: 'likelihood',
    compare: false,
    panel: 'explore',
    interp: 'slerp',
    split: 'all',
    label: -1,
    results: 12,
    steps: 8,
    nearest: false,
    range: 5,
    colormap: 'ember',
  };
}

const flag = (v) => (v ? '1' : '0');
const oneOf = (values) => values.map(String).join(', ').replace(/, ([^,]*)$/, ' or $1');

// The settings that take one value of a list: URL key, field of the state, domain, text form.
const CHOICES = [
  { key: 'm', field: 'metric', what: 'metric', values: METRICS },
  { key: 'cmp', field: 'compare', what: 'cmp', values: [false, true], text: flag },
  { key: 'p', field: 'panel', what: 'panel', values: PANELS },
  { key: 'i', field: 'interp', what: 'interpolation', values: INTERPOLATIONS },
  { key: 's', field: 'split', what: 'split', values: SPLITS },
  { key: 'n', field: 'results', what: 'result count', values: RESULT_COUNTS },
  { key: 'st', field: 'steps', what: 'steps', values: STEPS },
  { key: 'nn', field: 'nearest', what: 'nearest', values: [false, true], text: flag },
  { key: 'r', field: 'range', what: 'slider range', values: RANGES },
  { key: 'cm', field: 'colormap', what: 'colour map', values: COLORMAPS },
];

/**
 * The latent domain the UI keeps z in: finite and within ±LIMITS.zAbs. Returns {z, clamped,
 * invalid}: z a new Float32Array (clamped values at ±zAbs, non-finite ones at 0), clamped and
 * invalid the indices of the values that were changed.
 */
export function clampLatent(values) {
  const z = Float32Array.from(values);
  const clamped = [], invalid = [];
  for (let k = 0; k < z.length; k++) {
    if (!Number.isFinite(z[k])) {
      invalid.push(k);
      z[k] = 0;
    } else if (Math.abs(z[k]) > LIMITS.zAbs) {
      clamped.push(k);
      z[k] = Math.sign(z[k]) * LIMITS.zAbs;
    }
  }
  return { z, clamped, invalid };
}

const NUMBER_RE = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d{1,3})?$/;
const INT_RE = /^\d{1,9}$/;

// Parses one decimal number; returns null when it is not a plain finite decimal in range.
function parseNumber(token) {
  if (typeof token !== 'string' || token.length === 0 || token.length > LIMITS.numberChars) return null;
  if (!NUMBER_RE.test(token)) return null;
  const v = Number(token);
  if (!Number.isFinite(v) || Math.abs(v) > LIMITS.zAbs) return null;
  return v;
}

// Parses "a,b,c" into a Float32Array, checking the length against latentSize when known.
function parseVector(text, latentSize, what) {
  if (text.length === 0) return { error: `${what} is empty` };
  const parts = text.split(',');
  const maxDims = latentSize > 0 ? latentSize : LIMITS.dims;
  if (parts.length > maxDims || (latentSize > 0 && parts.length !== latentSize)) {
    return { error: `${what} has ${parts.length} values, expected ${latentSize > 0 ? latentSize : `at most ${maxDims}`}` };
  }
  const z = new Float32Array(parts.length);
  for (let i = 0; i < parts.length; i++) {
    const v = parseNumber(parts[i]);
    if (v === null) return { error: `${what} value ${i + 1} (${clip(parts[i])}) is not a number within ±${LIMITS.zAbs}` };
    z[i] = v;
  }
  return { z };
}

// Shortens user text quoted in a note, so a long mangled link cannot flood the page.
function clip(text) {
  const s = String(text);
  return s.length > 24 ? `${s.slice(0, 21)}...` : s;
}

function safeDecode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/**
 * Parses a location hash ("#z=..&k=.." or without the '#').
 * options.latentSize: expected vector length (0 or absent: any length up to LIMITS.dims, all equal).
 * options.itemCount: number of dataset garments (ids must be below it; absent: any id up to 999,999,999).
 * options.classCount: number of classes (class filters must be below it; default CLASS_COUNT).
 * Returns {state, notes}: state is complete (defaults where the URL said nothing or was malformed),
 * notes are human-readable sentences about every part that was ignored.
 */
export function parseHash(hash, options = {}) {
  const state = defaultState();
  const notes = [];
  try {
    const latentSize = Number.isInteger(options.latentSize) && options.latentSize > 0 ? options.latentSize : 0;
    const itemCount = Number.isInteger(options.itemCount) && options.itemCount > 0 ? options.itemCount : 0;
    const classCount = Number.isInteger(options.classCount) && options.classCount > 0 ? options.classCount : CLASS_COUNT;
    let text = typeof hash === 'string' ? hash : '';
    if (text.startsWith('#')) text = text.slice(1);
    if (text.length === 0) return { state, notes };
    if (text.length > LIMITS.hashChars) {
      notes.push(`The link's state is ${text.length} characters long (limit ${LIMITS.hashChars}) and was ignored.`);
      return { state, notes };
    }
    const seen = new Set();
    // Vectors in z and k must agree in length even when the model's size is not known yet.
    const ctx = { vectorLength: latentSize, itemCount, classCount };
    for (const pair of text.split('&')) {
      if (pair.length === 0) continue;
      const eq = pair.indexOf('=');
      const rawKey = eq < 0 ? pair : pair.slice(0, eq);
      const key = safeDecode(rawKey);
      const value = eq < 0 ? null : safeDecode(pair.slice(eq + 1));
      if (key === null || value === null) {
        notes.push(`Ignored "${clip(pair)}": not a key=value pair.`);
        continue;
      }
      if (seen.has(key)) {
        notes.push(`Ignored a second "${clip(key)}".`);
        continue;
      }
      seen.add(key);
      parseSetting(key, value, ctx, state, notes);
    }
    // g says which garment z is the μ of: without z it means nothing.
    if (state.source !== null && !state.z) state.source = null;
  } catch (e) {
    // Unreachable by design; kept so a bug here degrades to the default view, never a blank page.
    notes.push(`The link's state could not be read (${clip(e && e.message)}); showing the default view.`);
    return { state: defaultState(), notes };
  }
  return { state, notes };
}

// Reads one key=value into state, or adds a note saying why it was ignored.
function parseSetting(key, value, ctx, state, notes) {
  const choice = CHOICES.find((c) => c.key === key);
  if (choice) {
    const text = choice.text || String;
    const v = choice.values.find((x) => text(x) === value);
    if (v !== undefined) state[choice.field] = v;
    else notes.push(`Ignored ${choice.what} "${clip(value)}" (expected ${oneOf(choice.values.map(text))}).`);
    return;
  }
  switch (key) {
    case 'z': {
      const r = parseVector(value, ctx.vectorLength, 'z');
      if (r.error) notes.push(`Ignored z: ${r.error}.`);
      else {
        state.z = r.z;
        ctx.vectorLength = r.z.length;
      }
      break;
    }
    case 'g': {
      const id = parseId(value, ctx.itemCount);
      if (id.error) notes.push(`Ignored the source garment: ${id.error}.`);
      else state.source = id.id;
      break;
    }
    case 'k': {
      const r = parseKeyframes(value, ctx.vectorLength, ctx.itemCount);
      if (r.error) notes.push(`Ignored the keyframes: ${r.error}.`);
      else {
        state.keyframes = r.keyframes;
        if (r.vectorLength) ctx.vectorLength = r.vectorLength;
        if (r.note) notes.push(r.note);
      }
      break;
    }
    case 'c': {
      const v = value === '-1' ? -1 : INT_RE.test(value) ? Number(value) : NaN;
      if (Number.isInteger(v) && v >= -1 && v < ctx.classCount) state.label = v;
      else notes.push(`Ignored class "${clip(value)}" (expected -1 to ${ctx.classCount - 1}).`);
      break;
    }
    default:
      notes.push(`Ignored unknown setting "${clip(key)}".`);
  }
}

// A dataset garment id: digits only, below itemCount when known.
function parseId(text, itemCount) {
  if (!INT_RE.test(text)) return { error: `${clip(text)} is not a garment id (0, 1, 2, ...)` };
  const id = Number(text);
  if (itemCount > 0 && id >= itemCount) return { error: `garment ${id} does not exist (the dataset has ${itemCount}, ids 0 to ${itemCount - 1})` };
  return { id };
}

function parseKeyframes(value, vectorLength, itemCount) {
  if (value.length === 0) return { keyframes: [] };
  let tokens = value.split(';');
  let note = null;
  if (tokens.length > LIMITS.keyframes) {
    note = `The link has ${tokens.length} keyframes; the timeline holds at most ${LIMITS.keyframes}, so the first ${LIMITS.keyframes} are shown.`;
    tokens = tokens.slice(0, LIMITS.keyframes);
  }
  const keyframes = [];
  let length = vectorLength;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.startsWith('z:')) {
      const r = parseVector(t.slice(2), length, `keyframe ${i + 1}`);
      if (r.error) return { error: r.error };
      length = r.z.length;
      keyframes.push({ type: 'z', z: r.z });
    } else {
      const r = parseId(t, itemCount);
      if (r.error) return { error: `keyframe ${i + 1}: ${r.error}` };
      keyframes.push({ type: 'garment', id: r.id });
    }
  }
  return { keyframes, vectorLength: length, note };
}

/**
 * The shortest decimal that reads back as the same float32 (so a link restores z bit for bit);
 * "0" for zero (and -0) and for non-finite values, which the domain excludes.
 */
export function formatNumber(v) {
  const f = Math.fround(v);
  if (f === 0 || !Number.isFinite(f)) return '0';
  for (let p = 1; p <= 9; p++) {
    const fixed = trimZeros(f.toPrecision(p));
    if (Math.fround(Number(fixed)) === f) {
      const sci = trimZeros(f.toExponential(p - 1));
      return sci.length < fixed.length ? sci : fixed;
    }
  }
  return String(f); // unreachable: 9 significant digits always identify a float32
}

// "1.500" -> "1.5", "2.0e-7" -> "2e-7", "1.20e+3" -> "1.2e3"
function trimZeros(s) {
  const [mant, exp] = s.split('e');
  const m = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant;
  if (exp === undefined) return m;
  return `${m}e${exp.replace('+', '')}`;
}

function formatVector(z) {
  return Array.from(z, formatNumber).join(',');
}

/** Formats a state as a hash string starting with '#'; defaults are left out to keep links short. */
export function formatHash(state) {
  const d = defaultState();
  const parts = [];
  if (state.z && state.z.length) {
    parts.push(`z=${formatVector(state.z)}`);
    if (Number.isInteger(state.source)) parts.push(`g=${state.source}`);
  }
  if (state.keyframes && state.keyframes.length) {
    const k = state.keyframes.map((f) => (f.type === 'garment' ? String(f.id) : `z:${formatVector(f.z)}`));
    parts.push(`k=${k.join(';')}`);
  }
  for (const c of CHOICES) {
    if (state[c.field] !== undefined && state[c.field] !== d[c.field]) parts.push(`${c.key}=${(c.text || String)(state[c.field])}`);
  }
  if (state.label !== undefined && state.label !== d.label) parts.push(`c=${state.label}`);
  return parts.length ? `#${parts.join('&')}` : '';
}
