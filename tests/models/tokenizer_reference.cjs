// Holds `ipfs-accelerate tokenize` to the Hugging Face references, line by line:
//   - tokenizers (the native Rust library through its Node binding): ids, offsets and decoded
//     text must be identical on every line;
//   - @huggingface/tokenizers (pure JavaScript): its agreement is reported, not required (it
//     does not pad, so padding is left out of that comparison).
//
//   node tests/models/tokenizer_reference.cjs NAME NODE_MODULES TOKENIZER.json CONFIG.json|-
//        CORPUS OURS.jsonl OURS_DECODED.jsonl
// OURS.jsonl is `tokenize --json < CORPUS`, OURS_DECODED.jsonl `tokenize --decode --json` of our
// ids. Prints the first differences and one summary line; exits 1 on any difference with the
// native reference.
'use strict';
const fs = require('fs');
const path = require('path');
const {createRequire} = require('module');

const [name, modules, tokenizerPath, configPath, corpusPath, oursPath, decodedPath] =
    process.argv.slice(2);
const req = createRequire(path.join(path.resolve(modules), 'noop.js'));
const native = req('tokenizers');
const js = req('@huggingface/tokenizers');

const readLines = (p) => {
  const lines = fs.readFileSync(p, 'utf8').split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
};
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const show = (s) => JSON.stringify(s.length > 160 ? s.slice(0, 160) + '…' : s);
const firstDiff = (a, b) => {
  let i = 0;
  while (i < a.length && i < b.length && same(a[i], b[i])) i++;
  return i;
};

(async () => {
  const corpus = readLines(corpusPath);
  const ours = readLines(oursPath).map((l) => JSON.parse(l));
  const decoded = readLines(decodedPath).map((l) => JSON.parse(l).text);
  if (ours.length !== corpus.length || decoded.length !== corpus.length) {
    console.log(`${name}: ${corpus.length} corpus lines but ${ours.length} encoded and ` +
                `${decoded.length} decoded lines from ipfs-accelerate`);
    process.exit(1);
  }
  const ref = native.Tokenizer.fromFile(tokenizerPath);
  const json = JSON.parse(fs.readFileSync(tokenizerPath, 'utf8'));
  const config = configPath === '-' ? {} : JSON.parse(fs.readFileSync(configPath, 'utf8'));
  let jsTok = null, jsError = null;
  try {
    jsTok = new js.Tokenizer(json, config);
  } catch (e) {
    jsError = String(e);
  }

  const bad = {ids: 0, offsets: 0, decode: 0};
  let shown = 0;
  let jsNative = 0, jsOurs = 0, jsFailed = 0;
  const report = (what, i, detail) => {
    bad[what]++;
    if (shown++ < 12) console.log(`  ${what} differ on line ${i + 1} ${show(corpus[i])}\n    ${detail}`);
  };
  for (let i = 0; i < corpus.length; i++) {
    const e = await ref.encode(corpus[i]);
    const ids = e.getIds();
    const offsets = e.getOffsets();
    if (!same(ids, ours[i].ids)) {
      const k = firstDiff(ids, ours[i].ids);
      report('ids', i, `from token ${k}: native ${JSON.stringify(ids.slice(k, k + 6))} ` +
                       `(${JSON.stringify(e.getTokens().slice(k, k + 6))}), ours ` +
                       `${JSON.stringify(ours[i].ids.slice(k, k + 6))} ` +
                       `(${JSON.stringify(ours[i].tokens.slice(k, k + 6))})`);
    } else if (!same(offsets, ours[i].offsets)) {
      const k = firstDiff(offsets, ours[i].offsets);
      report('offsets', i, `from token ${k} ${JSON.stringify(e.getTokens()[k])}: native ` +
                           `${JSON.stringify(offsets.slice(k, k + 4))}, ours ` +
                           `${JSON.stringify(ours[i].offsets.slice(k, k + 4))}`);
    }
    const text = await ref.decode(ours[i].ids, false);
    if (text !== decoded[i]) {
      report('decode', i, `native ${show(text)}, ours ${show(decoded[i])}`);
    }
    if (jsTok) {
      try {
        const j = jsTok.encode(corpus[i]).ids;
        const mask = e.getAttentionMask();
        const unpadded = ids.filter((_, k) => mask[k] === 1);
        jsNative += same(j, unpadded);
        jsOurs += same(j, ours[i].ids.filter((_, k) => ours[i].attention_mask[k] === 1));
      } catch (err) {
        jsFailed++;
      }
    }
  }
  const n = corpus.length;
  const jsPart = jsTok ? `@huggingface/tokenizers (unpadded) agrees with native on ${jsNative}/${n} lines ` +
                             `(with ours on ${jsOurs}/${n}${jsFailed ? `, threw on ${jsFailed}` : ''})`
                       : `@huggingface/tokenizers cannot load it (${jsError})`;
  console.log(`tokenizer ${name}: ${n} lines; ids = native on ${n - bad.ids}/${n}, offsets on ` +
              `${n - bad.ids - bad.offsets}/${n - bad.ids}, decode on ${n - bad.decode}/${n}; ` +
              jsPart);
  process.exit(bad.ids + bad.offsets + bad.decode > 0 ? 1 : 0);
})().catch((e) => {
  console.log(`${name}: ${e.stack || e}`);
  process.exit(1);
});
