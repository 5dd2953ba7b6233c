# A float32 MLP of about SIZE_MB megabytes of weights (one square MatMul per layer plus bias and
# ReLU): the model the browser transfer benchmark moves into the page.
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out, size_mb = sys.argv[1], float(sys.argv[2])
n = int((size_mb * 1e6 / 4 / 2) ** 0.5)  # two n×n layers
rng = np.random.default_rng(1)
inits, nodes, x = [], [], "x"
for i in range(2):
    w = (rng.standard_normal((n, n)) / np.sqrt(n)).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32) * 0.1
    inits += [numpy_helper.from_array(w, f"w{i}"), numpy_helper.from_array(b, f"b{i}")]
    nodes += [helper.make_node("MatMul", [x, f"w{i}"], [f"m{i}"]),
              helper.make_node("Add", [f"m{i}", f"b{i}"], [f"a{i}"]),
              helper.make_node("Relu", [f"a{i}"], [f"y{i}" if i < 1 else "y"])]
    x = f"y{i}"
graph = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", n])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", n])], inits)
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), out)
