// Binary frames of the browser worker protocol (web/PROTOCOL.md, "Binary frames"):
//
//   offset 0   "IAT1"
//   offset 4   uint32 LE  H, the header's length
//   offset 8   H bytes    the header, a UTF-8 JSON object
//              zeros      to the next multiple of 8 from the frame's start: the payload starts there
//   payload    tensor i at payload offset tensors[i].offset (a multiple of 8), tensors[i].bytes long
//
// Plain ES module, no DOM: the page, the node harness and the unit tests share it.

const MAGIC = [0x49, 0x41, 0x54, 0x31] // "IAT1"

// The protocol's dtypes (onnxruntime-web's names), their element sizes and the typed arrays that
// hold them. onnxruntime-web 1.31 takes a Uint16Array for 'float16' (it reinterprets the bits as a
// Float16Array itself where the browser has one) and a Uint8Array for 'bool'.
export const DTYPES = Object.freeze({
  float32: { size: 4, array: Float32Array },
  float16: { size: 2, array: Uint16Array },
  float64: { size: 8, array: Float64Array },
  int8: { size: 1, array: Int8Array },
  uint8: { size: 1, array: Uint8Array },
  int16: { size: 2, array: Int16Array },
  uint16: { size: 2, array: Uint16Array },
  int32: { size: 4, array: Int32Array },
  uint32: { size: 4, array: Uint32Array },
  int64: { size: 8, array: BigInt64Array },
  uint64: { size: 8, array: BigUint64Array },
  bool: { size: 1, array: Uint8Array }
})

// Tensor elements travel little-endian; typed arrays use the host's order. Every browser we meet
// is little-endian, but say so plainly rather than hand out byte-swapped numbers.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

// A malformed frame. `code` is the protocol's error code; `header` is the decoded header when the
// fault lies past it, so that the answer can still carry the request's id.
export class FrameError extends Error {
  constructor (message, header = null) {
    super(message)
    this.name = 'FrameError'
    this.code = 'frame'
    this.header = header
  }
}

const align8 = (n) => Math.ceil(n / 8) * 8

// The element count of a shape, or throws: every dim a non-negative safe integer and the product
// (times the element size) still a safe integer, so that a hostile shape cannot overflow into a
// small byte count.
export function elementCount (shape, size = 1, what = 'tensor') {
  if (!Array.isArray(shape)) throw new FrameError(`${what}: shape is not an array`)
  let n = 1
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new FrameError(`${what}: shape ${JSON.stringify(shape)} has a dim that is not a non-negative integer`)
    }
    n *= d
    if (!Number.isSafeInteger(n * size)) throw new FrameError(`${what}: shape ${JSON.stringify(shape)} is too large`)
  }
  return n
}

// Encodes a frame. `header` is the JSON header without "tensors"; each tensor is
// {name, dtype, shape, data} where data is any ArrayBufferView holding the elements (a typed array
// of the dtype, a Float16Array, raw bytes...). Returns a Uint8Array whose buffer is exactly the frame.
export function encodeFrame (header, tensors = []) {
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new TypeError('encodeFrame: the header must be an object')
  }
  const described = []
  const views = []
  let offset = 0 // where the next tensor goes
  let end = 0 // the payload's length: the frame ends with the last tensor, unpadded
  for (const t of tensors) {
    const what = `tensor ${JSON.stringify(t.name)}`
    const info = DTYPES[t.dtype]
    if (!info) throw new TypeError(`${what}: dtype ${JSON.stringify(t.dtype)} cannot travel in a frame`)
    if (!ArrayBuffer.isView(t.data)) throw new TypeError(`${what}: data is not a typed array`)
    const bytes = elementCount(t.shape, info.size, what) * info.size
    if (t.data.byteLength !== bytes) {
      throw new TypeError(`${what}: ${t.data.byteLength} bytes of data for shape ${JSON.stringify(t.shape)} of ${t.dtype} (${bytes} expected)`)
    }
    described.push({ name: String(t.name), dtype: t.dtype, shape: [...t.shape], offset, bytes })
    views.push(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))
    end = offset + bytes
    offset = align8(end)
  }
  const headerBytes = new TextEncoder().encode(JSON.stringify({ ...header, tensors: described }))
  const payloadStart = align8(8 + headerBytes.length)
  const frame = new Uint8Array(payloadStart + end) // zero-filled: the padding is zeros
  frame.set(MAGIC, 0)
  new DataView(frame.buffer).setUint32(4, headerBytes.length, true)
  frame.set(headerBytes, 8)
  described.forEach((d, i) => frame.set(views[i], payloadStart + d.offset))
  return frame
}

