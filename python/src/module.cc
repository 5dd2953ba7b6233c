// ipfs_accelerate_py._core: the application core (python/src/node.h) for Python. Arrays cross as
// numpy arrays (dtypes mapped exactly; outputs handed over without a copy), every call that
// computes, fetches or hashes releases the GIL, and a Status becomes the exception of
// ipfs_accelerate_py.errors that names its code, with the core's message.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/build_info.h"
#include "node.h"

namespace py = pybind11;

namespace ipfs_accelerate::python {
namespace {

// A Status on its way to Python (see the translator in the module's init).
struct StatusError {
  StatusCode code;
  std::string message;
};

[[noreturn]] void Raise(const Status& s) { throw StatusError{s.code(), s.message()}; }
void Check(const Status& s) {
  if (!s.ok()) Raise(s);
}
template <typename T>
T Unwrap(Result<T> r) {
  if (!r.ok()) Raise(r.status());
  return std::move(r).value();
}

// The name ipfs_accelerate_py.errors knows each code by.
const char* CodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kInvalidArgument:
      return "invalid_argument";
    case StatusCode::kNotFound:
      return "not_found";
    case StatusCode::kCorruption:
      return "corruption";
    case StatusCode::kIoError:
      return "io_error";
    case StatusCode::kUnsupported:
      return "unsupported";
    case StatusCode::kBusy:
      return "busy";
    case StatusCode::kResourceExhausted:
      return "resource_exhausted";
    case StatusCode::kCancelled:
      return "cancelled";
    case StatusCode::kDeadlineExceeded:
      return "deadline_exceeded";
    case StatusCode::kUnavailable:
      return "unavailable";
    case StatusCode::kInternal:
      return "internal";
  }
  return "internal";
}

// numpy's dtype for an engine dtype; kUnsupported for those numpy has none of.
Result<py::dtype> NumpyDType(DType t) {
  switch (t) {
    case DType::kFloat32:
      return py::dtype::of<float>();
    case DType::kFloat64:
      return py::dtype::of<double>();
    case DType::kFloat16:
      return py::dtype("float16");
    case DType::kInt8:
      return py::dtype::of<int8_t>();
    case DType::kInt16:
      return py::dtype::of<int16_t>();
    case DType::kInt32:
      return py::dtype::of<int32_t>();
    case DType::kInt64:
      return py::dtype::of<int64_t>();
    case DType::kUInt8:
      return py::dtype::of<uint8_t>();
    case DType::kUInt16:
      return py::dtype::of<uint16_t>();
    case DType::kUInt32:
      return py::dtype::of<uint32_t>();
    case DType::kUInt64:
      return py::dtype::of<uint64_t>();
    case DType::kBool:
      return py::dtype::of<bool>();
    default:
      return Status::Unsupported("a " + DTypeName(t) +
                                 " tensor has no numpy dtype (numpy has no bfloat16 or string "
                                 "tensors of fixed width)");
  }
}

// The engine dtype of a numpy dtype: same kind, width and (native) byte order, or an error
// naming the input.
Result<DType> EngineDType(const py::dtype& dt, const std::string& name) {
  char kind = dt.kind();
  auto size = dt.itemsize();
  // '>' big-endian, '<' little, '=' native, '|' not applicable (read without a Python call).
  char order = py::detail::array_descriptor_proxy(dt.ptr())->byteorder;
  DType t = DType::kUndefined;
  if (kind == 'f') {
    t = size == 4   ? DType::kFloat32
        : size == 8 ? DType::kFloat64
        : size == 2 ? DType::kFloat16
                    : DType::kUndefined;
  } else if (kind == 'i') {
    t = size == 1   ? DType::kInt8
        : size == 2 ? DType::kInt16
        : size == 4 ? DType::kInt32
        : size == 8 ? DType::kInt64
                    : DType::kUndefined;
  } else if (kind == 'u') {
    t = size == 1   ? DType::kUInt8
        : size == 2 ? DType::kUInt16
        : size == 4 ? DType::kUInt32
        : size == 8 ? DType::kUInt64
                    : DType::kUndefined;
  } else if (kind == 'b') {
    t = DType::kBool;
  }
  if (t == DType::kUndefined || order == '>') {
    return Status::InvalidArgument("input '" + name + "' has numpy dtype " +
                                   py::cast<std::string>(dt.attr("name")) +
                                   (order == '>' ? " (big-endian)" : "") +
                                   ", which no model takes: give float16/32/64, (u)int8-64 or "
                                   "bool in native byte order");
  }
  return t;
}

