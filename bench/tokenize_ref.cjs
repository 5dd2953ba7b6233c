// The reference side of bench/tokenize: how fast the Hugging Face packages encode the same lines,
// on one thread (run with TOKENIZERS_PARALLELISM=false RAYON_NUM_THREADS=1).
//
//   node bench/tokenize_ref.cjs NODE_MODULES TOKENIZER.json CORPUS PASSES
// Prints "native_encode R", "native_batch R" and "js R", R in texts per second: `tokenizers`
// (native) one text per `await encode()` and the whole corpus per `encodeBatch()`, and
// @huggingface/tokenizers (JavaScript) `encode()`. Each after one untimed pass, as ours.
'use strict';
const fs = require('fs');
const path = require('path');
const {createRequire} = require('module');

const [modules, file, corpusPath, passesArg] = process.argv.slice(2);
const req = createRequire(path.join(path.resolve(modules), 'noop.js'));
const {Tokenizer} = req('tokenizers');
const js = req('@huggingface/tokenizers');
const passes = Number(passesArg);
const lines = fs.readFileSync(corpusPath, 'utf8').split('\n');
if (lines[lines.length - 1] === '') lines.pop();

const rate = (t0) => (lines.length * passes) / (Number(process.hrtime.bigint() - t0) / 1e9);

(async () => {
  const native = Tokenizer.fromFile(file);
  for (const l of lines) await native.encode(l);
  let t0 = process.hrtime.bigint();
  for (let p = 0; p < passes; p++) for (const l of lines) await native.encode(l);
  console.log(`native_encode ${rate(t0).toFixed(0)}`);
  await native.encodeBatch(lines);
  t0 = process.hrtime.bigint();
  for (let p = 0; p < passes; p++) await native.encodeBatch(lines);
  console.log(`native_batch ${rate(t0).toFixed(0)}`);
  const jsTok = new js.Tokenizer(JSON.parse(fs.readFileSync(file, 'utf8')), {});
  for (const l of lines) jsTok.encode(l);
  t0 = process.hrtime.bigint();
  for (let p = 0; p < passes; p++) for (const l of lines) jsTok.encode(l);
  console.log(`js ${rate(t0).toFixed(0)}`);
})();
