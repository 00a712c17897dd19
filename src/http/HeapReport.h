#pragma once
// /debug/pprof/heap for whichever allocator the process runs with. With tcmalloc (linked
// or LD_PRELOADed) it serves tcmalloc's heap sample, which google-pprof reads; otherwise
// a plain-text report of glibc malloc's own statistics, saying that no sampled profile
// exists. tcmalloc is found at run time (dlsym), so http/ doesn't have to link it.
#include <string>

namespace sluice::http {

struct HeapReport {
  std::string contentType;
  std::string body;
};

// True when tcmalloc's MallocExtension is present in the process.
bool tcmallocLoaded();

// `textOnly` (Go's ?debug=1): statistics as text even when a heap sample is available.
HeapReport makeHeapReport(bool textOnly);

}  // namespace sluice::http
