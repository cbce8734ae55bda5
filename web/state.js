// The page's shareable state, kept in the URL hash so a copied link reproduces the view.
// Pure module (no DOM, no globals, never throws) so it can be unit-tested and fuzzed in Node.
//
// Hash grammar (every key optional, any order; unknown or malformed parts are ignored with a note):
//   #z=0.5,-1.25,0        the latent vector (comma-separated decimals)
//   &k=123;456;z:0.1,-2   timeline keyframes: a dataset garment id, or z: followed by a latent vector
//   &m=likelihood         primary search metric: likelihood | euclidean
//   &cmp=1                show the other metric's ranking beside it: 0 | 1
//   &p=search             the panel in focus: explore | search | timeline | map
//   &i=slerp              interpolation: linear | slerp
//   &s=test               search filter, split: all | train | test
//   &c=3                  search filter, class: -1 (all) or 0..9

export const PANELS = Object.freeze(['explore', 'search', 'timeline', 'map']);
export const METRICS = Object.freeze(['likelihood', 'euclidean']);
export const INTERPOLATIONS = Object.freeze(['linear', 'slerp']);
export const SPLITS = Object.freeze(['all', 'train', 'test']);

// Bounds that keep a hostile or mangled link from costing memory or time.
export const LIMITS = Object.freeze({
  hashChars: 8192, // longer hashes are ignored whole
  dims: 256, // most latent dimensions accepted when the model's size is not known
  keyframes: 32, // most timeline keyframes
  zAbs: 100, // largest |z_k| accepted
  numberChars: 24, // longest single number token
});

/** The state a page starts from when the URL says nothing. */
export function defaultState() {
  return {
    z: null, // Float32Array(d) or null (all zeros)
    keyframes: [], // [{type: 'garment', id}] or [{type: 'z', z: Float32Array(d)}]
    metric: 'likelihood',
    compare: false,
    panel: 'explore',
    interp: 'slerp',
    split: 'all',
    label: -1,
  };
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
 * Returns {state, notes}: state is complete (defaults where the URL said nothing or was malformed),
 * notes are human-readable sentences about every part that was ignored.
 */
export function parseHash(hash, options = {}) {
  const state = defaultState();
  const notes = [];
  try {
    const latentSize = Number.isInteger(options.latentSize) && options.latentSize > 0 ? options.latentSize : 0;
    const itemCount = Number.isInteger(options.itemCount) && options.itemCount > 0 ? options.itemCount : 0;
    let text = typeof hash === 'string' ? hash : '';
    if (text.startsWith('#')) text = text.slice(1);
    if (text.length === 0) return { state, notes };
    if (text.length > LIMITS.hashChars) {
      notes.push(`The link's state is ${text.length} characters long (limit ${LIMITS.hashChars}) and was ignored.`);
      return { state, notes };
    }
    const seen = new Set();
    // Vectors in z and k must agree in length even when the model's size is not known yet.
    let vectorLength = latentSize;
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
      switch (key) {
        case 'z': {
          const r = parseVector(value, vectorLength, 'z');
          if (r.error) notes.push(`Ignored z: ${r.error}.`);
          else {
            state.z = r.z;
            vectorLength = r.z.length;
          }
          break;
        }
        case 'k': {
          const r = parseKeyframes(value, vectorLength, itemCount);
          if (r.error) notes.push(`Ignored the keyframes: ${r.error}.`);
          else {
            state.keyframes = r.keyframes;
            if (r.vectorLength) vectorLength = r.vectorLength;
          }
          break;
        }
        case 'm':
          if (METRICS.includes(value)) state.metric = value;
          else notes.push(`Ignored metric "${clip(value)}" (expected ${METRICS.join(' or ')}).`);
          break;
        case 'cmp':
          if (value === '0' || value === '1') state.compare = value === '1';
          else notes.push(`Ignored cmp "${clip(value)}" (expected 0 or 1).`);
          break;
        case 'p':
          if (PANELS.includes(value)) state.panel = value;
          else notes.push(`Ignored panel "${clip(value)}" (expected ${PANELS.join(', ')}).`);
          break;
        case 'i':
          if (INTERPOLATIONS.includes(value)) state.interp = value;
          else notes.push(`Ignored interpolation "${clip(value)}" (expected linear or slerp).`);
          break;
        case 's':
          if (SPLITS.includes(value)) state.split = value;
          else notes.push(`Ignored split "${clip(value)}" (expected all, train or test).`);
          break;
        case 'c': {
          const v = value === '-1' ? -1 : INT_RE.test(value) ? Number(value) : NaN;
          if (Number.isInteger(v) && v >= -1 && v <= 9) state.label = v;
          else notes.push(`Ignored class "${clip(value)}" (expected -1 to 9).`);
          break;
        }
        default:
          notes.push(`Ignored unknown setting "${clip(key)}".`);
      }
    }
  } catch (e) {
    // Unreachable by design; kept so a bug here degrades to the default view, never a blank page.
    notes.push(`The link's state could not be read (${clip(e && e.message)}); showing the default view.`);
    return { state: defaultState(), notes };
  }
  return { state, notes };
}

function parseKeyframes(value, vectorLength, itemCount) {
  if (value.length === 0) return { keyframes: [] };
  const tokens = value.split(';');
  if (tokens.length > LIMITS.keyframes) return { error: `${tokens.length} keyframes, at most ${LIMITS.keyframes}` };
  const keyframes = [];
  let length = vectorLength;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.startsWith('z:')) {
      const r = parseVector(t.slice(2), length, `keyframe ${i + 1}`);
      if (r.error) return { error: r.error };
      length = r.z.length;
      keyframes.push({ type: 'z', z: r.z });
    } else if (INT_RE.test(t)) {
      const id = Number(t);
      if (itemCount > 0 && id >= itemCount) return { error: `keyframe ${i + 1} is garment ${id}, the dataset has ${itemCount}` };
      keyframes.push({ type: 'garment', id });
    } else {
      return { error: `keyframe ${i + 1} (${clip(t)}) is neither a garment id nor z:...` };
    }
  }
  return { keyframes, vectorLength: length };
}

/** Formats a number compactly: 3 decimals, no trailing zeros, no "-0". */
export function formatNumber(v) {
  const r = Math.round(v * 1000) / 1000;
  if (r === 0 || !Number.isFinite(r)) return '0';
  return String(r);
}

function formatVector(z) {
  return Array.from(z, formatNumber).join(',');
}

/** Formats a state as a hash string starting with '#'; defaults are left out to keep links short. */
export function formatHash(state) {
  const d = defaultState();
  const parts = [];
  if (state.z && state.z.length) parts.push(`z=${formatVector(state.z)}`);
  if (state.keyframes && state.keyframes.length) {
    const k = state.keyframes.map((f) => (f.type === 'garment' ? String(f.id) : `z:${formatVector(f.z)}`));
    parts.push(`k=${k.join(';')}`);
  }
  if (state.metric !== d.metric) parts.push(`m=${state.metric}`);
  if (state.compare) parts.push('cmp=1');
  if (state.panel !== d.panel) parts.push(`p=${state.panel}`);
  if (state.interp !== d.interp) parts.push(`i=${state.interp}`);
  if (state.split !== d.split) parts.push(`s=${state.split}`);
  if (state.label !== d.label) parts.push(`c=${state.label}`);
  return parts.length ? `#${parts.join('&')}` : '';
}
