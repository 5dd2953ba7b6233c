// The Metal devices of a Mac, through the Objective-C runtime from plain C++ (the build has no
// Objective-C++): MTLCopyAllDevices, a few property messages and MPSSupportsMTLDevice, all
// looked up with dlopen/dlsym. Compiled only on macOS; elsewhere there is nothing to ask.
#include "hardware/native_libraries.h"

#if defined(__APPLE__)
#include <dlfcn.h>
#endif

namespace ipfs_accelerate::hardware::native {

#if defined(__APPLE__)

namespace {

using id = void*;
using SEL = void*;
#if defined(__arm64__) || defined(__aarch64__)
using ObjcBool = bool;  // BOOL is bool on arm64
#else
using ObjcBool = signed char;  // and signed char on x86_64
#endif

}  // namespace

Result<std::vector<MetalDevice>> MetalDevices() {
  void* objc = dlopen("/usr/lib/libobjc.A.dylib", RTLD_NOW);
  void* metal = dlopen("/System/Library/Frameworks/Metal.framework/Metal", RTLD_NOW);
  if (!objc || !metal) return Status::NotFound("the Metal framework cannot be loaded");
  void* mps =
      dlopen("/System/Library/Frameworks/MetalPerformanceShaders.framework/MetalPerformanceShaders",
             RTLD_NOW);
  auto sel = reinterpret_cast<SEL (*)(const char*)>(dlsym(objc, "sel_registerName"));
  void* send = dlsym(objc, "objc_msgSend");
  auto pool_push = reinterpret_cast<void* (*)()>(dlsym(objc, "objc_autoreleasePoolPush"));
  auto pool_pop = reinterpret_cast<void (*)(void*)>(dlsym(objc, "objc_autoreleasePoolPop"));
  auto copy_all = reinterpret_cast<id (*)()>(dlsym(metal, "MTLCopyAllDevices"));
  auto mps_supports =
      mps ? reinterpret_cast<ObjcBool (*)(id)>(dlsym(mps, "MPSSupportsMTLDevice")) : nullptr;
  if (!sel || !send || !pool_push || !pool_pop || !copy_all) {
    return Status::NotFound("the Objective-C runtime or MTLCopyAllDevices is missing");
  }
  // objc_msgSend is called through the exact type of each method.
  auto get_id = reinterpret_cast<id (*)(id, SEL)>(send);
  auto get_u64 = reinterpret_cast<uint64_t (*)(id, SEL)>(send);
  auto get_bool = reinterpret_cast<ObjcBool (*)(id, SEL)>(send);
  auto get_cstr = reinterpret_cast<const char* (*)(id, SEL)>(send);
  auto at_index = reinterpret_cast<id (*)(id, SEL, uint64_t)>(send);
  auto responds = reinterpret_cast<ObjcBool (*)(id, SEL, SEL)>(send);
  auto supports_family = reinterpret_cast<ObjcBool (*)(id, SEL, int64_t)>(send);
  auto release = reinterpret_cast<void (*)(id, SEL)>(send);

  // MTLGPUFamily values (MTLDevice.h).
  const std::pair<int64_t, const char*> kFamilies[] = {
      {1007, "apple7"}, {1008, "apple8"}, {1009, "apple9"}, {2002, "mac2"}, {5001, "metal3"}};
  void* pool = pool_push();
  std::vector<MetalDevice> out;
  id devices = copy_all();
  uint64_t n = devices ? get_u64(devices, sel("count")) : 0;
  for (uint64_t i = 0; i < n; ++i) {
    id dev = at_index(devices, sel("objectAtIndex:"), i);
    MetalDevice d;
    id name = get_id(dev, sel("name"));
    const char* utf8 = name ? get_cstr(name, sel("UTF8String")) : nullptr;
    d.name = utf8 ? utf8 : "";
    d.unified_memory = get_bool(dev, sel("hasUnifiedMemory"));
    d.recommended_max_working_set_bytes = get_u64(dev, sel("recommendedMaxWorkingSetSize"));
    d.low_power = get_bool(dev, sel("isLowPower"));
    d.removable = get_bool(dev, sel("isRemovable"));
    if (responds(dev, sel("respondsToSelector:"), sel("supportsFamily:"))) {
      for (const auto& [family, family_name] : kFamilies) {
        if (supports_family(dev, sel("supportsFamily:"), family)) d.families.push_back(family_name);
      }
    }
    d.supports_mps = mps_supports && mps_supports(dev);
    out.push_back(std::move(d));
  }
  if (devices) release(devices, sel("release"));
  pool_pop(pool);
  return out;
}

#else

Result<std::vector<MetalDevice>> MetalDevices() {
  return Status::Unsupported("Metal exists only on macOS");
}

#endif

}  // namespace ipfs_accelerate::hardware::native
