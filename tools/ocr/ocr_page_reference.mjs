// Reads whole pages with the full-page OCR reference, @gutenye/ocr-node (PaddleOCR v4 det + rec on
// onnxruntime-node), and prints one JSON line per image:
//   {"image", "width", "height", "ms": [...], "lines": [{"text", "confidence", "box": [[x,y]x4]}]}
// `box` is what the reference reports: coordinates in its detector input (the image scaled to fit
// sides rounded up to multiples of 32, centred, padded), plus `letterbox` {scale, left, top, shift}
// that maps them back to the image: x_image = (x - left) / scale - shift (sharp's resampling puts
// image pixel u at (u + 0.5) * scale: shift is 0.5 when it resampled, else 0). Used by tests/models/ocr_page_test.sh
// and bench/ocr_page.
//
//   node tools/ocr/ocr_page_reference.mjs NPM_DIR [--threads N] [--repeat N] IMAGE.png...
// NPM_DIR holds node_modules with @gutenye/ocr-node (scripts/setup installs it in .deps/npm).
import path from 'node:path';
import {pathToFileURL} from 'node:url';

const args = process.argv.slice(2);
if (args.length < 2) {
  console.error('usage: ocr_page_reference.mjs NPM_DIR [--threads N] [--repeat N] IMAGE.png...');
  process.exit(2);
}
const npmDir = path.resolve(args.shift());
let threads = 0, repeat = 1;
const images = [];
while (args.length) {
  const a = args.shift();
  if (a === '--threads') threads = Number(args.shift());
  else if (a === '--repeat') repeat = Math.max(1, Number(args.shift()));
  else images.push(a);
}

const load = (name) =>
  import(pathToFileURL(path.join(npmDir, 'node_modules', name)).href);
let Ocr, sharp;
try {
  // ESM ignores NODE_PATH: import the entry points by path; they resolve their own dependencies.
  Ocr = (await load('@gutenye/ocr-node/build/index.js')).default;
  sharp = (await load('sharp/lib/index.js')).default;
} catch (e) {
  console.error(`ocr_page_reference: @gutenye/ocr-node is missing from ${npmDir} (run scripts/setup): ${e.message}`);
  process.exit(1);
}
const onnxOptions = threads > 0 ? {intraOpNumThreads: threads, interOpNumThreads: 1} : {};
const ocr = await Ocr.create({onnxOptions});

// The reference's detector input: each side rounded up to a multiple of 32 (at least 32), the image
// scaled by sharp's fit 'contain' and centred on it.
function letterbox(width, height) {
  const w = Math.max(Math.ceil(width / 32) * 32, 32);
  const h = Math.max(Math.ceil(height / 32) * 32, 32);
  const scale = Math.min(w / width, h / height);
  const sw = Math.round(width * scale), sh = Math.round(height * scale);
  return {scale, shift: scale === 1 ? 0 : 0.5, left: Math.floor((w - sw) / 2),
          top: Math.floor((h - sh) / 2), width: w, height: h};
}

for (const image of images) {
  const meta = await sharp(image).metadata();
  const ms = [];
  let lines;
  for (let i = 0; i < repeat; ++i) {
    const t0 = process.hrtime.bigint();
    lines = await ocr.detect(image);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  console.log(JSON.stringify({
    image, width: meta.width, height: meta.height, ms,
    letterbox: letterbox(meta.width, meta.height),
    lines: lines.map((l) => ({text: l.text, confidence: l.mean, box: l.box})),
  }));
}