// Decodes and validates a frame (an ArrayBuffer or a Uint8Array). Returns {header, tensors} where
// each tensor is {name, dtype, shape, data} and data is a typed array of the dtype (see DTYPES):
// a view into the frame where it is aligned, a copy where it is not. Throws a FrameError that says
// what is wrong.
export function decodeFrame (input) {
  const frame = input instanceof ArrayBuffer ? new Uint8Array(input)
    : ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
      : null
  if (!frame) throw new FrameError('frame: not binary data')
  if (!LITTLE_ENDIAN) throw new FrameError('frame: this host is big-endian; frames are little-endian')
  if (frame.length < 8) throw new FrameError(`frame: ${frame.length} bytes, shorter than the 8-byte preamble`)
  for (let i = 0; i < 4; i++) {
    if (frame[i] !== MAGIC[i]) throw new FrameError('frame: does not start with "IAT1"')
  }
  const headerLength = new DataView(frame.buffer, frame.byteOffset, 8).getUint32(4, true)
  if (8 + headerLength > frame.length) {
    throw new FrameError(`frame: header length ${headerLength} runs past the frame's ${frame.length} bytes`)
  }
  let header
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(frame.subarray(8, 8 + headerLength)))
  } catch (e) {
    throw new FrameError(`frame: header is not UTF-8 JSON (${e.message})`)
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new FrameError('frame: header is not a JSON object')
  }

  // From here on the header is known, so errors carry it (and its id).
  const payloadStart = align8(8 + headerLength)
  // A frame without tensors may end right after its header; otherwise the padding must be there.
  for (let i = 8 + headerLength; i < Math.min(payloadStart, frame.length); i++) {
    if (frame[i] !== 0) throw new FrameError('frame: the padding after the header is not zeros', header)
  }
  const payloadLength = Math.max(0, frame.length - payloadStart)
  const list = header.tensors ?? []
  if (!Array.isArray(list)) throw new FrameError('frame: "tensors" is not an array', header)

  const names = new Set()
  const tensors = list.map((t, i) => {
    if (t === null || typeof t !== 'object' || Array.isArray(t)) {
      throw new FrameError(`frame: tensors[${i}] is not an object`, header)
    }
    if (typeof t.name !== 'string') throw new FrameError(`frame: tensors[${i}] has no string "name"`, header)
    const what = `frame: tensor ${JSON.stringify(t.name)}`
    if (names.has(t.name)) throw new FrameError(`${what} appears twice`, header)
    names.add(t.name)
    const info = Object.hasOwn(DTYPES, t.dtype) ? DTYPES[t.dtype] : null
    if (!info) throw new FrameError(`${what}: unknown dtype ${JSON.stringify(t.dtype)}`, header)
    let count
    try {
      count = elementCount(t.shape, info.size, what)
    } catch (e) {
      throw new FrameError(e.message, header)
    }
    const { offset, bytes } = t
    if (!Number.isSafeInteger(offset) || offset < 0 || offset % 8 !== 0) {
      throw new FrameError(`${what}: offset ${JSON.stringify(offset)} is not a non-negative multiple of 8`, header)
    }
    if (!Number.isSafeInteger(bytes) || bytes !== count * info.size) {
      throw new FrameError(`${what}: bytes ${JSON.stringify(bytes)} is not ${count} ${t.dtype} elements (${count * info.size} bytes) of shape ${JSON.stringify(t.shape)}`, header)
    }
    if (offset + bytes > payloadLength) {
      throw new FrameError(`${what}: bytes ${offset}..${offset + bytes} fall outside the ${payloadLength}-byte payload`, header)
    }
    const start = frame.byteOffset + payloadStart + offset
    // Typed arrays need an offset that is a multiple of their element size: true whenever the
    // frame itself starts 8-aligned (a WebSocket ArrayBuffer does); copy otherwise.
    let data
    if (count === 0) data = new info.array(0)
    else if (start % info.size === 0) data = new info.array(frame.buffer, start, count)
    else data = new info.array(frame.slice(payloadStart + offset, payloadStart + offset + bytes).buffer)
    return { name: t.name, dtype: t.dtype, shape: [...t.shape], data }
  })
  return { header, tensors }
}
