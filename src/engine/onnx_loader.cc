#include "engine/onnx_loader.h"

#include <fcntl.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
// onnx_pb.h defines ONNX_API, which onnx-data.pb.h needs first.
// clang-format off
#include <onnx/onnx_pb.h>
#include <onnx/onnx-data.pb.h>
// clang-format on
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <map>
#include <set>

#include "core/file_util.h"
#include "core/parse_number.h"

namespace ipfs_accelerate::engine {
namespace {

std::string Domain(const std::string& d) { return d == "ai.onnx" ? "" : d; }

// External data files under a directory on disk, each opened once and read by range.
class DirectoryExternalData : public ExternalData {
 public:
  explicit DirectoryExternalData(std::string dir) : dir_(std::move(dir)) {}
  ~DirectoryExternalData() override {
    for (auto& [location, fd] : files_) ::close(fd);
  }

  Status Read(const std::string& location, uint64_t offset, uint64_t length, void* dst) override {
    auto it = files_.find(location);
    if (it == files_.end()) {
      const std::string path = dir_ + "/" + location;
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        return Status::IoError("cannot open external data file " + path + ": " +
                               std::strerror(errno));
      }
      it = files_.emplace(location, fd).first;
    }
    struct stat st {};
    if (::fstat(it->second, &st) != 0) return Status::IoError("cannot stat " + location);
    const auto file_size = static_cast<uint64_t>(st.st_size);
    if (offset > file_size || file_size - offset < length)
      return Status::InvalidArgument("external data file " + location + " is too short");
    auto* out = static_cast<char*>(dst);
    for (uint64_t done = 0; done < length;) {
      ssize_t n = ::pread(it->second, out + done, length - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Status::IoError("cannot read external data file " + location);
      done += static_cast<uint64_t>(n);
    }
    return Status::Ok();
  }

