// Writes tests/models/data/tokenizer_cases.json: small hand-written tokenizers, each exercising
// a few components (every normalizer, pre-tokenizer, model option, added-token option,
// post-processor and decoder), and what the reference — tokenizers@0.23.2 from npm — answers for
// them: encodings (ids, tokens, offsets in characters, type ids, masks), decoded text, normalized
// text and pre-tokenized pieces. tests/models/tokenizer_test.cc holds ipfs-accelerate to it.
//
//   node tools/tokenizers/make_tokenizer_cases.cjs NODE_MODULES tests/models/data/tokenizer_cases.json
'use strict';
const fs = require('fs');
const path = require('path');
const {createRequire} = require('module');

const [modules, out] = process.argv.slice(2);
const {Tokenizer} = createRequire(path.join(path.resolve(modules), 'noop.js'))('tokenizers');

// GPT-2's byte-level alphabet, so small BPE vocabularies cover any text.
function byteChars() {
  const chars = [];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
    chars.push(String.fromCodePoint(printable ? b : 0x100 + n++));
  }
  return chars;
}
function vocabOf(tokens) {
  const v = {};
  tokens.forEach((t, i) => { if (!(t in v)) v[t] = i; });
  return v;
}
// A BPE vocabulary: the alphabet, then every merge result, in order.
function bpeModel(alphabet, merges, options = {}) {
  const tokens = [...alphabet];
  for (const [a, b] of merges) tokens.push(a + b.slice((options.continuing_subword_prefix || '').length));
  return {type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null,
          end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false,
          vocab: vocabOf([...(options.extra || []), ...tokens]), merges: merges.map(
              ([a, b]) => options.stringMerges ? `${a} ${b}` : [a, b]),
          ...options, extra: undefined, stringMerges: undefined};
}
const special = (id, content, extra = {}) => ({id, content, single_word: false, lstrip: false,
  rstrip: false, normalized: false, special: true, ...extra});
const template = {
  type: 'TemplateProcessing',
  single: [{SpecialToken: {id: '[CLS]', type_id: 0}}, {Sequence: {id: 'A', type_id: 0}},
           {SpecialToken: {id: '[SEP]', type_id: 0}}],
  pair: [{SpecialToken: {id: '[CLS]', type_id: 0}}, {Sequence: {id: 'A', type_id: 0}},
         {SpecialToken: {id: '[SEP]', type_id: 0}}, {Sequence: {id: 'B', type_id: 1}},
         {SpecialToken: {id: '[SEP]', type_id: 1}}],
  special_tokens: {'[CLS]': {id: '[CLS]', ids: [2], tokens: ['[CLS]']},
                   '[SEP]': {id: '[SEP]', ids: [3], tokens: ['[SEP]']}},
};
const bertVocab = vocabOf(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'hello', 'world', '##s',
  'un', '##want', '##ed', ',', '!', '中', '文', 'e', 'cafe', 'naive', "'", 't', 'don', 'a', '##n',
  '.', 'runn', '##ing', 'i', '##ı', 'x']);
const wordpiece = (extra = {}) => ({
  version: '1.0', truncation: null, padding: null,
  added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((t, i) => special(i, t)),
  normalizer: {type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true,
               strip_accents: null, lowercase: true},
  pre_tokenizer: {type: 'BertPreTokenizer'}, post_processor: template,
  decoder: {type: 'WordPiece', prefix: '##', cleanup: true},
  model: {type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##',
          max_input_chars_per_word: 8, vocab: bertVocab},
  ...extra,
});
const B = byteChars();
const gptMerges = [['Ġ', 'w'], ['o', 'r'], ['Ġw', 'or'], ['l', 'd'], ['Ġwor', 'ld'], ['H', 'e'],
  ['l', 'l'], ['He', 'll'], ['Hell', 'o'], ['Ġ', 'Ġ'], ['Ã', '©'], ['c', 'a'], ['ca', 'f'],
  ['caf', 'Ã©'], ['Ġ', 'caf'], ['Ġcaf', 'Ã©']];
