// web/state.js (the URL-hash state) in Node: round trips, tolerance of malformed input, limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHash, formatHash, defaultState, LIMITS } from '../../web/state.js';

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
  };
  const hash = formatHash(s);
  const { state, notes } = parseHash(hash, { latentSize: 4, itemCount: 70000 });
  assert.deepEqual(notes, []);
  assert.deepEqual(Array.from(state.z), [0.5, -1.25, 0, 3.125]);
  assert.deepEqual(state.keyframes.map((k) => (k.type === 'z' ? Array.from(k.z) : k.id)), [12, [1, 2, 3, -4.5], 69999]);
  for (const key of ['metric', 'compare', 'panel', 'interp', 'split', 'label']) assert.equal(state[key], s[key]);
  assert.equal(formatHash(state), hash);
});

test('defaults give an empty hash, and an empty hash gives defaults', () => {
  assert.equal(formatHash(defaultState()), '');
  assert.deepEqual(parseHash('').state, defaultState());
  assert.deepEqual(parseHash('#').state, defaultState());
});

test('numbers are rounded to 3 decimals without -0', () => {
  const hash = formatHash({ ...defaultState(), z: Float32Array.from([-0.0001, 1 / 3, -2 / 3]) });
  assert.equal(hash, '#z=0,0.333,-0.667');
});

test('malformed parts are ignored with notes, the rest is kept', () => {
  const cases = [
    ['#z=1,2,banana,4&m=euclidean', /z value 3/, (s) => s.z === null && s.metric === 'euclidean'],
    ['#z=1,2,3&p=timeline', /z has 3 values, expected 4/, (s) => s.z === null && s.panel === 'timeline'],
    ['#k=5;x;7', /keyframe 2/, (s) => s.keyframes.length === 0],
    ['#k=70000', /dataset has 70000/, (s) => s.keyframes.length === 0],
    ['#m=manhattan', /metric/, (s) => s.metric === 'likelihood'],
    ['#c=10', /class/, (s) => s.label === -1],
    ['#z=%E0%A4%A', /not a key=value/, (s) => s.z === null],
    ['#z=1e400,0,0,0', /not a number/, (s) => s.z === null],
    ['#z=1,2,3,4&z=4,3,2,1', /second "z"/, (s) => s.z[0] === 1],
    ['#what=ever', /unknown setting/, () => true],
    [`#z=${'1,'.repeat(5000)}1`, /limit/, (s) => s.z === null],
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
