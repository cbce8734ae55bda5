// A model with a convolutional encoder and a decoder of its own (blob format
// version 2), trained natively for one short epoch on real garments, then run
// in both wasm builds against the native build through the public API:
//  - Encoder: mu and sigma of 100 test garments equal the native f32 index
//    (`wardrobe index --dtype f32`, the runtime's Encoder in C++) within 1e-4;
//  - Model: 200 random z decode to the native lw::Mlp probabilities
//    (tests/bench/lw_golden) within 1e-5, with the f32 and the i8 decoder blob.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { LW_GOLDEN, WARDROBE, fashionMnistDir, loadWardrobe, normals, readBytes, runNative, testImages }
  from './fixtures.mjs';

const PIXELS = 784;
const TRAIN_COUNT = 60000;
const ARCH = ['--conv', 'c8k4s2p1,c16k3s2p1', '--hidden', '48', '--decoder-hidden', '32,64', '--latent', '16'];

let tmp;
let files;

function makeModel() {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-conv-'));
  const model = path.join(tmp, 'conv.lwb');
  const data = fashionMnistDir();
  runNative(WARDROBE, ['train', '--out', model, '--data', data, ...ARCH, '--train-limit', '1200', '--validation', '200',
    '--test-limit', '100', '--epochs', '1', '--threads', '1', '--quiet']);
  const f32 = path.join(tmp, 'f32'), i8 = path.join(tmp, 'i8');
  for (const [dir, dtype] of [[f32, 'f32'], [i8, 'i8']]) {
    runNative(WARDROBE, ['export', '--model', model, '--out-dir', dir, '--data', data, '--dtype', dtype,
      '--anomaly-k', '1']);
  }
  runNative(WARDROBE, ['index', '--model', model, '--out-dir', tmp, '--data', data, '--dtype', 'f32', '--no-pixels']);
  return { model, encoder: path.join(f32, 'encoder.lwb'), decoder: path.join(f32, 'decoder.lwb'),
    decoderI8: path.join(i8, 'decoder.lwb'), index: path.join(tmp, 'index.lwb') };
}

function nativeProbabilities(decoder, Z) {
  const zFile = path.join(tmp, 'z.f32'), outFile = path.join(tmp, 'out.f32');
  fs.writeFileSync(zFile, Buffer.from(Z.buffer, Z.byteOffset, Z.byteLength));
  runNative(LW_GOLDEN, [decoder, zFile, outFile, 'mlp']);
  const b = fs.readFileSync(outFile);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

before(() => { files = makeModel(); });
after(() => { if (tmp) fs.rmSync(tmp, { recursive: true, force: true }); });

for (const simd of [true, false]) {
  describe(`convolutional encoder model (${simd ? 'SIMD' : 'scalar'} build)`, () => {
    let wr;
    before(async () => { wr = await loadWardrobe({ simd }); });

    test('the blobs are format version 2 and say so', () => {
      for (const f of [files.encoder, files.decoder, files.decoderI8]) {
        assert.equal(readBytes(f)[8], 2, `${path.basename(f)} format_version`);
      }
    });

    test('Encoder: mu and sigma of 100 test garments equal the native f32 index (1e-4)', () => {
      const encoder = wr.Encoder.fromBytes(readBytes(files.encoder));
      const index = wr.Index.fromBytes(readBytes(files.index));
      try {
        assert.equal(encoder.latentSize, 16);
        assert.equal(encoder.imageSize, PIXELS);
        const images = testImages();
        let worst = 0;
        for (let i = 0; i < 100; i++) {
          const id = TRAIN_COUNT + i * 97;
          const { mu, sigma } = encoder.encode(images.subarray(i * 97 * PIXELS, (i * 97 + 1) * PIXELS));
          const mu32 = index.mu(id), sigma32 = index.sigma(id);
          for (let k = 0; k < 16; k++) {
            worst = Math.max(worst, Math.abs(mu[k] - mu32[k]));
            assert.ok(Math.abs(mu[k] - mu32[k]) <= 1e-4, `item ${id} mu[${k}]: ${mu[k]} vs ${mu32[k]}`);
            assert.ok(Math.abs(sigma[k] - sigma32[k]) <= 1e-4 * Math.max(1, sigma32[k]), `item ${id} sigma[${k}]`);
          }
        }
      } finally {
        encoder.delete();
        index.delete();
      }
    });

    for (const which of ['decoder', 'decoderI8']) {
      test(`Model (${which === 'decoder' ? 'f32' : 'i8'} blob): 200 random z within 1e-5 of native lw::Mlp`, () => {
        const model = wr.Model.fromBytes(readBytes(files[which]));
        try {
          const Z = normals(200 * 16, 77);
          const want = nativeProbabilities(files[which], Z);
          let worst = 0;
          for (let j = 0; j < 200; j++) {
            const p = model.decodeProbabilities(Z.subarray(j * 16, (j + 1) * 16));
            for (let i = 0; i < PIXELS; i++) worst = Math.max(worst, Math.abs(p[i] - want[j * PIXELS + i]));
          }
          assert.ok(worst <= 1e-5, `max |wasm - native| = ${worst}`);
        } finally {
          model.delete();
        }
      });
    }
  });
}