const byteLevel = (extra = {}) => ({
  // <|endoftext|> is in no vocabulary: the reference gives it the next id, 272, not 500.
  version: '1.0', added_tokens: [special(500, '<|endoftext|>', {normalized: true})],
  normalizer: null,
  pre_tokenizer: {type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true},
  post_processor: {type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true},
  decoder: {type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true},
  model: bpeModel(B, gptMerges, {stringMerges: true}),
  ...extra,
});
const wordLevel = (tokens, extra = {}) => ({
  version: '1.0', added_tokens: [], normalizer: null,
  pre_tokenizer: {type: 'WhitespaceSplit'}, post_processor: null, decoder: null,
  model: {type: 'WordLevel', vocab: vocabOf(tokens), unk_token: '<unk>'}, ...extra,
});
const fallbackVocab = ['<unk>', '<s>', '</s>'];
for (let b = 0; b < 256; b++) fallbackVocab.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
const metaspaceBpe = {
  version: '1.0', added_tokens: [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>')],
  normalizer: {type: 'Sequence', normalizers: [{type: 'Prepend', prepend: '▁'},
                                               {type: 'Replace', pattern: {String: ' '}, content: '▁'}]},
  pre_tokenizer: null,
  post_processor: {type: 'TemplateProcessing', single: [{SpecialToken: {id: '<s>', type_id: 0}},
                   {Sequence: {id: 'A', type_id: 0}}],
                   pair: [{SpecialToken: {id: '<s>', type_id: 0}}, {Sequence: {id: 'A', type_id: 0}},
                          {SpecialToken: {id: '<s>', type_id: 1}}, {Sequence: {id: 'B', type_id: 1}}],
                   special_tokens: {'<s>': {id: '<s>', ids: [1], tokens: ['<s>']}}},
  decoder: {type: 'Sequence', decoders: [{type: 'Replace', pattern: {String: '▁'}, content: ' '},
            {type: 'ByteFallback'}, {type: 'Fuse'}, {type: 'Strip', content: ' ', start: 1, stop: 0}]},
  model: bpeModel(['▁', 'h', 'e', 'l', 'o', 'w', 'r', 'd', 'x'], [['▁', 'h'], ['e', 'l'],
                  ['▁h', 'el'], ['l', 'o'], ['▁hel', 'lo'], ['▁', 'w']],
                  {extra: fallbackVocab, byte_fallback: true, unk_token: '<unk>', fuse_unk: true}),
};
const unigramPieces = [['<unk>', 0], ['▁', -2], ['a', -3], ['b', -3], ['c', -3], ['d', -3],
  ['cd', -1], ['ab', -2], ['abc', -1.5], ['▁abcd', -0.5], ['abcd', -4], ['x', -5], ['é', -2]];
const unigram = (extra = {}) => ({
  version: '1.0', added_tokens: [], normalizer: null,
  pre_tokenizer: {type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true},
  post_processor: null,
  decoder: {type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true},
  model: {type: 'Unigram', unk_id: 0, vocab: unigramPieces, byte_fallback: false}, ...extra,
});

const tokenizers = {
  wordpiece: wordpiece(),
  wordpiece_bert_processing: wordpiece({post_processor: {type: 'BertProcessing', sep: ['[SEP]', 3],
                                                         cls: ['[CLS]', 2]}}),
  wordpiece_truncate_pad: wordpiece({
    truncation: {max_length: 6, strategy: 'LongestFirst', stride: 0, direction: 'Right'},
    padding: {strategy: {Fixed: 8}, direction: 'Right', pad_to_multiple_of: null, pad_id: 0,
              pad_type_id: 0, pad_token: '[PAD]'}}),
  wordpiece_left: wordpiece({
    truncation: {max_length: 5, strategy: 'LongestFirst', stride: 0, direction: 'Left'},
    padding: {strategy: 'BatchLongest', direction: 'Left', pad_to_multiple_of: 4, pad_id: 0,
              pad_type_id: 1, pad_token: '[PAD]'}}),
  wordpiece_only_first: wordpiece({
    truncation: {max_length: 7, strategy: 'OnlyFirst', stride: 0, direction: 'Right'}}),
  byte_level: byteLevel(),
  byte_level_no_trim: byteLevel({post_processor: {type: 'ByteLevel', add_prefix_space: false,
                                                  trim_offsets: false, use_regex: true}}),
  roberta: byteLevel({
    pre_tokenizer: {type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true},
    post_processor: {type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0],
                     trim_offsets: true, add_prefix_space: true}}),
  byte_level_sequence_post: byteLevel({post_processor: {type: 'Sequence', processors: [
    {type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true},
    {type: 'TemplateProcessing', single: [{Sequence: {id: 'A', type_id: 0}},
                                          {SpecialToken: {id: '<|endoftext|>', type_id: 0}}],
     pair: [{Sequence: {id: 'A', type_id: 0}}, {Sequence: {id: 'B', type_id: 1}}],
     special_tokens: {'<|endoftext|>': {id: '<|endoftext|>', ids: [500], tokens: ['<|endoftext|>']}}}]}}),
  bpe_options: {
    version: '1.0', added_tokens: [], normalizer: null, pre_tokenizer: {type: 'WhitespaceSplit'},
    post_processor: null, decoder: {type: 'BPEDecoder', suffix: '</w>'},
    model: bpeModel(['<unk>', 'a', 'b', 'c', '##a', '##b', '##c', 'a</w>', 'b</w>', '##a</w>',
                     '##b</w>', '##c</w>'],
                    [['a', '##b'], ['ab', '##c</w>'], ['##a', '##b</w>']],
                    {unk_token: '<unk>', continuing_subword_prefix: '##', end_of_word_suffix: '</w>',
                     stringMerges: true}),
  },
  bpe_fuse_unk: {
    version: '1.0', added_tokens: [], normalizer: null, pre_tokenizer: {type: 'WhitespaceSplit'},
    post_processor: null, decoder: null,
    model: bpeModel(['<unk>', 'a', 'b'], [['a', 'b']], {unk_token: '<unk>', fuse_unk: true}),
  },
  bpe_ignore_merges: {
    version: '1.0', added_tokens: [], normalizer: null, pre_tokenizer: {type: 'WhitespaceSplit'},
    post_processor: null, decoder: null,
    model: bpeModel(['a', 'b', 'c'], [['a', 'b'], ['b', 'c']],
                    {ignore_merges: true, extra: ['abc']}),
  },
  bpe_byte_fallback: metaspaceBpe,
  unigram: unigram(),
  unigram_byte_fallback: unigram({model: {type: 'Unigram', unk_id: 0, byte_fallback: true,
    vocab: [...unigramPieces, ...fallbackVocab.slice(3).map((t) => [t, -10])]}}),
  added_tokens: wordLevel(['<unk>', '[CLS]', '[SEP]', 'my', 'name', 'is', 'anthony', 'ony',
                           '<mask>', 'hi', 'there'], {
    normalizer: {type: 'Lowercase'},
    added_tokens: [
      {id: 3, content: 'my', single_word: false, lstrip: true, rstrip: true, normalized: true,
       special: false},
      {id: 4, content: 'name', single_word: false, lstrip: false, rstrip: false, normalized: true,
       special: false},
      {id: 7, content: 'ony', single_word: true, lstrip: false, rstrip: false, normalized: true,
       special: false},
      {id: 8, content: '<mask>', single_word: true, lstrip: true, rstrip: true, normalized: false,
       special: true},
      special(1, '[CLS]'), special(2, '[SEP]'), special(11, '<new>')],
  }),
};

