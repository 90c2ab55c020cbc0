// The live canvas's interim answer, computed in the browser while the pen moves: mnistcore/preprocess.py's
// reading of a canvas and mnistcore/net.py's forward pass, step for step, on the model the Draw page sent
// once (live_model in live_canvas.py). The server still answers every pen-up; this only fills the wait.
// Images are row-major Float32Arrays. Where NumPy works in float32, Math.fround rounds each step the same
// way; sums run in float64 (NumPy's are float32 in its own order), which moves a pixel by about 1e-7 and a
// probability by less than 1e-5. A model is {digest, sizes, Ws, bs, mean, std} with Ws[l] a (n_in, n_out)
// Float32Array, row-major: z = a @ W + b, as the engine holds it.
const f32 = Math.fround;
export const SIDE = 28;                    // the network's digit is SIDE x SIDE
export const BOX = 20;                     // MNIST fits the longer side of the ink into 20 px
export const INK_LEVEL = f32(0.1);         // a canvas pixel counts as ink above 10 % brightness
export const MIN_INK_EXTENT = 0.12;        // ink smaller than this share of the canvas both ways is a stray dot
export const EMPTY = "empty", STRAY_DOT = "stray dot";

// Python's round(): a half goes to the even neighbour (Math.round sends it up).
export function roundHalfEven(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// A probability as every page writes it (mnistapp/catalogue.py's percent): one decimal, and never "0.0%"
// or "100.0%" for a value that is not exactly 0 or 1. marks: the language's decimal mark and the space before
// the % sign ({decimal: ",", space: "\u00a0"} in German), English's by default.
export function percent(p, marks) {
  const { decimal, space } = marks?.decimal ? marks : { decimal: ".", space: "" };  // not an object: English
  const text = (digits) => digits.replace(".", decimal) + space + "%";
  if (p > 0 && p < 0.0005) return "<" + text("0.1");
  if (p >= 0.9995 && p < 1) return ">" + text("99.9");
  return text((100 * p).toFixed(1));
}

// canvas_ink: ImageData (RGBA bytes) -> {ink: (H*W) brightness in [0, 1] times alpha, width, height}.
export function canvasInk({ data, width, height }) {
  const ink = new Float32Array(width * height);
  for (let i = 0; i < ink.length; i++) {
    const total = data[4 * i] + data[4 * i + 1] + data[4 * i + 2];
    ink[i] = f32(f32(f32(total / 3) / 255) * f32(data[4 * i + 3] / 255));  // (r + g + b) / 3 / 255 * alpha
  }
  return { ink, width, height };
}

// ink_box: [top, bottom, left, right] of the pixels above INK_LEVEL, bottom and right exclusive; null if none.
export function inkBox({ ink, width, height }) {
  let top = height, bottom = 0, left = width, right = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > INK_LEVEL) {
        top = Math.min(top, y); bottom = y + 1;
        left = Math.min(left, x); right = Math.max(right, x + 1);
      }
    }
  }
  return bottom === 0 ? null : [top, bottom, left, right];
}

// _area_matrix as rows: output cell o averages the inputs start .. start + weights.length - 1, each by its
// share of the cell, normalised in float64 and then stored as float32, as NumPy does.
function areaRows(nOut, nIn) {
  const rows = [];
  for (let o = 0; o < nOut; o++) {
    const lo = o * (nIn / nOut), hi = o + 1 === nOut ? nIn : (o + 1) * (nIn / nOut);  // np.linspace's edges
    const start = Math.floor(lo), overlaps = [];
    for (let i = start; i < Math.min(Math.ceil(hi), nIn); i++) overlaps.push(Math.max(Math.min(hi, i + 1) - Math.max(lo, i), 0));
    const sum = overlaps.reduce((a, b) => a + b, 0);
    rows.push({ start, weights: Float32Array.from(overlaps, (v) => v / sum) });
  }
  return rows;
}

// _resize: (h, w) -> (newH, newW), each output cell the mean of its share of the input (anti-aliased).
function resize(img, h, w, newH, newW) {
  const rows = new Float32Array(newH * w);  // (newH, h) @ (h, w) -> (newH, w)
  areaRows(newH, h).forEach(({ start, weights }, o) => {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = 0; k < weights.length; k++) s += weights[k] * img[(start + k) * w + x];
      rows[o * w + x] = s;
    }
  });
  const out = new Float32Array(newH * newW);  // (newH, w) @ (w, newW) -> (newH, newW)
  areaRows(newW, w).forEach(({ start, weights }, p) => {
    for (let y = 0; y < newH; y++) {
      let s = 0;
      for (let k = 0; k < weights.length; k++) s += rows[y * w + start + k] * weights[k];
      out[y * newW + p] = s;
    }
  });
  return out;
}