 private:
  std::string dir_;
  std::map<std::string, int> files_;
};

template <typename Src>
Status CopyTyped(const Src& field, Tensor* t, const std::string& what) {
  int64_t n = t->numel();
  if (static_cast<int64_t>(field.size()) != n) {
    return Status::InvalidArgument(what + ": holds " + std::to_string(field.size()) +
                                   " values for shape " + ShapeToString(t->shape()));
  }
  auto store = [&](auto* out) {
    using T = std::remove_pointer_t<decltype(out)>;
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(field.Get(static_cast<int>(i)));
  };
  switch (t->dtype()) {
    case DType::kFloat32:
      store(t->data<float>());
      break;
    case DType::kFloat64:
      store(t->data<double>());
      break;
    case DType::kInt64:
      store(t->data<int64_t>());
      break;
    case DType::kInt32:
      store(t->data<int32_t>());
      break;
    case DType::kInt16:
      store(t->data<int16_t>());
      break;
    case DType::kInt8:
      store(t->data<int8_t>());
      break;
    case DType::kUInt64:
      store(t->data<uint64_t>());
      break;
    case DType::kUInt32:
      store(t->data<uint32_t>());
      break;
    case DType::kUInt16:
    case DType::kFloat16:
    case DType::kBFloat16:
      store(t->data<uint16_t>());
      break;
    case DType::kUInt8:
      store(t->data<uint8_t>());
      break;
    case DType::kBool: {
      auto* out = t->data<uint8_t>();
      for (int64_t i = 0; i < n; ++i) out[i] = field.Get(static_cast<int>(i)) != 0;
      break;
    }
    default:
      return Status::Unsupported(what + ": dtype " + DTypeName(t->dtype()));
  }
  return Status::Ok();
}

// A string tensor from string_data (never external), as many strings as the shape holds.
Result<Tensor> StringsFromProto(const onnx::TensorProto& p, Shape shape, const std::string& what) {
  if (p.data_location() == onnx::TensorProto::EXTERNAL)
    return Status::Unsupported(what + ": string tensors in external data");
  Result<size_t> count = TensorBytes(DType::kUInt8, shape);
  if (!count.ok()) return count.status().WithContext(what);
  if (*count != static_cast<size_t>(p.string_data_size())) {
    return Status::InvalidArgument(what + ": shape " + ShapeToString(shape) + " holds " +
                                   std::to_string(*count) + " strings, string_data has " +
                                   std::to_string(p.string_data_size()));
  }
  try {
    Tensor t = Tensor::Empty(DType::kString, std::move(shape));
    std::copy(p.string_data().begin(), p.string_data().end(), t.data<std::string>());
    return t;
  } catch (const AllocationError& e) {
    return e.status().WithContext(what);
  }
}

Result<Tensor> TensorFromProto(const onnx::TensorProto& p, ExternalData* external) {
  const std::string what = "tensor '" + p.name() + "'";
  DType dtype = DTypeFromOnnx(p.data_type());
  if (dtype == DType::kUndefined) {
    return Status::Unsupported(what + ": element type " + std::to_string(p.data_type()) +
                               " is not supported");
  }
  Shape shape;
  for (int64_t d : p.dims()) {
    if (d < 0) return Status::InvalidArgument(what + ": negative dimension " + std::to_string(d));
    shape.push_back(d);
  }
  // Every check of the data against the shape comes before the allocation: a few bytes of
  // protobuf may declare terabytes. The allocation gate refuses absurd shapes first.
  if (dtype == DType::kString) return StringsFromProto(p, std::move(shape), what);
  Result<size_t> bytes = TensorBytes(dtype, shape);
  if (!bytes.ok()) return bytes.status().WithContext(what);
  uint64_t need = *bytes;
  int64_t elems = NumElements(shape);
  if (p.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string location;
    uint64_t offset = 0;
    int64_t length = -1;
    for (const auto& kv : p.external_data()) {
      if (kv.key() == "location") {
        location = kv.value();
      } else if (kv.key() == "offset") {
        IA_ASSIGN_OR_RETURN(int64_t v, ParseInt(kv.value(), what + ": external data offset", 0));
        offset = static_cast<uint64_t>(v);
      } else if (kv.key() == "length") {
        IA_ASSIGN_OR_RETURN(length, ParseInt(kv.value(), what + ": external data length", 0));
      }
    }
    if (!external) {
      return Status::Unsupported(
          what + ": external data needs the model's directory; load the model from a path");
    }
    if (location.empty() || location[0] == '/' || location.find("..") != std::string::npos) {
      return Status::InvalidArgument(what + ": external data location \"" + location +
                                     "\" must be a relative path inside the model's directory");
    }
    if (length >= 0 && static_cast<uint64_t>(length) != need) {
      return Status::InvalidArgument(what + ": external data length " + std::to_string(length) +
                                     " != " + std::to_string(need));
    }
    // Straight into the tensor: the only copy of these weights.
    Tensor t = Tensor::Empty(dtype, shape);
    Status read = external->Read(location, offset, need, t.raw());
    if (!read.ok()) return read.WithContext(what);
    return t;
  }
  if (p.has_raw_data()) {
    if (p.raw_data().size() != need) {
      return Status::InvalidArgument(
          what + ": raw_data has " + std::to_string(p.raw_data().size()) + " bytes; shape " +
          ShapeToString(shape) + " of " + DTypeName(dtype) + " needs " + std::to_string(need));
    }
    Tensor t = Tensor::Empty(dtype, shape);
    std::memcpy(t.raw(), p.raw_data().data(), need);
    return t;
  }
  int64_t values = dtype == DType::kFloat32                             ? p.float_data_size()
                   : dtype == DType::kFloat64                           ? p.double_data_size()
                   : dtype == DType::kInt64                             ? p.int64_data_size()
                   : dtype == DType::kUInt32 || dtype == DType::kUInt64 ? p.uint64_data_size()
                                                                        : p.int32_data_size();
  if (values != elems) {
    return Status::InvalidArgument(what + ": has " + std::to_string(values) + " values for shape " +
                                   ShapeToString(shape));
  }
  Tensor t = Tensor::Empty(dtype, shape);
  switch (dtype) {
    case DType::kFloat32:
      IA_RETURN_IF_ERROR(CopyTyped(p.float_data(), &t, what));
      break;
    case DType::kFloat64:
      IA_RETURN_IF_ERROR(CopyTyped(p.double_data(), &t, what));
      break;
    case DType::kInt64:
      IA_RETURN_IF_ERROR(CopyTyped(p.int64_data(), &t, what));
      break;
    case DType::kUInt32:
    case DType::kUInt64:
      IA_RETURN_IF_ERROR(CopyTyped(p.uint64_data(), &t, what));
      break;
    default:
      IA_RETURN_IF_ERROR(CopyTyped(p.int32_data(), &t, what));
      break;
  }
  return t;
}

// What a TypeProto declares: a tensor (its dtype and shape), a sequence of tensors (their dtype),
// an optional of either, or kOther (maps, sparse tensors, sequences of other things).
ValueInfo ConvertType(const onnx::TypeProto& type) {
  using Kind = ValueInfo::Kind;
  ValueInfo info;
  auto sequence_of_tensors = [](const onnx::TypeProto_Sequence& s, ValueInfo* out) {
    if (!s.elem_type().has_tensor_type()) return false;
    out->dtype = DTypeFromOnnx(s.elem_type().tensor_type().elem_type());
    return true;
  };
  if (type.has_sequence_type()) {
    info.kind = sequence_of_tensors(type.sequence_type(), &info) ? Kind::kSequence : Kind::kOther;
    return info;
  }
  if (type.has_optional_type()) {
    const onnx::TypeProto& elem = type.optional_type().elem_type();
    info.kind = Kind::kOptional;
    if (elem.has_tensor_type()) {
      info.dtype = DTypeFromOnnx(elem.tensor_type().elem_type());
    } else if (elem.has_sequence_type() && sequence_of_tensors(elem.sequence_type(), &info)) {
      info.element = Kind::kSequence;
    } else {
      info.kind = Kind::kOther;
    }
    return info;
  }
  if (!type.has_tensor_type()) {
    // No type at all reads as a tensor of unknown dtype; maps and sparse tensors are kOther.
    if (type.value_case() != onnx::TypeProto::VALUE_NOT_SET) info.kind = Kind::kOther;
    return info;
  }
  const auto& tt = type.tensor_type();
  info.dtype = DTypeFromOnnx(tt.elem_type());
  if (tt.has_shape()) {
    std::vector<Dim> dims;
    for (const auto& d : tt.shape().dim()) {
      Dim dim;
      if (d.has_dim_value())
        dim.value = d.dim_value();
      else if (d.has_dim_param())
        dim.param = d.dim_param();
      dims.push_back(dim);
    }
    info.shape = std::move(dims);
  }
  return info;
}

ValueInfo ConvertValueInfo(const onnx::ValueInfoProto& v) {
  ValueInfo info = ConvertType(v.type());
  info.name = v.name();
  return info;
}

Result<Graph> ConvertGraph(onnx::GraphProto& g, const std::map<std::string, int64_t>& opsets,
                           ExternalData* external, bool top_level);

Result<Attribute> ConvertAttribute(const onnx::AttributeProto& a,
                                   const std::map<std::string, int64_t>& opsets,
                                   ExternalData* external) {
  Attribute out;
  using A = onnx::AttributeProto;
  switch (a.type()) {
    case A::INT:
      out.kind = Attribute::Kind::kInt;
      out.i = a.i();
      break;
    case A::FLOAT:
      out.kind = Attribute::Kind::kFloat;
      out.f = a.f();
      break;
    case A::STRING:
      out.kind = Attribute::Kind::kString;
      out.s = a.s();
      break;
    case A::INTS:
      out.kind = Attribute::Kind::kInts;
      out.ints.assign(a.ints().begin(), a.ints().end());
      break;
    case A::FLOATS:
      out.kind = Attribute::Kind::kFloats;
      out.floats.assign(a.floats().begin(), a.floats().end());
      break;
    case A::STRINGS:
      out.kind = Attribute::Kind::kStrings;
      out.strings.assign(a.strings().begin(), a.strings().end());
      break;
    case A::TENSOR: {
      out.kind = Attribute::Kind::kTensor;
      IA_ASSIGN_OR_RETURN(out.t, TensorFromProto(a.t(), external));
      break;
    }
    case A::GRAPH: {
      out.kind = Attribute::Kind::kGraph;
      onnx::GraphProto copy = a.g();  // ConvertGraph releases what it has converted
      IA_ASSIGN_OR_RETURN(Graph g, ConvertGraph(copy, opsets, external, /*top_level=*/false));
      out.g = std::make_shared<Graph>(std::move(g));
      break;
    }
    case A::TYPE_PROTO:
      out.kind = Attribute::Kind::kType;
      out.type = ConvertType(a.tp());
      break;
    default:
      return Status::Unsupported("attribute '" + a.name() + "' has a type (" +
                                 std::to_string(a.type()) + ") this engine does not read");
  }
  return out;
}

// Turns a Constant node into the tensor it holds.
Result<Tensor> ConstantValue(const Node& n) {
  if (const Attribute* a = n.attr("value")) return a->t;
  if (const Attribute* a = n.attr("value_float"))
    return Tensor::Scalar<float>(DType::kFloat32, a->f);
  if (const Attribute* a = n.attr("value_int")) return Tensor::Scalar<int64_t>(DType::kInt64, a->i);
  if (const Attribute* a = n.attr("value_floats")) {
    Tensor t = Tensor::Empty(DType::kFloat32, {static_cast<int64_t>(a->floats.size())});
    std::copy(a->floats.begin(), a->floats.end(), t.data<float>());
    return t;
  }
  if (const Attribute* a = n.attr("value_ints")) {
    Tensor t = Tensor::Empty(DType::kInt64, {static_cast<int64_t>(a->ints.size())});
    std::copy(a->ints.begin(), a->ints.end(), t.data<int64_t>());
    return t;
  }
  if (const Attribute* a = n.attr("value_string")) {
    Tensor t = Tensor::Empty(DType::kString, {});
    *t.data<std::string>() = a->s;
    return t;
  }
  if (const Attribute* a = n.attr("value_strings")) {
    Tensor t = Tensor::Empty(DType::kString, {static_cast<int64_t>(a->strings.size())});
    std::copy(a->strings.begin(), a->strings.end(), t.data<std::string>());
    return t;
  }
  return Status::Unsupported(n.Describe() +
                             ": Constant without a supported value attribute (sparse_value?)");
}

// Orders nodes so each comes after the producers of its inputs (models must already be sorted,
// but some exporters are careless). Names not produced in this graph are graph inputs,
// initializers or, in subgraphs, values of the outer scope.
Status SortTopologically(Graph* g) {
  std::map<std::string, size_t> producer;
  for (size_t i = 0; i < g->nodes.size(); ++i) {
    for (const auto& o : g->nodes[i].outputs) {
      if (o.empty()) continue;
      if (!producer.emplace(o, i).second) {
        return Status::InvalidArgument("value '" + o + "' is produced by two nodes (" +
                                       g->nodes[i].Describe() + ")");
      }
    }
  }
  std::vector<int> state(g->nodes.size(), 0);  // 0 new, 1 visiting, 2 done
  std::vector<Node> sorted;
  sorted.reserve(g->nodes.size());
  std::function<Status(size_t)> visit = [&](size_t i) -> Status {
    if (state[i] == 2) return Status::Ok();
    if (state[i] == 1)
      return Status::InvalidArgument("the graph has a cycle through " + g->nodes[i].Describe());
    state[i] = 1;
    for (const auto& in : g->nodes[i].inputs) {
      auto it = producer.find(in);
      if (it != producer.end()) IA_RETURN_IF_ERROR(visit(it->second));
    }
    state[i] = 2;
    sorted.push_back(std::move(g->nodes[i]));
    return Status::Ok();
  };
  for (size_t i = 0; i < g->nodes.size(); ++i) IA_RETURN_IF_ERROR(visit(i));
  g->nodes = std::move(sorted);
  return Status::Ok();
}

// Converts `gp`, freeing each initializer's bytes in it once copied, so that loading a model
// needs about its size once, not twice.
Result<Graph> ConvertGraph(onnx::GraphProto& gp, const std::map<std::string, int64_t>& opsets,
                           ExternalData* external, bool top_level) {
  Graph g;
  g.name = gp.name();
  for (auto& init : *gp.mutable_initializer()) {
    IA_ASSIGN_OR_RETURN(Tensor t, TensorFromProto(init, external));
    g.initializers[init.name()] = std::move(t);
    std::string().swap(*init.mutable_raw_data());
  }
  if (gp.sparse_initializer_size() > 0)
    return Status::Unsupported("sparse initializers are not supported");
  for (const auto& in : gp.input()) {
    if (g.initializers.count(in.name())) continue;  // old models list initializers as inputs too
    g.inputs.push_back(ConvertValueInfo(in));
  }
  for (const auto& out : gp.output()) g.outputs.push_back(ConvertValueInfo(out));
  for (const auto& np : gp.node()) {
    Node n;
    n.name = np.name();
    n.op_type = np.op_type();
    n.domain = Domain(np.domain());
    n.inputs.assign(np.input().begin(), np.input().end());
    n.outputs.assign(np.output().begin(), np.output().end());
    auto op = opsets.find(n.domain);
    n.opset = op == opsets.end() ? 0 : op->second;
    for (const auto& ap : np.attribute()) {
      auto a = ConvertAttribute(ap, opsets, external);
      if (!a.ok()) return a.status().WithContext(n.Describe());
      n.attributes[ap.name()] = std::move(a).value();
    }
    if (n.op_type == "Constant" && n.domain.empty() && n.outputs.size() == 1) {
      IA_ASSIGN_OR_RETURN(Tensor t, ConstantValue(n));
      g.initializers[n.outputs[0]] = std::move(t);
      continue;
    }
    g.nodes.push_back(std::move(n));
  }
  if (top_level) IA_RETURN_IF_ERROR(SortTopologically(&g));
  return g;
}

Result<Model> ConvertModel(onnx::ModelProto& proto, ExternalData* external) {
  if (!proto.has_graph()) return Status::InvalidArgument("ONNX model has no graph");
  Model m;
  m.ir_version = proto.ir_version();
  m.producer = proto.producer_name();
  for (const auto& op : proto.opset_import()) m.opsets[Domain(op.domain())] = op.version();
  if (m.opsets.empty()) m.opsets[""] = 1;  // IR version 1 models had no opset_import
  IA_ASSIGN_OR_RETURN(m.graph,
                      ConvertGraph(*proto.mutable_graph(), m.opsets, external, /*top_level=*/true));
  return m;
}

constexpr char kNotOnnx[] =
    "not a valid ONNX model: the protobuf does not parse (truncated or not ONNX?)";
constexpr char kTooBig[] = "models over 2 GiB must keep their weights in external data files";

// The piece size in which ParseModelFrom asks for a model's bytes.
constexpr int kStreamBlock = 1 << 20;

// A ByteReader as protobuf's input: pieces in order, the first error kept.
class ReaderStream : public google::protobuf::io::CopyingInputStream {
 public:
  ReaderStream(uint64_t size, const ByteReader& read) : size_(size), read_(read) {}
  int Read(void* buffer, int size) override {
    if (!status_.ok()) return -1;
    const uint64_t n = std::min<uint64_t>(static_cast<uint64_t>(size), size_ - position_);
    if (n == 0) return 0;
    status_ = read_(position_, {static_cast<uint8_t*>(buffer), static_cast<size_t>(n)});
    if (!status_.ok()) return -1;
    position_ += n;
    return static_cast<int>(n);
  }
  const Status& status() const { return status_; }
  uint64_t position() const { return position_; }

