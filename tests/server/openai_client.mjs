// Drives `ipfs-accelerate serve`'s OpenAI-compatible routes with the official openai client
// (npm openai 6.49.0), as an application would, and prints what it got as JSON for the test to
// check: node openai_client.mjs NODE_MODULES BASE_URL API_KEY GEN_MODEL EMBED_MODEL
import path from 'node:path';
import {createRequire} from 'node:module';

const [modules, base, apiKey, gen, embed] = process.argv.slice(2);
const OpenAI = createRequire(path.join(path.resolve(modules), 'noop.js'))('openai');

const client = new OpenAI({baseURL: `${base}/v1`, apiKey, maxRetries: 0, timeout: 60000});
const out = {};

const models = await client.models.list();
out.models = models.data.map((m) => m.id).sort();

// Embeddings: the client asks for base64 and decodes it; and floats asked for explicitly.
const texts = ['Hello world', 'The quick brown fox jumps over the lazy dog', 'IPFS'];
const b64 = await client.embeddings.create({model: embed, input: texts});
out.embeddings_base64 = b64.data.map((d) => Array.from(d.embedding));
out.embeddings_usage = b64.usage;
const floats = await client.embeddings.create({model: embed, input: texts, encoding_format: 'float'});
out.embeddings_float = floats.data.map((d) => d.embedding);

// Completions, whole and streamed (with the usage chunk).
const completion = await client.completions.create(
    {model: gen, prompt: 'Hello, my dog is cute', max_tokens: 12, temperature: 0});
out.completion = {text: completion.choices[0].text, finish: completion.choices[0].finish_reason,
                  usage: completion.usage};
let streamed = '', chunks = 0, usage = null, finish = null;
const stream = await client.completions.create(
    {model: gen, prompt: 'Hello, my dog is cute', max_tokens: 12, temperature: 0, stream: true,
     stream_options: {include_usage: true}});
for await (const chunk of stream) {
  chunks++;
  if (chunk.usage) usage = chunk.usage;
  for (const c of chunk.choices) {
    streamed += c.text;
    if (c.finish_reason) finish = c.finish_reason;
  }
}
out.completion_stream = {text: streamed, chunks, usage, finish};

// Chat, whole and streamed.
const messages = [{role: 'system', content: 'You are terse.'}, {role: 'user', content: 'Say hi'}];
const chat = await client.chat.completions.create(
    {model: gen, messages, max_tokens: 10, temperature: 0});
out.chat = {content: chat.choices[0].message.content, role: chat.choices[0].message.role,
            finish: chat.choices[0].finish_reason, usage: chat.usage};
let said = '', role = null, chatFinish = null;
const chatStream = await client.chat.completions.create(
    {model: gen, messages, max_tokens: 10, temperature: 0, stream: true});
for await (const chunk of chatStream) {
  for (const c of chunk.choices) {
    if (c.delta.role) role = c.delta.role;
    if (c.delta.content) said += c.delta.content;
    if (c.finish_reason) chatFinish = c.finish_reason;
  }
}
out.chat_stream = {content: said, role, finish: chatFinish};

// Errors, as the client raises them.
const errors = {};
for (const [name, call] of Object.entries({
  unknown_model: () => client.completions.create({model: 'nope', prompt: 'x', max_tokens: 2}),
  wrong_task: () => client.embeddings.create({model: gen, input: 'x'}),
  bad_temperature: () => client.completions.create({model: gen, prompt: 'x', temperature: 7}),
  no_messages: () => client.chat.completions.create({model: gen, messages: []}),
  bad_key: () => new OpenAI({baseURL: `${base}/v1`, apiKey: 'wrong', maxRetries: 0})
                     .models.list(),
})) {
  try {
    await call();
    errors[name] = 'no error';
  } catch (e) {
    errors[name] = {status: e.status, message: e.error?.message ?? e.message};
  }
}
out.errors = errors;
console.log(JSON.stringify(out));