// An input array held (so its memory stays valid) while the GIL is released.
struct HeldInput {
  std::string name;
  py::array array;  // C-contiguous
  DType dtype;
  Shape shape;
};

std::vector<HeldInput> HoldInputs(const py::dict& inputs) {
  std::vector<HeldInput> held;
  for (auto item : inputs) {
    if (!py::isinstance<py::str>(item.first)) {
      Raise(Status::InvalidArgument("input names must be strings, got " +
                                    py::repr(item.first).cast<std::string>()));
    }
    HeldInput h;
    h.name = item.first.cast<std::string>();
    if (!py::isinstance<py::array>(item.second)) {
      Raise(Status::InvalidArgument("input '" + h.name + "' must be a numpy array, got " +
                                    py::repr(py::type::of(item.second)).cast<std::string>()));
    }
    // A copy only when the array is not C-contiguous (a view with strides).
    h.array = py::array::ensure(item.second, py::array::c_style);
    if (!h.array) throw py::error_already_set();
    h.dtype = Unwrap(EngineDType(h.array.dtype(), h.name));
    h.shape.assign(h.array.shape(), h.array.shape() + h.array.ndim());
    held.push_back(std::move(h));
  }
  return held;
}

// The engine's tensors of `held`: each copied once into the engine's aligned memory. Runs
// without the GIL (the arrays stay referenced by `held`).
Result<std::map<std::string, Tensor>> ToTensors(const std::vector<HeldInput>& held) {
  std::map<std::string, Tensor> out;
  try {
    for (const HeldInput& h : held) {
      Tensor t = Tensor::Empty(h.dtype, h.shape);
      if (t.nbytes() > 0) std::memcpy(t.raw(), h.array.data(), t.nbytes());
      out[h.name] = std::move(t);
    }
  } catch (const AllocationError& e) {
    return e.status();
  }
  return out;
}

// numpy arrays over the engine's output buffers: no copy; each array keeps its tensor alive.
py::dict ToArrays(std::map<std::string, Tensor>& tensors) {
  py::dict out;
  for (auto& [name, t] : tensors) {
    py::dtype dt = Unwrap(NumpyDType(t.dtype()));
    auto* owner = new Tensor(std::move(t));
    py::capsule keep(owner, [](void* p) { delete static_cast<Tensor*>(p); });
    std::vector<py::ssize_t> shape(owner->shape().begin(), owner->shape().end());
    out[py::str(name)] = py::array(dt, shape, {}, owner->raw(), keep);
  }
  return out;
}

py::object Json(const nlohmann::json& j) {
  return py::module_::import("json").attr("loads")(j.dump());
}

// The bytes of any object with the buffer protocol (bytes, bytearray, memoryview, numpy), held
// until destroyed.
class HeldBuffer {
 public:
  explicit HeldBuffer(const py::object& obj) {
    if (PyObject_GetBuffer(obj.ptr(), &view_, PyBUF_C_CONTIGUOUS) != 0) {
      PyErr_Clear();
      Raise(Status::InvalidArgument(
          "store_to_ipfs takes bytes (or a contiguous buffer: bytearray, memoryview, numpy "
          "array), got " +
          py::repr(py::type::of(obj)).cast<std::string>()));
    }
  }
  ~HeldBuffer() { PyBuffer_Release(&view_); }
  HeldBuffer(const HeldBuffer&) = delete;
  HeldBuffer& operator=(const HeldBuffer&) = delete;
  const char* data() const { return static_cast<const char*>(view_.buf); }
  size_t size() const { return static_cast<size_t>(view_.len); }

 private:
  Py_buffer view_{};
};

py::dict Infer(Node& node, const std::string& model, const py::dict& inputs,
               const std::vector<std::string>& outputs) {
  std::vector<HeldInput> held = HoldInputs(inputs);
  Result<std::map<std::string, Tensor>> result = Status::Internal("not run");
  {
    py::gil_scoped_release release;
    auto tensors = ToTensors(held);
    result = tensors.ok() ? node.Infer(model, std::move(tensors).value(), outputs)
                          : Result<std::map<std::string, Tensor>>(tensors.status());
  }
  std::map<std::string, Tensor> tensors = Unwrap(std::move(result));
  return ToArrays(tensors);
}

