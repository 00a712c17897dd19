#include "http/HeapReport.h"

#include <dlfcn.h>
#include <gperftools/malloc_extension.h>
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "http/ProcStats.h"

namespace sluice::http {
namespace {

using GetStatsFn = void (*)(char*, int);
using InstanceFn = MallocExtension* (*)();

GetStatsFn tcmallocGetStats() {
  return reinterpret_cast<GetStatsFn>(dlsym(RTLD_DEFAULT, "MallocExtension_GetStats"));
}

// MallocExtension::instance(), looked up by its mangled name: only the virtual calls are
// needed, and they go through the object's vtable, not through link-time symbols.
MallocExtension* tcmallocInstance() {
  auto fn = reinterpret_cast<InstanceFn>(dlsym(RTLD_DEFAULT, "_ZN15MallocExtension8instanceEv"));
  return fn ? fn() : nullptr;
}

std::string tcmallocStats() {
  std::vector<char> buf(size_t{64} * 1024);
  if (GetStatsFn fn = tcmallocGetStats()) fn(buf.data(), static_cast<int>(buf.size()));
  return std::string(buf.data());
}

// tcmalloc's sample: a "heap profile: ... @ heap_v2/<period>" header, one line per sampled
// stack ("%6d: %8d [...] @ 0x..."), then a blank line and MAPPED_LIBRARIES.
bool sampleHasRecords(const std::string& sample) {
  if (sample.rfind("heap profile:", 0) != 0) return false;
  const size_t firstLine = sample.find('\n');
  if (firstLine == std::string::npos || firstLine + 1 >= sample.size()) return false;
  const char c = sample[firstLine + 1];
  return c == ' ' || (c >= '0' && c <= '9');
}

void appendLine(std::string& out, const char* label, unsigned long long value) {
  char line[160];
  std::snprintf(line, sizeof(line), "  %-44s %llu\n", label, value);
  out += line;
}

std::string glibcReport() {
  std::string out =
      "Sluice heap report\n"
      "allocator: glibc malloc\n"
      "tcmalloc is not loaded, so there is no sampled heap profile for pprof. For one, run\n"
      "Sluice with LD_PRELOAD=libtcmalloc.so.4 TCMALLOC_SAMPLE_PARAMETER=524288 (or link\n"
      "tcmalloc) and fetch /debug/pprof/heap again. Below: glibc's own counters.\n\n";
  const struct mallinfo2 mi = mallinfo2();
  out += "mallinfo2:\n";
  appendLine(out, "arena (bytes from sbrk):", mi.arena);
  appendLine(out, "ordblks (free chunks):", mi.ordblks);
  appendLine(out, "hblks (mmapped regions):", mi.hblks);
  appendLine(out, "hblkhd (bytes in mmapped regions):", mi.hblkhd);
  appendLine(out, "uordblks (bytes in use, main arena+threads):", mi.uordblks);
  appendLine(out, "fordblks (free bytes held):", mi.fordblks);
  appendLine(out, "keepcost (releasable top bytes):", mi.keepcost);
  ProcessStats process;
  if (readProcessStats(process)) {
    out += "process:\n";
    appendLine(out, "resident bytes:", process.residentBytes);
    appendLine(out, "virtual bytes:", process.virtualBytes);
  }
  // Per-arena detail (XML), useful when many threads each grew their own arena.
  char* xml = nullptr;
  size_t size = 0;
  if (FILE* f = open_memstream(&xml, &size)) {
    malloc_info(0, f);
    std::fclose(f);
    out += "\nmalloc_info:\n";
    out.append(xml, size);
    std::free(xml);
  }
  return out;
}

}  // namespace

bool tcmallocLoaded() { return tcmallocGetStats() != nullptr; }

HeapReport makeHeapReport(bool textOnly) {
  if (!tcmallocLoaded()) return {"text/plain; charset=utf-8", glibcReport()};
  if (!textOnly) {
    std::string sample;
    if (MallocExtension* ext = tcmallocInstance()) ext->GetHeapSample(&sample);
    if (sampleHasRecords(sample)) return {"application/octet-stream", std::move(sample)};
  }
  std::string out =
      "Sluice heap report\n"
      "allocator: tcmalloc\n";
  if (!textOnly) {
    out +=
        "tcmalloc keeps no heap sample: start Sluice with TCMALLOC_SAMPLE_PARAMETER=524288 (bytes\n"
        "between samples) for a profile pprof can read. Below: tcmalloc's statistics.\n";
  }
  out += "\n" + tcmallocStats();
  return {"text/plain; charset=utf-8", std::move(out)};
}

}  // namespace sluice::http
