// web/state.js (the URL-hash state) in Node: round trips, tolerance of malformed input, limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHash, formatHash, formatNumber, defaultState, clampLatent, LIMITS, PANELS, METRICS, INTERPOLATIONS, SPLITS, RESULT_COUNTS, STEPS, RANGES, COLORMAPS } from '../../web/state.js';

test('a full state round-trips through the hash', () => {
  const s = {
    ...defaultState(),
    z: Float32Array.from([0.5, -1.25, 0, 3.125]),
    keyframes: [{ type: 'garment', id: 12 }, { type: 'z', z: Float32Array.from([1, 2, 3, -4.5]) }, { type: 'garment', id: 69999 }],
    metric: 'euclidean',
    compare: true,
    panel: 'timeline',
    interp: 'linear',
    split: 'test',
    label: 7,
    results: 24,
    steps: 16,
    nearest: true,
    range: 8,
    colormap: 'paper',
    source: 4242,
  };
  const hash = formatHash(s);
  const { state, notes } = parseHash(hash, { latentSize: 4, itemCount: 70000 });
  assert.deepEqual(notes, []);
  assert.deepEqual(Array.from(state.z), [0.5, -1.25, 0, 3.125]);
  assert.deepEqual(state.keyframes.map((k) => (k.type === 'z' ? Array.from(k.z) : k.id)), [12, [1, 2, 3, -4.5], 69999]);
  for (const key of ['metric', 'compare', 'panel', 'interp', 'split', 'label', 'results', 'steps', 'nearest', 'range', 'colormap', 'source']) assert.equal(state[key], s[key]);
  assert.equal(formatHash(state), hash);
});

test('defaults give an empty hash, and an empty hash gives defaults', () => {
  assert.equal(formatHash(defaultState()), '');
  assert.deepEqual(parseHash('').state, defaultState());
  assert.deepEqual(parseHash('#').state, defaultState());
});

test('numbers are the shortest decimals that read back as the same float32, without -0', () => {
  const hash = formatHash({ ...defaultState(), z: Float32Array.from([-0.0001, 1 / 3, -2 / 3, -0, 0.07, 12.5]) });
  assert.equal(hash, '#z=-1e-4,0.33333334,-0.6666667,0,0.07,12.5');
  // Every float32 in the domain round-trips bit for bit (random bit patterns, and edge values).
  let seed = 11;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const bits = new Uint32Array(1), f = new Float32Array(bits.buffer);
  const values = [LIMITS.zAbs, -LIMITS.zAbs, 1e-45, -1.17549435e-38, 99.99999, 0.1, 3];
  while (values.length < 20000) {
    bits[0] = Math.floor(rnd() * 2 ** 32);
    if (Number.isFinite(f[0]) && Math.abs(f[0]) <= LIMITS.zAbs) values.push(f[0]);
  }
  for (const v of values) {
    const text = formatNumber(v);
    assert.ok(text.length <= 15, `${v} -> ${text}`);
    assert.equal(Math.fround(Number(text)), Math.fround(v), `${v} -> ${text}`);
  }
  const z = Float32Array.from(values.slice(0, 16));
  assert.deepEqual(parseHash(formatHash({ ...defaultState(), z }), { latentSize: 16 }).state.z, z);
});

test('the longest link the page can write fits the hash limit', () => {
  // z and 32 keyframes of 16 values of the longest form (15 characters), ids at the largest.
  const worst = Float32Array.from({ length: 16 }, () => -1.1754944e-38);
  const keyframes = Array.from({ length: LIMITS.keyframes }, () => ({ type: 'z', z: worst }));
  const s = { ...defaultState(), z: worst, source: 69999, keyframes, metric: 'euclidean', compare: true, panel: 'timeline', interp: 'linear', split: 'train', label: 9, results: 24, steps: 16, nearest: true, range: 8, colormap: 'paper' };
  const hash = formatHash(s);
  assert.ok(hash.length < LIMITS.hashChars, `${hash.length} characters`);
  const { state, notes } = parseHash(hash, { latentSize: 16, itemCount: 70000 });
  assert.deepEqual(notes, []);
  assert.equal(state.keyframes.length, LIMITS.keyframes);
  assert.equal(formatHash(state), hash);
});

test('every value of every setting round-trips, and only those are accepted', () => {
  const domains = { panel: PANELS, metric: METRICS, interp: INTERPOLATIONS, split: SPLITS, results: RESULT_COUNTS, steps: STEPS, range: RANGES, colormap: COLORMAPS, compare: [false, true], nearest: [false, true], label: [-1, 0, 5, 9] };
  for (const [field, values] of Object.entries(domains)) {
    for (const v of values) {
      const hash = formatHash({ ...defaultState(), [field]: v });
      const { state, notes } = parseHash(hash);
      assert.deepEqual(notes, [], hash);
      assert.equal(state[field], v, hash);
    }
  }
  assert.equal(parseHash('#p=own').state.panel, 'own');
  for (const [hash, note] of [['#n=7', /result count "7" \(expected 6, 12 or 24\)/], ['#st=0', /steps "0"/], ['#r=1e9', /slider range "1e9"/],
    ['#cm=rainbow', /colour map "rainbow"/], ['#nn=yes', /nearest "yes"/], ['#p=settings', /panel "settings"/], ['#c=3', null]]) {
    const { notes } = parseHash(hash, { classCount: 10 });
    if (note) assert.ok(notes.some((n) => note.test(n)), `${hash}: ${notes}`);
    else assert.deepEqual(notes, []);
  }
  assert.ok(parseHash('#c=3', { classCount: 3 }).notes.some((n) => /class "3" \(expected -1 to 2\)/.test(n)));
});

