// "Your own garment" panel: upload or draw a picture, see it as the model gets it (28 x 28,
// Fashion-MNIST style), its reconstruction, its place in the dataset (search), its anomaly score
// with a percentile among the test garments; the dataset's most anomalous garments; and attribute
// directions between class means ("more like a sneaker", shirt -> dress).
//
// The picture is turned into the model's input on this thread (preprocess.js, a few ms); the worker
// encodes, decodes, searches and scores it (own-worker.js).

import { app, escapeHtml } from './app.js';
import { preprocess, truncation, bytesToPixels, pixelsToBytes, SIDE } from './preprocess.js';
import { drawGarment } from './render.js';
import { Lane, isStale } from './latest.js';

const $ = (id) => document.getElementById(id);
// Pictures are scaled down to at most MAX_PIXELS (the result is 28 x 28 anyway), and to MAX_SIDE on
// the longer side (a canvas limit); the shorter side must keep MIN_SIDE pixels, so a background
// ring is left around a garment.
const MAX_PIXELS = 512 * 512;
const MAX_SIDE = 8192;
const MIN_SIDE = 3;
const IWAE_K = 100;
const HITS = 12;

// Measurements and last results, read by tests/browser/own.test.mjs.
// busy: pictures still being decoded or run (tests wait for 0 before they look).
const own = (window.__lwOwn = { encodes: [], scores: [], roundTrips: [], preprocess: [], last: null, lastScore: null, anomalies: null, shown: null, busy: 0 });

// One picture at a time: choosing, dropping or drawing a picture (or scoring a dataset garment)
// begins a request; the answers of an earlier one (its decoding, encoding, search and score) are
// dropped when they arrive late, so the panel always ends on the newest choice.
const ownLane = new Lane('own');

const panel = $('panel-own');
panel.innerHTML = `
  <header class="panel-head">
    <h2 id="h-own"><span class="num" aria-hidden="true">5</span>Your own garment</h2>
    <p>Drop a picture (PNG, JPEG, WebP, GIF, BMP or SVG; a transparent background is the background) or draw
      one. It is prepared the way Fashion-MNIST was made: grey, bright on black, trimmed and fitted into 28 × 28. The encoder puts it in latent space; the score says how
      usual it is for this model.</p>
  </header>
  <div class="own-grid">
    <div class="own-inputs">
      <label id="own-drop" class="own-drop" tabindex="0">
        <input type="file" id="own-file" accept="image/*" class="sr-only">
        <span>Drop a picture here, or <u>choose a file</u></span>
      </label>
      <div class="own-draw">
        <canvas id="own-canvas" width="280" height="280" aria-label="Drawing canvas: draw a garment with the mouse or a finger"></canvas>
        <div class="row small">
          <button type="button" id="own-use-drawing" class="btn primary">Use drawing</button>
          <button type="button" id="own-clear" class="btn">Clear</button>
          <label class="field inline">Brush <input type="range" id="own-brush" min="4" max="40" value="14"></label>
        </div>
      </div>
    </div>
    <div class="own-outputs">
      <figure><canvas id="own-input" class="garment" width="28" height="28" role="img" aria-label="Your picture as the model gets it, 28 by 28"></canvas><figcaption>model input</figcaption></figure>
      <figure><canvas id="own-recon" class="garment" width="28" height="28" role="img" aria-label="The model's reconstruction of your picture"></canvas><figcaption>reconstruction</figcaption></figure>
      <div class="own-score" id="own-score" role="status" aria-live="polite">No picture yet.</div>
      <button type="button" id="own-score-current" class="btn" hidden>Score the sliders' dataset garment</button>
    </div>
  </div>
  <h3 class="strip-title">Closest dataset garments <span id="own-hits-info"></span></h3>
  <ol id="own-hits" class="own-thumbs" aria-label="Dataset garments most likely to have your garment's latent vector"></ol>
  <h3 class="strip-title">Attribute directions</h3>
  <p class="own-note">Class mean directions: the mean μ of a class minus the mean μ of all garments. Each slider moves z along one, from where z was when you started.</p>
  <div id="own-dirs" class="own-dirs" role="group" aria-label="More like a class"></div>
  <form id="own-arith" class="row small own-arith">
    <label class="field inline">From <select id="own-from"></select></label>
    <label class="field inline">to <select id="own-to"></select></label>
    <button type="submit" class="btn">Apply z + (mean to − mean from)</button>
  </form>
  <h3 class="strip-title">Most anomalous test garments <span id="own-anom-info"></span></h3>
  <button type="button" id="own-show-anomalies" class="btn">Show the 24 most anomalous</button>
  <ol id="own-anomalies" class="own-thumbs" aria-label="Test garments with the highest IWAE negative log-likelihood"></ol>
`;

