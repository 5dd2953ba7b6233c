#include "store/unixfs.h"

#include "store/protobuf.h"
#include "store/varint.h"

namespace ipfs_accelerate::store {

const char* UnixFsTypeName(UnixFsType t) {
  switch (t) {
    case UnixFsType::kRaw:
      return "raw";
    case UnixFsType::kDirectory:
      return "directory";
    case UnixFsType::kFile:
      return "file";
    case UnixFsType::kMetadata:
      return "metadata";
    case UnixFsType::kSymlink:
      return "symlink";
    case UnixFsType::kHamtShard:
      return "hamt-sharded-directory";
  }
  return "unknown";
}

std::string EncodeUnixFs(const UnixFsData& d) {
  std::string out;
  AppendPbVarint(out, 1, static_cast<uint64_t>(d.type));
  if (d.data) AppendPbBytes(out, 2, *d.data);
  if (d.filesize) AppendPbVarint(out, 3, *d.filesize);
  for (uint64_t b : d.blocksizes) AppendPbVarint(out, 4, b);
  if (d.hash_type) AppendPbVarint(out, 5, *d.hash_type);
  if (d.fanout) AppendPbVarint(out, 6, *d.fanout);
  if (d.mode) AppendPbVarint(out, 7, *d.mode);
  if (d.mtime_seconds) {
    std::string t;
    AppendPbVarint(t, 1, static_cast<uint64_t>(*d.mtime_seconds));
    if (d.mtime_nanos) {
      AppendPbTag(t, 2, 5);  // fixed32
      for (int i = 0; i < 4; ++i)
        t.push_back(static_cast<char>((*d.mtime_nanos >> (8 * i)) & 0xff));
    }
    AppendPbBytes(out, 8, t);
  }
  return out;
}

namespace {

Status ParseMtime(std::span<const uint8_t> in, UnixFsData* d) {
  size_t pos = 0;
  while (pos < in.size()) {
    auto tag = ReadVarint(in, &pos, /*minimal=*/true);
    if (!tag) return Status::Corruption("UnixFS mtime: malformed tag");
    if (*tag == ((1 << 3) | kWireVarint)) {
      if (d->mtime_seconds) return Status::Corruption("UnixFS mtime: duplicate Seconds");
      auto v = ReadVarint(in, &pos, /*minimal=*/true);
      if (!v) return Status::Corruption("UnixFS mtime: malformed Seconds");
      d->mtime_seconds = static_cast<int64_t>(*v);
    } else if (*tag == ((2 << 3) | 5)) {
      if (d->mtime_nanos) {
        return Status::Corruption("UnixFS mtime: duplicate FractionalNanoseconds");
      }
      if (in.size() - pos < 4)
        return Status::Corruption("UnixFS mtime: truncated FractionalNanoseconds");
      uint32_t n = 0;
      for (int i = 0; i < 4; ++i) n |= static_cast<uint32_t>(in[pos + i]) << (8 * i);
      pos += 4;
      if (n == 0 || n > 999999999)
        return Status::Corruption("UnixFS mtime: FractionalNanoseconds out of range");
      d->mtime_nanos = n;
    } else {
      return Status::Corruption("UnixFS mtime: unknown field tag " + std::to_string(*tag));
    }
  }
  // Seconds is required; without it EncodeUnixFs would drop the nanoseconds.
  if (!d->mtime_seconds) return Status::Corruption("UnixFS mtime: missing Seconds");
  return Status::Ok();
}

}  // namespace

Result<UnixFsData> DecodeUnixFs(std::span<const uint8_t> bytes) {
  UnixFsData d;
  bool have_type = false;
  uint32_t seen = 0;  // bit per singular field number
  size_t pos = 0;
  while (pos < bytes.size()) {
    IA_ASSIGN_OR_RETURN(PbField f, ReadPbField(bytes, &pos, "UnixFS data"));
    auto expect = [&](uint32_t wire) -> Status {
      if (f.wire_type == wire && (f.number == 4 || !(seen & (1u << f.number)))) {
        seen |= 1u << f.number;
        return Status::Ok();
      }
      if (f.wire_type != wire) {
        return Status::Corruption("UnixFS data: field " + std::to_string(f.number) +
                                  " has the wrong wire type");
      }
      return Status::Corruption("UnixFS data: duplicate field " + std::to_string(f.number));
    };
    switch (f.number) {
      case 1:
        IA_RETURN_IF_ERROR(expect(kWireVarint));
        if (f.value > 5)
          return Status::Corruption("UnixFS data: unknown type " + std::to_string(f.value));
        d.type = static_cast<UnixFsType>(f.value);
        have_type = true;
        break;
      case 2:
        IA_RETURN_IF_ERROR(expect(kWireBytes));
        d.data = std::string(reinterpret_cast<const char*>(f.bytes.data()), f.bytes.size());
        break;
      case 3:
        IA_RETURN_IF_ERROR(expect(kWireVarint));
        d.filesize = f.value;
        break;
      case 4:
        if (f.wire_type == kWireBytes) {  // packed form, as some writers emit
          size_t p = 0;
          while (p < f.bytes.size()) {
            auto v = ReadVarint(f.bytes, &p, /*minimal=*/true);
            if (!v) return Status::Corruption("UnixFS data: malformed packed blocksizes");
            d.blocksizes.push_back(*v);
          }
        } else {
          IA_RETURN_IF_ERROR(expect(kWireVarint));
          d.blocksizes.push_back(f.value);
        }
        break;
      case 5:
        IA_RETURN_IF_ERROR(expect(kWireVarint));
        d.hash_type = f.value;
        break;
      case 6:
        IA_RETURN_IF_ERROR(expect(kWireVarint));
        d.fanout = f.value;
        break;
      case 7:
        IA_RETURN_IF_ERROR(expect(kWireVarint));
        d.mode = static_cast<uint32_t>(f.value);
        break;
      case 8:
        IA_RETURN_IF_ERROR(expect(kWireBytes));
        IA_RETURN_IF_ERROR(ParseMtime(f.bytes, &d));
        break;
      default:
        return Status::Corruption("UnixFS data: unknown field " + std::to_string(f.number));
    }
  }
  if (!have_type) return Status::Corruption("UnixFS data: missing Type");
  return d;
}

Result<Cid> DirectoryEntry(const Cid& dir, std::string_view block, const std::string& name) {
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(block.data()), block.size());
  auto node = dir.codec() == kCodecDagPb ? DecodeUnixFsNode(bytes)
                                         : Result<UnixFsNode>(Status::NotFound("raw"));
  if (node.ok() && node->fs.type == UnixFsType::kHamtShard) {
    return Status::Unsupported(dir.ToString() +
                               " is a HAMT-sharded directory; paths through these are not "
                               "supported yet");
  }
  if (!node.ok() || node->fs.type != UnixFsType::kDirectory) {
    return Status::NotFound("\"" + name + "\": " + dir.ToString() + " is not a directory");
  }
  for (const PbLink& link : node->pb.links) {
    if (link.name && *link.name == name) return link.hash;
  }
  return Status::NotFound("no entry \"" + name + "\" in directory " + dir.ToString());
}