test('33 keyframes (one over the limit): the first 32 come back, with a note naming both numbers', () => {
  const ids = Array.from({ length: 33 }, (_, i) => i);
  const { state, notes } = parseHash(`#k=${ids.join(';')}`, { latentSize: 16, itemCount: 70000 });
  assert.deepEqual(state.keyframes.map((k) => k.id), ids.slice(0, 32));
  assert.ok(notes.some((n) => /33 keyframes.*at most 32/.test(n)), JSON.stringify(notes));
});

test('hash values outside the domains are named in the note: NaN, 1e308, ids', () => {
  const cases = [
    ['#z=NaN,0,0,0', /z value 1 \(NaN\) is not a number within ±100/],
    ['#z=0,1e308,0,0', /z value 2 \(1e308\)/],
    ['#z=0,0,0,100.5', /z value 4 \(100.5\)/],
    ['#z=0,0,0,-Infinity', /z value 4 \(-Infinity\)/],
    ['#k=z:0,0,0,1e39', /keyframe 1 value 4 \(1e39\)/],
    ['#z=0,0,0,0&g=70000', /garment 70000 does not exist/],
    ['#z=0,0,0,0&g=-1', /-1 is not a garment id/],
    ['#k=12;1e3', /keyframe 2: 1e3 is not a garment id/],
  ];
  for (const [hash, note] of cases) {
    const { state, notes } = parseHash(hash, { latentSize: 4, itemCount: 70000 });
    assert.ok(notes.some((n) => note.test(n)), `${hash}: ${JSON.stringify(notes)}`);
    if (state.z) assert.ok(Array.from(state.z).every(Number.isFinite));
  }
  // g without z means nothing: dropped.
  assert.equal(parseHash('#g=5', { itemCount: 70000 }).state.source, null);
});

test('clampLatent keeps z in the domain and names what it changed', () => {
  const r = clampLatent([0.5, 150, -1e9, NaN, Infinity, -100]);
  assert.deepEqual(Array.from(r.z), [0.5, 100, -100, 0, 0, -100]);
  assert.deepEqual(r.clamped, [1, 2]);
  assert.deepEqual(r.invalid, [3, 4]);
});

test('malformed parts are ignored with notes, the rest is kept', () => {
  const cases = [
    ['#z=1,2,banana,4&m=euclidean', /z value 3/, (s) => s.z === null && s.metric === 'euclidean'],
    ['#z=1,2,3&p=timeline', /z has 3 values, expected 4/, (s) => s.z === null && s.panel === 'timeline'],
    ['#k=5;x;7', /keyframe 2/, (s) => s.keyframes.length === 0],
    ['#k=70000', /the dataset has 70000/, (s) => s.keyframes.length === 0],
    ['#m=manhattan', /metric/, (s) => s.metric === 'likelihood'],
    ['#c=10', /class/, (s) => s.label === -1],
    ['#z=%E0%A4%A', /not a key=value/, (s) => s.z === null],
    ['#z=1e400,0,0,0', /not a number/, (s) => s.z === null],
    ['#z=1,2,3,4&z=4,3,2,1', /second "z"/, (s) => s.z[0] === 1],
    ['#what=ever', /unknown setting/, () => true],
    [`#z=${'1,'.repeat(LIMITS.hashChars / 2)}1`, /limit/, (s) => s.z === null],
  ];
  for (const [hash, note, check] of cases) {
    const { state, notes } = parseHash(hash, { latentSize: 4, itemCount: 70000 });
    assert.ok(notes.some((n) => note.test(n)), `${hash.slice(0, 40)}: notes ${JSON.stringify(notes)}`);
    assert.ok(check(state), `${hash.slice(0, 40)}: state`);
  }
});

test('vectors must agree in length when the model size is unknown', () => {
  const { state, notes } = parseHash('#z=1,2,3&k=z:1,2;4', {});
  assert.equal(state.z.length, 3);
  assert.equal(state.keyframes.length, 0);
  assert.ok(notes.some((n) => /keyframe 1 has 2 values, expected 3/.test(n)));
});

test('random and hostile input never throws and always yields a complete state', () => {
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const alphabet = 'zkmpicsz=&;:,.-+e0123456789%#abxyZ \u00e9\u0000\ud800';
  const keys = Object.keys(defaultState());
  for (let i = 0; i < 3000; i++) {
    let h = '';
    const n = Math.floor(rnd() * 80);
    for (let j = 0; j < n; j++) h += alphabet[Math.floor(rnd() * alphabet.length)];
    if (rnd() < 0.3) h = `#z=${h}`;
    const { state, notes } = parseHash(h, rnd() < 0.5 ? { latentSize: 4, itemCount: 100 } : {});
    assert.deepEqual(Object.keys(state).sort(), [...keys].sort());
    assert.ok(Array.isArray(notes));
    assert.ok(state.keyframes.length <= LIMITS.keyframes);
    if (state.z) assert.ok(Array.from(state.z).every(Number.isFinite));
  }
  for (const weird of [null, undefined, 42, {}, '#'.repeat(100000)]) assert.doesNotThrow(() => parseHash(weird));
});