// ---------------------------------------------------------------- readiness

function whenReady() {
  return new Promise((resolve) => {
    const check = () => (app.client && app.z && document.body.dataset.decoder === 'ready' ? resolve() : setTimeout(check, 50));
    check();
  });
}

let encoderP = null;
function encoder() {
  if (!encoderP) {
    setStatus('Loading the encoder…');
    encoderP = app.client.call('loadEncoder').then((info) => {
      own.anomalies = info.anomalies;
      return info;
    }, (e) => {
      encoderP = null;
      throw e;
    });
  }
  return encoderP;
}

function setStatus(html) {
  $('own-score').innerHTML = html;
}

// ---------------------------------------------------------------- pictures -> model input

/** A file that is not a picture this browser can draw; the message names the file. */
class PictureError extends Error {}

/**
 * Decodes a picture file (any format the browser reads: PNG, JPEG, WebP, GIF's first frame, BMP,
 * SVG, ...) into RGBA ImageData, scaled down to MAX_PIXELS and MAX_SIDE. Throws PictureError
 * naming the file when it is empty or not a picture.
 */
async function decodePicture(file) {
  const name = file.name || 'The file';
  if (file.size === 0) throw new PictureError(`${name} is empty (0 bytes), not a picture.`);
  const ends = await Promise.all([file.slice(0, 16), file.slice(-64)].map(async (b) => new Uint8Array(await b.arrayBuffer())));
  const cut = truncation(ends[0], ends[1], file.size);
  if (cut) throw new PictureError(`${name} is cut short (${cut}): it may be damaged or not fully downloaded.`);
  let source;
  try {
    source = await createImageBitmap(file);
  } catch {
    source = await loadImageElement(file); // SVG: createImageBitmap does not take vector images
  }
  const width = source.naturalWidth || source.width, height = source.naturalHeight || source.height;
  if (!(width >= 1 && height >= 1)) throw new PictureError(`${name} has no size (${width} x ${height} pixels); give the SVG a width and height.`);
  const scale = Math.min(1, Math.sqrt(MAX_PIXELS / (width * height)), MAX_SIDE / Math.max(width, height));
  const w = Math.round(width * scale), h = Math.round(height * scale);
  if (Math.min(w, h) < MIN_SIDE) {
    const scaled = scale < 1 ? ` (${w} x ${h} once fitted into ${MAX_SIDE} pixels)` : '';
    throw new PictureError(`${name} is ${width} x ${height} pixels${scaled}: too small or too thin to find a garment on a background; a picture needs at least ${MIN_SIDE} pixels each way.`);
  }
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  const ctx = c.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(source, 0, 0, w, h);
  source.close?.();
  return ctx.getImageData(0, 0, w, h);
}

function loadImageElement(file) {
  const url = URL.createObjectURL(file);
  const img = new Image();
  img.src = url;
  return img.decode().then(
    () => img,
    () => {
      const what = file.type ? `its type is ${file.type}` : 'its type is unknown';
      throw new PictureError(`${file.name || 'The file'} is not a picture this browser can read (${what}, ${file.size} bytes): it may be damaged, cut short, or another kind of file.`);
    },
  ).finally(() => URL.revokeObjectURL(url));
}

