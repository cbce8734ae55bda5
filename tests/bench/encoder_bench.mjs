// Times the encoder path of "your own garment" in Node on the wasm module (one thread, as in the
// page's worker): encode, search with mu, one-sample score, and the IWAE score with k = 100.
// Run: FASHION_MNIST_DIR=... node tests/bench/encoder_bench.mjs [--scalar]
import { loadWardrobe, readBytes, testBlobs, testImages } from '../js/fixtures.mjs';

const simd = !process.argv.includes('--scalar');
const blobs = testBlobs();
const wr = await loadWardrobe({ simd });
const encoder = wr.Encoder.fromBytes(readBytes(blobs.encoder), readBytes(blobs.decoder));
const model = wr.Model.fromBytes(readBytes(blobs.decoder));
const index = wr.Index.fromBytes(readBytes(blobs.index));
const images = testImages();
const image = (i) => images.subarray(i * 784, (i + 1) * 784);

function time(name, n, f) {
  for (let i = 0; i < 5; i++) f(i); // warm-up
  const t = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    f(i);
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  console.log(`${name.padEnd(46)} median ${t[n >> 1].toFixed(3)} ms  p90 ${t[Math.floor(n * 0.9)].toFixed(3)} ms`);
}

console.log(`encoder bench (${simd ? 'SIMD' : 'scalar'} build, Node ${process.version})`);
time('encode', 200, (i) => encoder.encode(image(i)));
time('search top-12 with mu (70,000 items)', 200, (i) => index.search(encoder.encode(image(i)).mu, 12, 'likelihood'));
time('encode + decode + search + score k=1 (ownEncode)', 200, (i) => {
  const x = image(i);
  const { mu } = encoder.encode(x);
  model.decode(mu);
  index.search(mu, 12, 'likelihood');
  encoder.score(x, 1, 1);
});
time('IWAE score k=100 (ownScore)', 100, (i) => encoder.score(image(i), 100, 1));