py::tuple InferAnywhere(Node& node, const std::string& model, const py::dict& inputs) {
  std::vector<HeldInput> held = HoldInputs(inputs);
  Result<std::map<std::string, Tensor>> result = Status::Internal("not run");
  std::string where;
  {
    py::gil_scoped_release release;
    auto tensors = ToTensors(held);
    result = tensors.ok() ? node.InferAnywhere(model, std::move(tensors).value(), &where)
                          : Result<std::map<std::string, Tensor>>(tensors.status());
  }
  std::map<std::string, Tensor> tensors = Unwrap(std::move(result));
  py::dict arrays = ToArrays(tensors);
  return py::make_tuple(arrays, where);
}

// Mean seconds per call of Node::Infer over `runs` calls on the same inputs, timed in C++ (no
// Python between calls): the baseline that bench/python_api.py measures process() against.
double TimeInfer(Node& node, const std::string& model, const py::dict& inputs, int runs) {
  if (runs < 1) Raise(Status::InvalidArgument("time_infer: runs must be at least 1"));
  std::vector<HeldInput> held = HoldInputs(inputs);
  Status status;
  double seconds = 0;
  {
    py::gil_scoped_release release;
    auto tensors = ToTensors(held);
    status = tensors.status();
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < runs && status.ok(); ++i) status = node.Infer(model, *tensors, {}).status();
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  Check(status);
  return seconds / runs;
}

}  // namespace
}  // namespace ipfs_accelerate::python