async function fromFile(file, ticket = ownLane.begin(), zTicket = app.zLane.begin()) {
  if (!file) return;
  own.busy++;
  try {
    let imageData;
    try {
      imageData = await ticket.wait(decodePicture(file));
    } catch (e) {
      if (isStale(e)) return;
      if (!(e instanceof PictureError)) throw e;
      return refuse(escapeHtml(e.message));
    }
    await runPicture(imageData, file.name, { ticket, zTicket });
  } finally {
    own.busy--;
  }
}

// A picture that gives no model input: say why, and keep what the panel shows (it says which).
function refuse(html) {
  const kept = own.shown ? ` The panel still shows ${escapeHtml(own.shown)}.` : '';
  setStatus(`<span class="own-flag high" data-testid="own-refused">${html}</span>${kept}`);
  panel.dataset.ownRefused = String(Date.now());
}

async function runPicture(imageData, name, { ticket = ownLane.begin(), zTicket = app.zLane.begin() } = {}) {
  const t0 = performance.now();
  const r = preprocess(imageData.data, imageData.width, imageData.height);
  const tPre = performance.now() - t0;
  own.preprocess.push(tPre);
  if (r.empty) {
    return refuse(`Nothing stands out from the background of ${escapeHtml(name)}: draw or choose a picture with a garment on a plain or transparent background.`);
  }
  await run(r.pixels, { name, preprocessMs: tPre, inverted: r.inverted, ticket, zTicket });
}

/**
 * Encodes, reconstructs, searches and scores pixels (Float32Array(784) in [0, 1]); loads μ into the
 * sliders unless z moved meanwhile. A newer request (ticket) makes every later step a no-op.
 */
async function run(pixels, { name, preprocessMs = 0, inverted = false, loadSliders = true, ticket = ownLane.begin(), zTicket = app.zLane.begin() } = {}) {
  own.busy++;
  try {
    await runSteps(pixels, { name, preprocessMs, inverted, loadSliders, ticket, zTicket });
  } catch (e) {
    if (!isStale(e)) throw e;
  } finally {
    own.busy--;
  }
}

async function runSteps(pixels, { name, preprocessMs, inverted, loadSliders, ticket, zTicket }) {
  ticket.check();
  drawGarment($('own-input'), pixelsToBytes(pixels), app.lut);
  own.inputPixels = pixels;
  own.shown = name;
  delete panel.dataset.ownRefused;
  try {
    await ticket.wait(encoder());
  } catch (e) {
    if (isStale(e)) throw e;
    setStatus(`The encoder is unavailable: ${escapeHtml(e.message)}`);
    return;
  }
  const t0 = performance.now();
  const res = await ticket.wait(app.client.call('ownEncode', { pixels, k: HITS, filter: {} }));
  const roundTrip = performance.now() - t0;
  own.encodes.push(res.ms);
  own.roundTrips.push(roundTrip);
  own.last = { name, mu: res.mu, sigma: res.sigma, hits: res.hits, quick: res.quick, workerMs: res.ms, roundTripMs: roundTrip, preprocessMs };
  drawGarment($('own-recon'), res.recon, app.lut);
  if (loadSliders && zTicket.current()) app.setZ(res.mu); // unless z moved since the picture was chosen
  showHits(res.hits);
  setStatus(`${escapeHtml(name)}${inverted ? ' (inverted: light background)' : ''}: −ELBO ≈ <b>${nats(res.quick.negElbo)}</b> nats
    (one sample); computing the importance-weighted score (k = ${IWAE_K})…
    <small class="muted">encode + search + score in the worker: ${res.ms.toFixed(1)} ms</small>`);
  const s = await ticket.wait(app.client.call('ownScore', { pixels, k: IWAE_K }));
  own.scores.push(s.ms);
  own.lastScore = s;
  showScore(name, s, res.ms);
}

const nats = (v) => (Number.isFinite(v) ? v.toFixed(1) : 'not computable');
const percentileText = (v) => (Number.isFinite(v) ? v.toFixed(1) : 'unknown (the encoder ships no test-garment statistics for it)');

