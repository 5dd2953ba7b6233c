// The peer of bench/text_tasks: the same package files run by onnxruntime-node, tokenized by the
// native tokenizers package, batched and pooled as `embed` does, generated greedily with the KV
// cache as `generate` does.
//   node ort_tasks.cjs embed PACKAGE TEXTS_FILE THREADS      → {"ms", "texts", "tokens"}
//   node ort_tasks.cjs generate PACKAGE PROMPT TOKENS THREADS → {"prefill_ms", "decode_ms", "tokens"}
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');
const {Tokenizer} = require('tokenizers');

const now = () => Number(process.hrtime.bigint()) / 1e6;
const ids64 = (rows, width, values) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [rows, width]);

async function embed(pkg, textsFile, threads) {
  const session = await ort.InferenceSession.create(path.join(pkg, 'model.onnx'),
      {intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all'});
  const tok = Tokenizer.fromFile(path.join(pkg, 'tokenizer.json'));
  const texts = fs.readFileSync(textsFile, 'utf8').split('\n').filter((l) => l.length);
  const t0 = now();
  const enc = [];
  for (const t of texts) {
    const e = await tok.encode(t);
    const mask = e.getAttentionMask();
    enc.push(e.getIds().filter((_, i) => mask[i] === 1));
  }
  const order = enc.map((_, i) => i).sort((a, b) => enc[b].length - enc[a].length);
  let tokens = 0;
  for (let first = 0; first < order.length;) {
    const width = enc[order[first]].length;
    let last = first + 1;
    while (last < order.length && last - first < 8 && (last - first + 1) * width <= 16384) last++;
    const rows = last - first, ids = [], mask = [];
    for (let r = first; r < last; r++) {
      const e = enc[order[r]];
      tokens += e.length;
      for (let j = 0; j < width; j++) { ids.push(j < e.length ? e[j] : 0); mask.push(j < e.length ? 1 : 0); }
    }
    const out = await session.run({input_ids: ids64(rows, width, ids), attention_mask: ids64(rows, width, mask),
                                   token_type_ids: ids64(rows, width, new Array(rows * width).fill(0))});
    const h = out.last_hidden_state, dim = h.dims[2];
    for (let r = 0; r < rows; r++) {  // mean pooling over the text's tokens, then L2 norm
      const len = enc[order[first + r]].length, v = new Float64Array(dim);
      for (let t = 0; t < len; t++) for (let k = 0; k < dim; k++) v[k] += h.data[(r * width + t) * dim + k];
      let n = 0;
      for (let k = 0; k < dim; k++) { v[k] /= len; n += v[k] * v[k]; }
      n = Math.sqrt(n);
      for (let k = 0; k < dim; k++) v[k] /= n;
    }
    first = last;
  }
  return {ms: now() - t0, texts: texts.length, tokens};
}

async function generate(pkg, prompt, count, threads) {
  const session = await ort.InferenceSession.create(path.join(pkg, 'model.onnx'),
      {intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all'});
  const config = JSON.parse(fs.readFileSync(path.join(pkg, 'config.json'), 'utf8'));
  const tok = Tokenizer.fromFile(path.join(pkg, 'tokenizer.json'));
  const ids = (await tok.encode(prompt)).getIds();
  const heads = config.n_head, dim = config.n_embd / heads, layers = config.n_layer;
  let past = {};
  for (let i = 0; i < layers; i++) for (const k of ['key', 'value']) {
    past[`past_key_values.${i}.${k}`] = new ort.Tensor('float32', new Float32Array(0), [1, heads, 0, dim]);
  }
  const step = async (tokens, start) => {
    const n = tokens.length;
    const out = await session.run({input_ids: ids64(1, n, tokens),
                                   attention_mask: ids64(1, start + n, new Array(start + n).fill(1)),
                                   position_ids: ids64(1, n, tokens.map((_, i) => start + i)), ...past});
    past = {};
    for (let i = 0; i < layers; i++) for (const k of ['key', 'value']) past[`past_key_values.${i}.${k}`] = out[`present.${i}.${k}`];
    const logits = out.logits, vocab = logits.dims[2], base = (n - 1) * vocab;
    let best = 0;
    for (let v = 1; v < vocab; v++) if (logits.data[base + v] > logits.data[base + best]) best = v;
    return best;
  };
  let t0 = now();
  let next = await step(ids, 0);
  const prefill_ms = now() - t0;
  const out = [next];
  t0 = now();
  for (let i = 1; i < count; i++) {
    next = await step([next], ids.length + i - 1);
    out.push(next);
  }
  return {prefill_ms, decode_ms: now() - t0, prompt_tokens: ids.length, tokens: out};
}

(async () => {
  const [cmd, pkg, a, b, c] = process.argv.slice(2);
  const r = cmd === 'embed' ? await embed(pkg, a, Number(b)) : await generate(pkg, a, Number(b), Number(c));
  console.log(JSON.stringify(r));
})().catch((e) => { console.error(`ort_tasks: ${e.message}`); process.exit(1); });