const decoderTokenizer = (decoder, tokens) => wordLevel(tokens, {decoder});
Object.assign(tokenizers, {
  decode_wordpiece: decoderTokenizer({type: 'WordPiece', prefix: '##', cleanup: true},
                                     ['hello', '##s', ',', '.', 'do', 'n', "'", 't', 'do not']),
  decode_metaspace: decoderTokenizer({type: 'Metaspace', replacement: '▁', prepend_scheme: 'always',
                                      split: true}, ['▁hey', '▁friend', '!', '▁▁x']),
  decode_metaspace_never: decoderTokenizer({type: 'Metaspace', replacement: '▁',
                                            prepend_scheme: 'never', split: true},
                                           ['▁hey', '▁friend']),
  decode_bpe: decoderTokenizer({type: 'BPEDecoder', suffix: '</w>'}, ['hel', 'lo</w>', 'you</w>']),
  decode_ctc: decoderTokenizer({type: 'CTC', pad_token: '<pad>', word_delimiter_token: '|',
                                cleanup: true}, ['<pad>', 'h', 'e', 'l', 'o', '|', 'w']),
  decode_strip: decoderTokenizer({type: 'Strip', content: 'x', start: 1, stop: 2},
                                 ['xxhixx', 'xhi', 'hey']),
  decode_byte_fallback: decoderTokenizer({type: 'Sequence', decoders: [{type: 'ByteFallback'},
                                          {type: 'Fuse'}]},
                                         ['<0xC3>', '<0xA9>', 'a', '<0xFF>', '<0xE2>', 'b']),
  decode_replace_regex: decoderTokenizer({type: 'Replace', pattern: {Regex: '\\d+'}, content: '#'},
                                         ['a1', 'b22c', '3']),
});