// The score with its percentiles and a verdict; an encoder blob without the test garments'
// statistics (percentile NaN) gets scores without percentiles and says so, never "NaN".
function showScore(name, s, encodeMs) {
  const p = Number.isFinite(s.percentile) ? s.percentile : null;
  // The verdict follows the complexity-corrected score when the blob has its statistics: plain
  // likelihood rates simple pictures (a stroke, a digit) as typical or likelier than any garment.
  const q = Number.isFinite(s.oodPercentile) ? s.oodPercentile : null;
  let verdict;
  if (q !== null && q > 99) verdict = '<span class="own-flag high">not like the garments: its complexity-corrected score is above 99% of the test garments\'</span>';
  else if (p === null) verdict = '<span class="own-flag">no verdict: this encoder ships no test-garment scores to compare with</span>';
  else if (p > 99) verdict = '<span class="own-flag high">unusual: less likely than 99% of the test garments</span>';
  else if (p < 1) verdict = '<span class="own-flag low">a plain picture: likelier than 99% of the test garments (likelihood favours simple images)</span>';
  else verdict = '<span class="own-flag ok">typical for a garment</span>';
  const corrected = q === null ? '' : `<br>corrected for complexity: −log p(x) − L(x) = <b>${nats(s.ood)}</b> nats (L(x) = ${nats(s.complexity)}), percentile <b data-testid="own-ood-percentile">${q.toFixed(1)}</b>`;
  setStatus(`<b>${escapeHtml(name)}</b><br>
    IWAE −log p(x) ≈ <b>${nats(s.iwaeNll)}</b> nats (k = ${s.k}), percentile <b data-testid="own-percentile">${percentileText(p)}</b> among test garments<br>
    −ELBO ${nats(s.negElbo)} nats (percentile ${percentileText(s.elboPercentile)})${corrected}<br>${verdict}
    <br><small class="muted">worker: encode + search ${encodeMs.toFixed(1)} ms, IWAE ${s.ms.toFixed(1)} ms</small>`);
  if (p === null) delete panel.dataset.ownPercentile;
  else panel.dataset.ownPercentile = String(p);
  if (q === null) delete panel.dataset.ownOodPercentile;
  else panel.dataset.ownOodPercentile = String(q);
}

// ---------------------------------------------------------------- dataset thumbnails

function thumb(id, caption, onClick) {
  const li = document.createElement('li');
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'own-thumb';
  b.dataset.id = String(id);
  const c = document.createElement('canvas');
  c.className = 'garment';
  c.width = c.height = SIDE;
  const label = app.index ? app.className(app.index.labels[id]) : '';
  b.setAttribute('aria-label', `Garment ${id}${label ? `, ${label}` : ''}${caption ? `, ${caption}` : ''}`);
  const cap = document.createElement('span');
  cap.textContent = caption || `#${id}`;
  b.append(c, cap);
  b.onclick = onClick;
  li.append(b);
  app.store.get(id).then((px) => drawGarment(c, px, app.lut)).catch(() => {}); // a new canvas per garment: never stale
  return li;
}

function showHits(hits) {
  const ol = $('own-hits');
  ol.replaceChildren();
  if (!hits) {
    $('own-hits-info').textContent = '(the index is not loaded)';
    return;
  }
  $('own-hits-info').textContent = '';
  hits.ids.forEach((id) => ol.append(thumb(id, `#${id}`, () => app.loadGarmentIntoSliders(id).catch((e) => app.note(e.message)))));
}

/** Scores dataset garment id (its grey pixels from the garment pages). */
async function scoreGarment(id) {
  const ticket = ownLane.begin();
  try {
    const px = await ticket.wait(app.store.get(id));
    await run(bytesToPixels(px), { name: `Garment #${id}`, loadSliders: false, ticket });
  } catch (e) {
    if (!isStale(e)) throw e;
  }
}

