// The summary of tests/bench/train-bench.sh: medians of its rounds, the ratios, a table, and the
// JSON file. In Node (which the project needs anyway), so the bench runs without Python when
// PyTorch, the reference, is not installed.
//   node tests/bench/train-summary.mjs OUT.json "WARDROBE_EPOCH_S..." "WARDROBE_PROCESS_S..." \
//     "TORCH_EPOCH_S..." TORCH_INFO_JSON "BASELINE_EPOCH_S..." BASELINE_PATH
// Each list is seconds separated by spaces (one per round; empty when that engine did not run).
import fs from 'node:fs';
import { median } from './stats.mjs';

const [out, we, wp, te, torchInfo, be, baseline] = process.argv.slice(2);
const nums = (s) => (s || '').split(/\s+/).filter(Boolean).map(Number);
const wardrobeEpochs = nums(we), wardrobeProcess = nums(wp), torchEpochs = nums(te), baselineEpochs = nums(be);
const lists = [wardrobeEpochs, wardrobeProcess, torchEpochs, baselineEpochs];
const wellFormed = wardrobeEpochs.length > 0 && wardrobeProcess.length === wardrobeEpochs.length &&
  lists.every((l) => l.every((v) => Number.isFinite(v) && v > 0));
if (!out || !wellFormed) {
  console.error('train-summary: usage: OUT.json "WARDROBE_EPOCH_S..." "WARDROBE_PROCESS_S..." "TORCH_EPOCH_S..." TORCH_INFO "BASELINE_EPOCH_S..." BASELINE');
  process.exit(2);
}
const IMAGES = 54912;
const round = (v, digits) => Number(v.toFixed(digits));
const row = (name, s, extra = '') => `${name.padEnd(24)}${s.toFixed(2).padStart(18)}${(IMAGES / s).toFixed(0).padStart(10)}${extra}`;

const wardrobe = median(wardrobeEpochs);
const r = {
  protocol: `one ELBO epoch, 784-768-512-256-16, batch 128, 2 threads, 54,912 images; medians of ${wardrobeEpochs.length} alternating rounds`,
  images: IMAGES,
  wardrobe: { epoch_s: wardrobe, process_s: median(wardrobeProcess), epochs_s: wardrobeEpochs, images_per_s: round(IMAGES / wardrobe, 1) },
};
console.log(`${'engine'.padEnd(24)}${'epoch s (median)'.padStart(18)}${'images/s'.padStart(10)}`);
console.log(row('wardrobe train', wardrobe, `   (whole process ${median(wardrobeProcess).toFixed(2)} s)`));
if (torchEpochs.length) {
  const info = JSON.parse(torchInfo || '{}');
  const torch = median(torchEpochs);
  r.pytorch = { engine: info.engine ?? null, epoch_s: torch, epochs_s: torchEpochs, images_per_s: round(IMAGES / torch, 1) };
  r.ratio_pytorch_over_wardrobe = round(torch / wardrobe, 3);
  console.log(row(info.engine || 'pytorch', torch));
  console.log(`PyTorch / wardrobe epoch time: ${r.ratio_pytorch_over_wardrobe.toFixed(2)}x`);
}
if (baselineEpochs.length) {
  const base = median(baselineEpochs);
  r.baseline = { binary: baseline, epoch_s: base, epochs_s: baselineEpochs };
  r.ratio_baseline_over_wardrobe = round(base / wardrobe, 3);
  console.log(row('baseline wardrobe', base, `   (${baseline})`));
  console.log(`baseline / wardrobe epoch time: ${r.ratio_baseline_over_wardrobe.toFixed(2)}x`);
}
fs.writeFileSync(out, JSON.stringify(r, null, 1));