Result<UnixFsNode> DecodeUnixFsNode(std::span<const uint8_t> block) {
  UnixFsNode node;
  IA_ASSIGN_OR_RETURN(node.pb, DecodeDagPb(block));
  if (!node.pb.data) return Status::Corruption("dag-pb node has no UnixFS Data field");
  IA_ASSIGN_OR_RETURN(node.fs, DecodeUnixFs(AsBytes(*node.pb.data)));
  const UnixFsData& fs = node.fs;
  if (fs.type == UnixFsType::kFile || fs.type == UnixFsType::kRaw) {
    if (fs.blocksizes.size() != node.pb.links.size()) {
      return Status::Corruption("UnixFS file node has " + std::to_string(node.pb.links.size()) +
                                " links but " + std::to_string(fs.blocksizes.size()) +
                                " blocksizes");
    }
    uint64_t total = fs.data ? fs.data->size() : 0;
    for (uint64_t b : fs.blocksizes) {
      if (total + b < total) return Status::Corruption("UnixFS file node: blocksizes overflow");
      total += b;
    }
    if (fs.filesize && *fs.filesize != total) {
      return Status::Corruption("UnixFS file node: filesize " + std::to_string(*fs.filesize) +
                                " does not equal data plus blocksizes (" + std::to_string(total) +
                                ")");
    }
  }
  return node;
}

LeafFraming FileLeafFraming(uint64_t n) {
  // UnixFS bytes: 08 02 [12 len(n) chunk] 18 n   (Data omitted when the chunk is empty)
  uint64_t unixfs_size = 2 + (n > 0 ? 1 + VarintSize(n) + n : 0) + 1 + VarintSize(n);
  LeafFraming f;
  AppendPbTag(f.prefix, 1, kWireBytes);  // PBNode.Data
  AppendVarint(f.prefix, unixfs_size);
  AppendPbVarint(f.prefix, 1, static_cast<uint64_t>(UnixFsType::kFile));
  if (n > 0) {
    AppendPbTag(f.prefix, 2, kWireBytes);
    AppendVarint(f.prefix, n);
  }
  AppendPbVarint(f.suffix, 3, n);
  return f;
}

}  // namespace ipfs_accelerate::store