$('own-show-anomalies').addEventListener('click', async () => {
  let info;
  try {
    info = await encoder();
  } catch (e) {
    $('own-anom-info').textContent = `(unavailable: ${e.message})`;
    return;
  }
  const { ids, nll } = info.anomalies;
  const ol = $('own-anomalies');
  ol.replaceChildren();
  $('own-anom-info').textContent = ids.length
    ? `(IWAE −log p(x), of ${ids.length} shipped; click one to load and score it)`
    : '(this encoder ships no list of anomalous garments)';
  for (let i = 0; i < Math.min(24, ids.length); i++) {
    const id = ids[i];
    ol.append(thumb(id, `${nll[i].toFixed(0)} nats`, async () => {
      await app.loadGarmentIntoSliders(id).catch((e) => app.note(e.message));
      await scoreGarment(id);
    }));
  }
});

$('own-score-current').addEventListener('click', () => {
  if (app.zSource) scoreGarment(app.zSource.id).catch((e) => app.note(e.message));
});
app.on('z', () => {
  // Runs on every slider frame: touch the DOM only when the label changes.
  const b = $('own-score-current');
  const text = app.zSource ? `Score garment #${app.zSource.id}` : '';
  if (b._text === text) return;
  b._text = text;
  b.hidden = !app.zSource;
  if (app.zSource) b.textContent = text;
});

// ---------------------------------------------------------------- drawing canvas

const canvas = $('own-canvas');
const dctx = canvas.getContext('2d');
function clearCanvas() {
  dctx.fillStyle = '#000';
  dctx.fillRect(0, 0, canvas.width, canvas.height);
}
clearCanvas();
let drawing = null;
canvas.addEventListener('pointerdown', (e) => {
  canvas.setPointerCapture(e.pointerId);
  drawing = point(e);
  stroke(drawing, drawing);
});
canvas.addEventListener('pointermove', (e) => {
  if (!drawing) return;
  const p = point(e);
  stroke(drawing, p);
  drawing = p;
});
const endStroke = () => (drawing = null);
canvas.addEventListener('pointerup', endStroke);
canvas.addEventListener('pointercancel', endStroke);
function point(e) {
  const r = canvas.getBoundingClientRect();
  return [((e.clientX - r.left) * canvas.width) / r.width, ((e.clientY - r.top) * canvas.height) / r.height];
}
function stroke(a, b) {
  dctx.strokeStyle = '#fff';
  dctx.lineWidth = Number($('own-brush').value);
  dctx.lineCap = 'round';
  dctx.lineJoin = 'round';
  dctx.beginPath();
  dctx.moveTo(a[0], a[1]);
  dctx.lineTo(b[0], b[1]);
  dctx.stroke();
}
$('own-clear').addEventListener('click', clearCanvas);
$('own-use-drawing').addEventListener('click', () => runPicture(dctx.getImageData(0, 0, canvas.width, canvas.height), 'Your drawing').catch((e) => app.note(e.message)));
// The file box is cleared after each choice, so choosing the same file again runs it again.
$('own-file').addEventListener('click', (e) => (e.target.value = ''));

// ---------------------------------------------------------------- file picker and drag-and-drop

$('own-file').addEventListener('change', (e) => fromFile(e.target.files[0]).catch((err) => app.note(err.message)));
const drop = $('own-drop');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  fromFile(e.dataTransfer.files[0]).catch((err) => app.note(err.message));
});
drop.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' || e.key === ' ') {
    e.preventDefault();
    $('own-file').click();
  }
});

// ---------------------------------------------------------------- attribute directions

let dirBase = null; // z when the direction sliders were last all at 0
let ownMove = false; // true while this panel is the one setting z
const dirInputs = [];

function directions() {
  const { classMeans, pca } = app.index;
  const d = app.latentSize;
  const dirs = [];
  for (let c = 0; c < 10; c++) {
    const v = new Float32Array(d);
    for (let k = 0; k < d; k++) v[k] = classMeans[c * d + k] - pca.mean[k];
    dirs.push(v);
  }
  return dirs;
}