// digit_steps without switches: crop to the ink, fit the longer side into BOX keeping the aspect, place the
// centre of mass at the centre of SIDE x SIDE (an integer shift, clipped to the field), clip to [0, 1].
function centreDigit({ ink, width }, [top, bottom, left, right]) {
  const h = bottom - top, w = right - left;
  const crop = new Float32Array(h * w);
  for (let y = 0; y < h; y++) crop.set(ink.subarray((top + y) * width + left, (top + y) * width + right), y * w);
  const scale = BOX / Math.max(h, w);
  const newH = Math.max(1, roundHalfEven(h * scale)), newW = Math.max(1, roundHalfEven(w * scale));
  const small = resize(crop, h, w, newH, newW);
  let mass = 0, my = 0, mx = 0;
  for (let y = 0; y < newH; y++) {
    for (let x = 0; x < newW; x++) {
      const v = small[y * newW + x];
      mass += v; my += y * v; mx += x * v;
    }
  }
  const clip = (v, lo, hi) => Math.min(Math.max(v, lo), hi);
  const y0 = clip(roundHalfEven((SIDE - 1) / 2 - my / mass), 0, SIDE - newH);
  const x0 = clip(roundHalfEven((SIDE - 1) / 2 - mx / mass), 0, SIDE - newW);
  const digit = new Float32Array(SIDE * SIDE);
  for (let y = 0; y < newH; y++) {
    for (let x = 0; x < newW; x++) digit[(y0 + y) * SIDE + x0 + x] = clip(small[y * newW + x], 0, 1);
  }
  return digit;
}

// read_canvas: ImageData -> {digit: (784) Float32Array in [0, 1], ink = 1, or null; why: null, EMPTY or STRAY_DOT}.
export function readCanvas(imageData) {
  const ink = canvasInk(imageData);
  const box = inkBox(ink);
  if (box === null) return { digit: null, why: EMPTY };
  const [top, bottom, left, right] = box;
  if (Math.max(bottom - top, right - left) < MIN_INK_EXTENT * Math.max(ink.width, ink.height)) {
    return { digit: null, why: STRAY_DOT };
  }
  return { digit: centreDigit(ink, box), why: null };
}

// scale_input: (pixel - mean) / std in float32, the model's own scaling.
export function scaleInput(digit, { mean, std }) {
  return digit.map((v) => f32(f32(v - mean) / std));
}

// forward + softmax: (784) input -> {logits, probs} (10 each), ReLU between the layers, the max subtracted
// before exp.
export function forward({ sizes, Ws, bs }, x) {
  let a = x;
  for (let l = 0; l < Ws.length; l++) {
    const nIn = sizes[l], nOut = sizes[l + 1], W = Ws[l];
    const z = Float64Array.from(bs[l]);  // z = a @ W + b: (n_in) @ (n_in, n_out) -> (n_out)
    for (let i = 0; i < nIn; i++) {
      if (a[i] === 0) continue;  // a ReLU's zeros add nothing
      for (let j = 0, row = i * nOut; j < nOut; j++) z[j] += a[i] * W[row + j];
    }
    a = l + 1 < Ws.length ? z.map((v) => Math.max(v, 0)) : z;
  }
  const top = Math.max(...a);
  const e = a.map((v) => Math.exp(v - top));
  const total = e.reduce((s, v) => s + v, 0);
  return { logits: a, probs: e.map((v) => v / total) };
}

// The interim answer for a canvas: {logits, probs} of the model, or null when there is no digit to read.
export function interimAnswer(model, imageData) {
  const { digit } = readCanvas(imageData);
  return digit === null ? null : forward(model, scaleInput(digit, model));
}

// What live_model sent -> the model the canvas reads, or null (none, refused as too big, or malformed).
// Without `buffer` (the model's file: W1, b1, W2, ... as float32, one after another) it is the model the
// browser already has (`had`), with the scaling it is to use now. Float32Array reads the platform's byte
// order: every browser is little-endian, like the file.
export function receiveModel(data, had, buffer = null) {
  if (!data || !data.digest) return null;
  const scaling = { mean: f32(data.mean), std: f32(data.std) };
  if (!buffer) return had && had.digest === data.digest ? { ...had, ...scaling } : null;
  const { sizes } = data, Ws = [], bs = [];
  let floats = 0;
  for (let l = 0; l + 1 < sizes.length; l++) floats += sizes[l] * sizes[l + 1] + sizes[l + 1];
  if (sizes.length < 2 || buffer.byteLength !== 4 * floats) return null;
  let at = 0;
  const take = (n) => {
    const a = new Float32Array(buffer, at, n);
    at += 4 * n;
    return a;
  };
  for (let l = 0; l + 1 < sizes.length; l++) {
    Ws.push(take(sizes[l] * sizes[l + 1]));
    bs.push(take(sizes[l + 1]));
  }
  return { digest: data.digest, sizes, Ws, bs, ...scaling };
}