 private:
  uint64_t size_;
  const ByteReader& read_;
  uint64_t position_ = 0;
  Status status_;
};

}  // namespace

Result<Model> ParseModel(std::string_view bytes, ExternalData* external) {
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
    return Status::Unsupported(kTooBig);
  onnx::ModelProto proto;
  if (!proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return Status::InvalidArgument(kNotOnnx);
  return ConvertModel(proto, external);
}

Result<Model> ParseModel(std::string_view bytes, const std::string& base_dir) {
  if (base_dir.empty()) return ParseModel(bytes, nullptr);
  DirectoryExternalData external(base_dir);
  return ParseModel(bytes, &external);
}

Result<Model> ParseModelFrom(uint64_t size, const ByteReader& read, ExternalData* external) {
  if (size > static_cast<uint64_t>(std::numeric_limits<int>::max()))
    return Status::Unsupported(kTooBig);
  onnx::ModelProto proto;
  {
    ReaderStream stream(size, read);
    google::protobuf::io::CopyingInputStreamAdaptor adaptor(&stream, kStreamBlock);
    bool parsed = proto.ParseFromZeroCopyStream(&adaptor);
    if (!stream.status().ok()) return stream.status();
    if (!parsed || stream.position() != size) return Status::InvalidArgument(kNotOnnx);
  }
  return ConvertModel(proto, external);
}

// Parses straight from the file, without a copy of its bytes beside the parsed message.
Result<Model> LoadModel(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IoError("cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  onnx::ModelProto proto;
  bool too_big = ::fstat(fd, &st) == 0 && st.st_size > std::numeric_limits<int>::max();
  bool parsed = !too_big && proto.ParseFromFileDescriptor(fd);
  ::close(fd);
  if (too_big) return Status::Unsupported(kTooBig).WithContext(path);
  if (!parsed) return Status::InvalidArgument(kNotOnnx).WithContext(path);
  DirectoryExternalData external(DirName(path));
  auto m = ConvertModel(proto, &external);
  if (!m.ok()) return m.status().WithContext(path);
  return m;
}

Result<Tensor> ParseTensorProto(std::string_view bytes, std::string* name) {
  onnx::TensorProto p;
  if (!p.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::InvalidArgument("not a valid ONNX TensorProto");
  }
  if (name) *name = p.name();
  return TensorFromProto(p, nullptr);
}

namespace {

Result<Value> SequenceFromProto(const onnx::SequenceProto& p, DType declared) {
  if (p.elem_type() != onnx::SequenceProto::TENSOR &&
      p.elem_type() != onnx::SequenceProto::UNDEFINED) {
    return Status::Unsupported("a sequence of element type " + std::to_string(p.elem_type()) +
                               " (only sequences of tensors are held)");
  }
  std::vector<Tensor> items;
  DType dtype = declared;
  for (const onnx::TensorProto& t : p.tensor_values()) {
    IA_ASSIGN_OR_RETURN(Tensor item, TensorFromProto(t, nullptr));
    if (dtype == DType::kUndefined) dtype = item.dtype();
    if (item.dtype() != dtype) {
      return Status::InvalidArgument("sequence item " + std::to_string(items.size()) + " is " +
                                     DTypeName(item.dtype()) + ", not " + DTypeName(dtype));
    }
    items.push_back(std::move(item));
  }
  return Value::Sequence(dtype, std::move(items));
}

}  // namespace

Result<Value> ParseValueProto(std::string_view bytes, const ValueInfo& info, std::string* name) {
  const int size = static_cast<int>(bytes.size());
  switch (info.kind) {
    case ValueInfo::Kind::kTensor: {
      IA_ASSIGN_OR_RETURN(Tensor t, ParseTensorProto(bytes, name));
      return Value(std::move(t));
    }
    case ValueInfo::Kind::kSequence: {
      onnx::SequenceProto p;
      if (!p.ParseFromArray(bytes.data(), size))
        return Status::InvalidArgument("not a valid ONNX SequenceProto");
      if (name) *name = p.name();
      return SequenceFromProto(p, info.dtype);
    }
    case ValueInfo::Kind::kOptional: {
      onnx::OptionalProto p;
      if (!p.ParseFromArray(bytes.data(), size))
        return Status::InvalidArgument("not a valid ONNX OptionalProto");
      if (name) *name = p.name();
      if (p.has_tensor_value()) {
        IA_ASSIGN_OR_RETURN(Tensor t, TensorFromProto(p.tensor_value(), nullptr));
        return Value(std::move(t));
      }
      if (p.has_sequence_value()) return SequenceFromProto(p.sequence_value(), info.dtype);
      if (p.elem_type() == onnx::OptionalProto::UNDEFINED ||
          p.elem_type() == onnx::OptionalProto::TENSOR ||
          p.elem_type() == onnx::OptionalProto::SEQUENCE) {
        return Value::None();
      }
      return Status::Unsupported("an optional of element type " + std::to_string(p.elem_type()));
    }
    case ValueInfo::Kind::kOther:
      break;
  }
  return Status::Unsupported("value '" + info.name +
                             "' is neither a tensor, a sequence of tensors nor an optional");
}

}  // namespace ipfs_accelerate::engine