// Component cases: a normalizer or pre-tokenizer alone.
const normalizers = {
  bert: {type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null,
         lowercase: true},
  bert_keep_accents: {type: 'BertNormalizer', clean_text: true, handle_chinese_chars: false,
                      strip_accents: false, lowercase: true},
  nfc: {type: 'NFC'}, nfd: {type: 'NFD'}, nfkc: {type: 'NFKC'}, nfkd: {type: 'NFKD'},
  lowercase: {type: 'Lowercase'},
  strip: {type: 'Strip', strip_left: true, strip_right: true},
  strip_left: {type: 'Strip', strip_left: true, strip_right: false},
  strip_accents: {type: 'Sequence', normalizers: [{type: 'NFD'}, {type: 'StripAccents'}]},
  replace_string: {type: 'Replace', pattern: {String: ' '}, content: '▁'},
  replace_regex: {type: 'Replace', pattern: {Regex: '\\s+'}, content: ' '},
  prepend: {type: 'Prepend', prepend: '▁'},
};
const normalizerTexts = ['Héllo\tWORLD\u0000 中文 e\u0301 ÀB İ', '  ﬁ ① ｈｉ  ', 'Ǖ\u0323 한국 Å',
                         'a\u200db\u00a0c\u3000d\u0007e\ufeff', ''];
