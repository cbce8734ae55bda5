// Interpolation between latent vectors. Pure functions (no DOM), shared by the timeline and tests.

/** Linear interpolation a + t (b - a) into out. */
export function lerp(a, b, t, out) {
  for (let k = 0; k < a.length; k++) out[k] = a[k] + t * (b[k] - a[k]);
  return out;
}

/**
 * Spherical interpolation (great-circle path between the directions of a and b, as is usual for
 * Gaussian latent spaces, where the prior's mass sits on a shell). Falls back to lerp when either
 * vector is near zero or the two are nearly parallel.
 */
export function slerp(a, b, t, out) {
  let dot = 0, na = 0, nb = 0;
  for (let k = 0; k < a.length; k++) {
    dot += a[k] * b[k];
    na += a[k] * a[k];
    nb += b[k] * b[k];
  }
  na = Math.sqrt(na);
  nb = Math.sqrt(nb);
  if (na < 1e-6 || nb < 1e-6) return lerp(a, b, t, out);
  const cos = Math.min(1, Math.max(-1, dot / (na * nb)));
  const omega = Math.acos(cos);
  const s = Math.sin(omega);
  if (s < 1e-4) return lerp(a, b, t, out);
  const wa = Math.sin((1 - t) * omega) / s, wb = Math.sin(t * omega) / s;
  for (let k = 0; k < a.length; k++) out[k] = wa * a[k] + wb * b[k];
  return out;
}

/**
 * The frames of a path through keyframes (an array of Float32Array(d), at least 2): `perSegment`
 * steps from each keyframe to the next, then the last keyframe. Keyframes land exactly on frames.
 * Returns {Z: Float32Array(n * d), n, keyFrames: frame index of each keyframe}.
 */
export function buildPath(keys, perSegment, mode) {
  const d = keys[0].length;
  const segments = keys.length - 1;
  const n = segments * perSegment + 1;
  const Z = new Float32Array(n * d);
  const keyFrames = [];
  const f = mode === 'linear' ? lerp : slerp;
  const tmp = new Float64Array(d);
  for (let s = 0; s < segments; s++) {
    keyFrames.push(s * perSegment);
    for (let j = 0; j < perSegment; j++) {
      const row = Z.subarray((s * perSegment + j) * d, (s * perSegment + j + 1) * d);
      if (j === 0) row.set(keys[s]);
      else row.set(f(keys[s], keys[s + 1], j / perSegment, tmp));
    }
  }
  keyFrames.push(n - 1);
  Z.set(keys[segments], (n - 1) * d);
  return { Z, n, keyFrames };
}