PYBIND11_MODULE(_core, m) {
  using namespace ipfs_accelerate;
  using namespace ipfs_accelerate::python;
  m.doc() = "The C++ application core of ipfs_accelerate_py (use the package, not this module).";
  m.attr("git_commit") = GitCommit();
  m.attr("version") = Version();

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const StatusError& e) {
      py::object cls =
          py::module_::import("ipfs_accelerate_py.errors").attr("error_class")(CodeName(e.code));
      PyErr_SetString(cls.ptr(), e.message.c_str());
    } catch (const AllocationError& e) {
      py::object cls = py::module_::import("ipfs_accelerate_py.errors")
                           .attr("error_class")("resource_exhausted");
      PyErr_SetString(cls.ptr(), e.status().message().c_str());
    }
  });

  py::class_<Node>(m, "Node", "One node of the core: configuration, repository, router, peers.")
      .def(py::init([](const std::string& repo, const std::vector<std::string>& overrides,
                       int threads) { return Unwrap(Node::Create(repo, overrides, threads)); }),
           py::arg("repo"), py::arg("overrides"), py::arg("threads") = 0,
           "Loads the layered configuration with `overrides` (KEY=VALUE) on top; opens `repo` "
           "(\"\": the default repository).")
      .def_property_readonly("repo", &Node::repo, "The repository directory.")
      .def(
          "config", [](const Node& n) { return Json(n.ConfigJson()); },
          "Every configuration key with its value and source.")
      .def(
          "ensure",
          [](Node& n, const std::string& ref, bool load) {
            Result<std::string> r = Status::Internal("not run");
            {
              py::gil_scoped_release release;
              r = n.Ensure(ref, load);
            }
            return Unwrap(std::move(r));
          },
          py::arg("ref"), py::arg("load") = false,
          "Registers the model `ref` (alias, CID or path), fetching it when missing; loads it "
          "with `load`.")
      .def(
          "describe",
          [](Node& n, const std::string& ref) {
            Result<nlohmann::json> r = Status::Internal("not run");
            {
              py::gil_scoped_release release;
              r = n.Describe(ref);
            }
            return Json(Unwrap(std::move(r)));
          },
          py::arg("ref"), "The model's CID, inputs and outputs (loading it).")
      .def(
          "list", [](const Node& n) { return Json(n.List()); }, "Every registered model.")
      .def("infer", &Infer, py::arg("model"), py::arg("inputs"),
           py::arg("outputs") = std::vector<std::string>{},
           "Runs `model` on `inputs` ({name: numpy array}) here; {name: numpy array}.")
      .def(
          "embed",
          [](Node& n, const std::string& model, const std::vector<std::string>& texts) {
            Result<models::Embeddings> r = Status::Internal("not run");
            {
              py::gil_scoped_release release;
              r = n.Embed(model, texts);
            }
            models::Embeddings e = Unwrap(std::move(r));
            size_t dim = e.vectors.empty() ? 0 : e.vectors[0].size();
            py::array_t<float> out({e.vectors.size(), dim});
            float* dst = out.mutable_data();
            for (const std::vector<float>& v : e.vectors) {
              std::copy(v.begin(), v.end(), dst);
              dst += dim;
            }
            return py::make_tuple(out, e.tokens);
          },
          py::arg("model"), py::arg("texts"),
          "Embeddings of `texts` by a model package: (float32 array [texts, dim], tokens).")
      .def("infer_anywhere", &InferAnywhere, py::arg("model"), py::arg("inputs"),
           "Runs `model` where the remote-inference plan says; ({name: array}, where).")
      .def("time_infer", &TimeInfer, py::arg("model"), py::arg("inputs"), py::arg("runs"),
           "Mean seconds per call of the core's Infer over `runs` calls, timed in C++.")
      .def(
          "store",
          [](Node& n, const py::object& data, bool pin) {
            HeldBuffer buffer(data);
            Result<std::string> r = Status::Internal("not run");
            {
              py::gil_scoped_release release;
              r = n.Store(buffer.data(), buffer.size(), pin);
            }
            return Unwrap(std::move(r));
          },
          py::arg("data"), py::arg("pin") = true,
          "Imports the bytes as one file (as `ipfs-accelerate add`); its CID.")
      .def(
          "cat",
          [](Node& n, const std::string& ref) {
            Result<std::string> r = Status::Internal("not run");
            {
              py::gil_scoped_release release;
              r = n.Cat(ref);
            }
            std::string bytes = Unwrap(std::move(r));
            return py::bytes(bytes.data(), bytes.size());
          },
          py::arg("ref"), "The verified bytes of the file `ref`, fetched when missing.")
      .def(
          "find_providers",
          [](Node& n, const std::string& ref) {
            Result<nlohmann::json> r = Status::Internal("not run");
            {
              py::gil_scoped_release release;
              r = n.FindProviders(ref);
            }
            return Json(Unwrap(std::move(r)));
          },
          py::arg("ref"), "What the configured delegated routers name as providers of `ref`.")
      .def(
          "connect",
          [](Node& n, const std::string& url) {
            Result<bool> r = Status::Internal("not run");
            {
              py::gil_scoped_release release;
              r = n.Connect(url);
            }
            return Unwrap(std::move(r));
          },
          py::arg("url"), "Whether the node at `url` answers; if so it becomes a peer.")
      .def(
          "hardware",
          [](const Node& n) {
            nlohmann::json j;
            {
              py::gil_scoped_release release;
              j = n.Hardware();
            }
            return Json(j);
          },
          "The 8 platforms, as `ipfs-accelerate hw --json`.")
      .def(
          "bench",
          [](Node& n, const std::string& request) {
            Result<nlohmann::json> r = Status::Internal("not run");
            {
              py::gil_scoped_release release;
              auto j = nlohmann::json::parse(request, nullptr, false);
              r = j.is_discarded() ? Result<nlohmann::json>(
                                         Status::InvalidArgument("bench: the request is no JSON"))
                                   : n.Bench(j);
            }
            return Json(Unwrap(std::move(r)));
          },
          py::arg("request"), "Runs a benchmark (request as JSON); the run and its results.")
      .def(
          "plan",
          [](Node& n, const std::string& ref, const std::string& request) {
            Result<nlohmann::json> r = Status::Internal("not run");
            {
              py::gil_scoped_release release;
              auto j = nlohmann::json::parse(request, nullptr, false);
              r = j.is_discarded() ? Result<nlohmann::json>(
                                         Status::InvalidArgument("plan: the request is no JSON"))
                                   : n.Plan(ref, j);
            }
            return Json(Unwrap(std::move(r)));
          },
          py::arg("model"), py::arg("request"),
          "The deployment plan of `model` (constraints as JSON), as `plan --json` prints it.");
}