const preTokenizers = {
  bert: {type: 'BertPreTokenizer'},
  whitespace: {type: 'Whitespace'},
  whitespace_split: {type: 'WhitespaceSplit'},
  byte_level: {type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true},
  byte_level_no_regex: {type: 'ByteLevel', add_prefix_space: false, trim_offsets: true,
                        use_regex: false},
  metaspace: {type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true},
  metaspace_first: {type: 'Sequence', pretokenizers: [
    {type: 'Split', pattern: {String: '-'}, behavior: 'Isolated', invert: false},
    {type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: true}]},
  metaspace_never_nosplit: {type: 'Metaspace', replacement: '_', prepend_scheme: 'never',
                            split: false},
  digits: {type: 'Digits', individual_digits: true},
  digits_contiguous: {type: 'Digits', individual_digits: false},
  punctuation: {type: 'Punctuation', behavior: 'Isolated'},
  punctuation_merged: {type: 'Punctuation', behavior: 'MergedWithPrevious'},
  char_delimiter: {type: 'CharDelimiterSplit', delimiter: '-'},
  llama3: {type: 'Split', pattern: {Regex: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
           behavior: 'Isolated', invert: false},
};
for (const b of ['Removed', 'Isolated', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous']) {
  preTokenizers[`split_${b}`] = {type: 'Split', pattern: {String: '-'}, behavior: b, invert: false};
  preTokenizers[`split_regex_${b}_invert`] = {type: 'Split', pattern: {Regex: '\\w+'}, behavior: b,
                                              invert: true};
}
const preTokenizerTexts = ['the-final--countdown', 'Hey, friend! I\'m  3.14 HOW\'S it?  ',
                           'naïve 日本語 ١٢٣ a\tb\nc', '-x-'];

const encodeCases = [
  ['wordpiece', 'Hello, worlds! unwanted'], ['wordpiece', 'HÉLLO  café naïve 中文 don\'t'],
  ['wordpiece', 'runnings aaaaaaaaaaaaaa [MASK] x'], ['wordpiece', ''], ['wordpiece', '   '],
  ['wordpiece', 'hello', 'world!', true], ['wordpiece', 'hello', 'world', false],
  ['wordpiece', 'İ ı'], ['wordpiece', 'hello [CLS]world[SEP]'],
  ['wordpiece_bert_processing', 'hello world', 'unwanted'],
  ['wordpiece_bert_processing', 'hello'],
  ['wordpiece_truncate_pad', 'hello world hello world hello world'],
  ['wordpiece_truncate_pad', 'hello'],
  ['wordpiece_truncate_pad', 'hello world hello', 'world hello world'],
  ['wordpiece_truncate_pad', 'hello world hello', 'world', false],
  ['wordpiece_left', 'hello world hello world'], ['wordpiece_left', 'hello'],
  ['wordpiece_only_first', 'hello world hello world', 'world'],
  ['byte_level', 'Hello world  café <|endoftext|> world'], ['byte_level', ' Hello\tworld\n'],
  ['byte_level', '日本 👍🏽 e\u0301'], ['byte_level', ''], ['byte_level', 'Hello', 'world'],
  ['byte_level_no_trim', '  Hello   world '], ['roberta', 'Hello world café'],
  ['roberta', 'Hello', ' world'], ['byte_level_sequence_post', ' Hello world'],
  ['byte_level_sequence_post', 'Hello', 'world'],
  ['bpe_options', 'abc ab a c bab'], ['bpe_fuse_unk', 'axxb ab xyz'],
  ['bpe_ignore_merges', 'abc abcabc cab'],
  ['bpe_byte_fallback', 'hello world héllo x'], ['bpe_byte_fallback', '日 hello'],
  ['unigram', 'abcd abcdacd xx'], ['unigram', 'abé ?c'], ['unigram_byte_fallback', 'abé ?c'],
  ['added_tokens', '[CLS] My name is Anthony [SEP]'],
  ['added_tokens', '<mask> hi <mask>there\t<mask>\t<mask>\u2000 a<mask>'],
  ['added_tokens', 'ony ponyony ony'], ['added_tokens', 'MY name<new>'],
];
const batchCases = [
  ['wordpiece_left', ['hello', 'hello world', 'hello world hello world hello']],
  ['wordpiece_truncate_pad', ['hello', 'hello world hello world hello world']],
  ['wordpiece', ['hello', 'unwanted worlds']],
];
const decodeCases = [
  ['wordpiece', [2, 5, 11, 6, 7, 12, 8, 9, 10, 3], false],
  ['wordpiece', [2, 5, 11, 6, 7, 12, 8, 9, 10, 3, 999], true],
  ['byte_level', [300, 500, 291, 1, 2], false], ['byte_level', [267, 272, 40, 263], false],
  ['byte_level', [267, 272, 40, 263], true],
  ['bpe_options', [13, 14, 0, 3], false], ['bpe_byte_fallback', [1, 268, 267, 0x43 + 3], false],
  ['bpe_byte_fallback', [1, 0xC3 + 3, 0xA9 + 3, 268, 0xFF + 3], true],
  ['unigram', [9, 1, 2, 6], false],
  ['decode_wordpiece', [0, 1, 2, 3, 4, 5, 6, 7, 8], false],
  ['decode_metaspace', [0, 1, 2, 3], false], ['decode_metaspace', [3, 0], false],
  ['decode_metaspace_never', [0, 1], false], ['decode_bpe', [0, 1, 2, 0], false],
  ['decode_ctc', [0, 1, 1, 2, 3, 3, 0, 3, 4, 5, 6, 6], false],
  ['decode_strip', [0, 1, 2], false], ['decode_byte_fallback', [0, 1, 2, 3, 4, 5], false],
  ['decode_replace_regex', [0, 1, 2], false],
];

(async () => {
  const cases = [];
  for (const [name, text, pair, addSpecial = true] of encodeCases) {
    const t = Tokenizer.fromString(JSON.stringify(tokenizers[name]));
    const e = await t.encode(text, pair ?? null, {addSpecialTokens: addSpecial});
    cases.push({kind: 'encode', tokenizer: name, text, pair: pair ?? null,
                add_special_tokens: addSpecial,
                expect: {ids: e.getIds(), tokens: e.getTokens(), offsets: e.getOffsets(),
                         type_ids: e.getTypeIds(), attention_mask: e.getAttentionMask(),
                         special_tokens_mask: e.getSpecialTokensMask()}});
  }
  for (const [name, texts] of batchCases) {
    const t = Tokenizer.fromString(JSON.stringify(tokenizers[name]));
    const encodings = await t.encodeBatch(texts);
    cases.push({kind: 'encode_batch', tokenizer: name, texts,
                expect: {ids: encodings.map((e) => e.getIds()),
                         attention_mask: encodings.map((e) => e.getAttentionMask())}});
  }
  for (const [name, ids, skip] of decodeCases) {
    const t = Tokenizer.fromString(JSON.stringify(tokenizers[name]));
    cases.push({kind: 'decode', tokenizer: name, ids, skip_special_tokens: skip,
                expect: {text: await t.decode(ids, skip)}});
  }
  for (const [name, normalizer] of Object.entries(normalizers)) {
    const t = Tokenizer.fromString(JSON.stringify(wordLevel(['a'], {normalizer})));
    for (const text of normalizerTexts) {
      cases.push({kind: 'normalize', normalizer: name, text,
                  expect: {normalized: t.getNormalizer().normalizeString(text)}});
    }
  }
  for (const [name, preTokenizer] of Object.entries(preTokenizers)) {
    const t = Tokenizer.fromString(JSON.stringify(wordLevel(['a'], {pre_tokenizer: preTokenizer})));
    for (const text of preTokenizerTexts) {
      cases.push({kind: 'pre_tokenize', pre_tokenizer: name, text,
                  expect: {pieces: t.getPreTokenizer().preTokenizeString(text)}});
    }
  }
  const doc = {
    about: 'Generated by tools/tokenizers/make_tokenizer_cases.cjs from tokenizers@0.23.2: the ' +
           'reference\'s answers for small tokenizers. Offsets are in characters.',
    tokenizers, normalizers, pre_tokenizers: preTokenizers, cases,
  };
  fs.writeFileSync(out, JSON.stringify(doc, null, 1) + '\n');
  console.log(`${cases.length} cases`);
})();
