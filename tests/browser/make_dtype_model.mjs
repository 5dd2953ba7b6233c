// Writes a tiny ONNX model whose inputs and outputs cover every dtype of the protocol's frames, to
// check them end to end in the browser (tests/browser/page_harness.mjs):
//
//   node tests/browser/make_dtype_model.mjs OUT.onnx
//   node tests/browser/page_harness.mjs OUT.onnx --ep wasm $(node tests/browser/make_dtype_model.mjs --inputs)
//
// Each input has shape [2, 3]: float16 x -> y = float16(2 * float32(x)); float64 d -> d + d;
// int32 a -> a + a; int64 i -> i + i; bool m -> not m; uint8, int8, uint16, int16, uint32 and
// uint64 pass through Identity. No npm packages: the protobuf is written by hand.
import fs from 'node:fs'

const T = { float: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, bool: 9, float16: 10, double: 11, uint32: 12, uint64: 13 }

// Protobuf: varints, length-delimited fields, strings.
const varint = (n) => {
  const out = []
  for (n = BigInt(n); n >= 0x80n; n >>= 7n) out.push(Number(n & 0x7fn) | 0x80)
  out.push(Number(n))
  return out
}
const bytesField = (no, bytes) => [...varint(no * 8 + 2), ...varint(bytes.length), ...bytes]
const str = (no, s) => bytesField(no, [...Buffer.from(s)])
const int = (no, n) => [...varint(no * 8), ...varint(n)]

const SHAPE = [2, 3]
const valueInfo = (name, elemType) => [
  ...str(1, name),
  ...bytesField(2, bytesField(1, [...int(1, elemType), ...bytesField(2, SHAPE.flatMap((d) => bytesField(1, int(1, d))))]))
]
const node = (op, inputs, outputs, attrs = []) => [
  ...inputs.flatMap((i) => str(1, i)),
  ...outputs.flatMap((o) => str(2, o)),
  ...str(3, `${op}_${outputs[0]}`),
  ...str(4, op),
  ...attrs.flatMap(([name, value]) => bytesField(5, [...str(1, name), ...int(3, value), ...int(20, 2)])) // AttributeProto INT
]

const PASS = [['u8', 'uint8'], ['s8', 'int8'], ['u16', 'uint16'], ['s16', 'int16'], ['u32', 'uint32'], ['u64', 'uint64']]
const INPUTS = [
  ['x', 'float16', 'float16'], ['d', 'double', 'float64'], ['a', 'int32', 'int32'], ['i', 'int64', 'int64'], ['m', 'bool', 'bool'],
  ...PASS.map(([n, t]) => [n, t, t])
]

function model () {
  const nodes = [
    node('Cast', ['x'], ['xf'], [['to', T.float]]),
    node('Add', ['xf', 'xf'], ['yf']),
    node('Cast', ['yf'], ['y'], [['to', T.float16]]),
    node('Add', ['d', 'd'], ['d2']),
    node('Add', ['a', 'a'], ['a2']),
    node('Add', ['i', 'i'], ['i2']),
    node('Not', ['m'], ['not_m']),
    ...PASS.map(([n]) => node('Identity', [n], [`${n}_out`]))
  ]
  const outputs = [['y', 'float16'], ['d2', 'double'], ['a2', 'int32'], ['i2', 'int64'], ['not_m', 'bool'], ...PASS.map(([n, t]) => [`${n}_out`, t])]
  const graph = [
    ...nodes.flatMap((n) => bytesField(1, n)),
    ...str(2, 'dtypes'),
    ...INPUTS.flatMap(([n, t]) => bytesField(11, valueInfo(n, T[t]))),
    ...outputs.flatMap(([n, t]) => bytesField(12, valueInfo(n, T[t])))
  ]
  return Uint8Array.from([
    ...int(1, 8), // ir_version
    ...str(2, 'ipfs-accelerate tests/browser/make_dtype_model.mjs'),
    ...bytesField(7, graph),
    ...bytesField(8, [...str(1, ''), ...int(2, 17)]) // opset 17
  ])
}

const arg = process.argv[2]
if (arg === '--inputs') {
  // The harness's --input options for this model (small integer ranges: no overflow in a + a).
  const range = { int8: '-50-50', uint8: '0-200', int16: '-999-999', uint16: '0-60000', int32: '-999-999', uint32: '0-99999', int64: '-999-999', uint64: '0-99999', bool: '0-1' }
  console.log(INPUTS.map(([n, , dtype]) => `--input ${n}=${SHAPE.join(',')}:${dtype}${range[dtype] ? `:${range[dtype]}` : ''}`).join(' '))
} else if (arg) {
  fs.writeFileSync(arg, model())
} else {
  console.error('usage: make_dtype_model.mjs OUT.onnx | --inputs')
  process.exit(2)
}
