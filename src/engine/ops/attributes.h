// Reading a node's attributes with their kinds checked, and the error every rule returns: one
// copy for the rules in engine/ops/.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "engine/graph.h"

namespace ipfs_accelerate::engine::ops {

// kInvalidArgument: `message` prefixed with the node's description.
inline Status NodeError(const Node& n, const std::string& message) {
  return Status::InvalidArgument(n.Describe() + ": " + message);
}

// Attribute `name` of `n` when it has kind `kind`; null when absent; an error when of another kind.
inline Result<const Attribute*> TypedAttr(const Node& n, const char* name, Attribute::Kind kind) {
  const Attribute* a = n.attr(name);
  if (a && a->kind != kind)
    return NodeError(n, std::string("attribute ") + name + " has the wrong type");
  return a;
}

// The value of int attribute `name`, or `fallback` when absent; an error when of another kind.
inline Result<int64_t> IntAttrOr(const Node& n, const char* name, int64_t fallback) {
  IA_ASSIGN_OR_RETURN(const Attribute* a, TypedAttr(n, name, Attribute::Kind::kInt));
  return a ? a->i : fallback;
}

// The value of float attribute `name`, or `fallback` when absent; an error when of another kind.
inline Result<float> FloatAttrOr(const Node& n, const char* name, float fallback) {
  IA_ASSIGN_OR_RETURN(const Attribute* a, TypedAttr(n, name, Attribute::Kind::kFloat));
  return a ? a->f : fallback;
}

// The value of string attribute `name`, or `fallback` when absent; an error when of another kind.
inline Result<std::string> StringAttrOr(const Node& n, const char* name,
                                        const std::string& fallback) {
  IA_ASSIGN_OR_RETURN(const Attribute* a, TypedAttr(n, name, Attribute::Kind::kString));
  return a ? a->s : fallback;
}

}  // namespace ipfs_accelerate::engine::ops
