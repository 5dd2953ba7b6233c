// OpenMP waits passively in every program built with the engine, unless the user says otherwise.
//
// oneDNN (Debian's libdnnl) runs its kernels on a GNU OpenMP team beside the engine's own thread
// pool. By default libgomp's workers spin for about 3 ms after each parallel region before they
// sleep, and in that time they take the cores the pool's threads need: on 2 cores a GPT-2 decode
// step took 180 ms instead of 14.5 ms (docs/BENCHMARKS.md). With OMP_WAIT_POLICY=PASSIVE they
// sleep at once, so at any moment only one of the two thread sets runs (the session's thread
// budget: --threads N means N running threads, see core/parallel_for.h and onednn::SetThreads).
//
// libgomp reads its settings once, in its constructor, which the dynamic loader runs before any
// code of ours: before main, before our constructors and even before a .preinit_array entry (all
// tried). What it reads them with is getenv, and a program's own definition of getenv is the one
// every shared library binds to. So this file defines the program's getenv: the C library's
// behaviour exactly (a scan of environ), except that OMP_WAIT_POLICY, when it is not set, reads
// as PASSIVE. A user's own OMP_WAIT_POLICY (ACTIVE, say) is honoured. Nothing else changes.
//
// This object is linked into every executable that links the engine (see this folder's
// CMakeLists.txt); a library loaded into another program (a Python module) cannot do this and
// sets the variable before it loads oneDNN instead. tests/engine/openmp_passive_test.cc checks
// that libgomp took the setting.
#include <unistd.h>

#include <cstring>

extern "C" char* getenv(const char* name) {
  const size_t n = std::strlen(name);
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (std::strncmp(*e, name, n) == 0 && (*e)[n] == '=') return *e + n + 1;
  }
  if (std::strcmp(name, "OMP_WAIT_POLICY") == 0) return const_cast<char*>("PASSIVE");
  return nullptr;
}