function applyDirections() {
  if (!dirBase) dirBase = Float32Array.from(app.z);
  const dirs = directions();
  const z = Float32Array.from(dirBase);
  dirInputs.forEach((input, c) => {
    const t = Number(input.value);
    for (let k = 0; k < z.length; k++) z[k] += t * dirs[c][k];
  });
  ownMove = true;
  app.setZ(z);
  ownMove = false;
}

/** Garments of each class in the index (an index may lack classes). */
function classCounts() {
  const counts = new Array(10).fill(0);
  for (const c of app.index.labels) counts[c]++;
  return counts;
}

// A direction needs garments of its class, and a class mean apart from the overall mean.
function directionProblem(c, counts, dirs) {
  if (!counts[c]) return `no ${app.className(c)} in the index`;
  if (!dirs[c].some((v) => Math.abs(v) > 1e-6)) return `its mean μ is the mean of all garments`;
  return '';
}

function buildDirections() {
  const box = $('own-dirs');
  box.replaceChildren();
  dirInputs.length = 0;
  const counts = classCounts();
  const dirs = directions();
  for (let c = 0; c < 10; c++) {
    const label = document.createElement('label');
    label.className = 'field inline own-dir';
    const input = document.createElement('input');
    input.type = 'range';
    input.min = '-1';
    input.max = '1.5';
    input.step = '0.05';
    input.value = '0';
    input.dataset.class = String(c);
    input.setAttribute('aria-label', `More like ${app.className(c)}`);
    input.addEventListener('input', applyDirections);
    const problem = directionProblem(c, counts, dirs);
    input.disabled = !!problem;
    label.title = problem ? `No direction: ${problem}` : '';
    label.append(`more like ${app.className(c)}${problem ? ` (${problem})` : ''}`, input);
    box.append(label);
    dirInputs.push(input);
  }
  for (const id of ['own-from', 'own-to']) {
    const sel = $(id);
    sel.replaceChildren(...app.classes.map((name, c) => new Option(name, String(c))));
  }
  $('own-from').value = String(app.classes.indexOf('Shirt') >= 0 ? app.classes.indexOf('Shirt') : 0);
  $('own-to').value = String(app.classes.indexOf('Dress') >= 0 ? app.classes.indexOf('Dress') : 1);
}

// Any other change of z makes it the new starting point.
app.on('z', () => {
  if (ownMove || dirBase === null) return;
  dirBase = null;
  for (const input of dirInputs) input.value = '0';
});

$('own-arith').addEventListener('submit', (e) => {
  e.preventDefault();
  if (!app.index) return;
  const { classMeans } = app.index;
  const d = app.latentSize;
  const a = Number($('own-from').value), b = Number($('own-to').value);
  const counts = classCounts();
  const missing = [a, b].find((c) => !counts[c]);
  if (missing !== undefined) {
    app.note(`The garment index has no ${app.className(missing)}, so it has no mean μ to move by.`);
    return;
  }
  const z = Float32Array.from(app.z);
  for (let k = 0; k < d; k++) z[k] += classMeans[b * d + k] - classMeans[a * d + k];
  app.setZ(z);
});

// ---------------------------------------------------------------- start

whenReady().then(() => {
  const onIndex = (index) => {
    if (index) buildDirections();
    else $('own-dirs').textContent = 'The attribute directions need the garment index, which did not load.';
  };
  if (app.index) onIndex(app.index);
  else app.on('index', onIndex);
});

// For tests and the console: run the pipeline on a file, on raw RGBA or on model-ready pixels, or
// only decode and prepare a picture file (-> {pixels, inverted, empty} or {error}).
own.fromFile = fromFile;
own.runPicture = runPicture;
own.run = run;
own.prepare = async (file) => {
  try {
    const img = await decodePicture(file);
    const r = preprocess(img.data, img.width, img.height);
    return { pixels: Array.from(r.pixels), inverted: r.inverted, empty: r.empty, width: img.width, height: img.height };
  } catch (e) {
    return { error: e.message };
  }
};
