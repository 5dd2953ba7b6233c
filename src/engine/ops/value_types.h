// The dtypes of a graph's values before it runs, from the declared inputs, the initializers and
// each op's output-type rule, written once here. Placement asks backends about nodes with these
// types. An op without a rule here gives outputs of unknown type (kUndefined), never a guess.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "engine/graph.h"

namespace ipfs_accelerate::engine::ops {

// The dtypes of `node`'s outputs when its inputs have `inputs` (kUndefined where unknown); one
// entry per node output, kUndefined where the rule needs what is not known.
std::vector<DType> OutputTypes(const Node& node, const std::vector<DType>& inputs);

// Whether `node`'s kernel takes sequences (and optionals holding them) as inputs: Identity, the
// control flow and the sequence and optional operators. The session gives every other kernel
// tensors only, refusing a sequence with an error naming the input.
bool TakesNonTensors(const Node& node);

// Whether `node`'s kernel takes string tensors: those that move tensors whole (Identity, the
// reshapes, control flow, sequences built and read) or read their shape, and the string
// operators (Cast, StringNormalizer). The session refuses a string tensor given to any other,
// whose byte copies cannot move std::string objects.
bool TakesStrings(const Node& node);

// Every value of `graph`'s top level whose type is known, by name.
std::map<std::string, DType> InferValueTypes(const Graph& graph);

// The dtypes of `node`'s inputs as `types` knows them (kUndefined for unknown or omitted).
std::vector<DType> InputTypes(const Node& node, const std::map<std::string, DType>& types);

}  // namespace ipfs_accelerate::engine::ops
