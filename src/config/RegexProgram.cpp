#include "config/RegexProgram.h"

#include <algorithm>

namespace sluice::config::regex {

class RegexProgram::Compiler {
 public:
  explicit Compiler(RegexProgram& program) : program_(program) {}

  // Save 0, the pattern, Save 1, Match. False when it grew past kMaxInstructions.
  bool run(const Node& root) {
    emit({Op::Save, Node::Kind::Empty, 0, 0});
    node(root);
    emit({Op::Save, Node::Kind::Empty, 1, 0});
    emit({Op::Match, Node::Kind::Empty, 0, 0});
    return !tooLarge_;
  }

 private:
  uint32_t pc() const { return static_cast<uint32_t>(program_.insts_.size()); }

  uint32_t emit(Inst inst) {
    if (program_.insts_.size() >= kMaxInstructions) {
      tooLarge_ = true;
      return pc();
    }
    program_.insts_.push_back(inst);
    return pc() - 1;
  }

  // A split preferring `first` when greedy, the other branch when lazy; `other` patched later.
  uint32_t split(bool greedy) {
    const uint32_t at = emit({Op::Split, Node::Kind::Empty, 0, 0});
    if (tooLarge_) return at;
    (greedy ? program_.insts_[at].x : program_.insts_[at].y) = at + 1;
    return at;
  }
  void patchOther(uint32_t at, bool greedy, uint32_t target) {
    if (tooLarge_) return;
    (greedy ? program_.insts_[at].y : program_.insts_[at].x) = target;
  }

  void node(const Node& n) {
    if (tooLarge_) return;
    switch (n.kind) {
      case Node::Kind::Empty:
        return;
      case Node::Kind::Bytes: {
        auto& sets = program_.sets_;
        auto found = std::find(sets.begin(), sets.end(), n.bytes);
        const auto index = static_cast<uint32_t>(found - sets.begin());
        if (found == sets.end()) sets.push_back(n.bytes);
        emit({Op::Byte, Node::Kind::Empty, index, 0});
        return;
      }
      case Node::Kind::BeginText:
      case Node::Kind::EndText:
      case Node::Kind::BeginLine:
      case Node::Kind::EndLine:
      case Node::Kind::WordBoundary:
      case Node::Kind::NoWordBoundary:
        emit({Op::Assert, n.kind, 0, 0});
        return;
      case Node::Kind::Concat:
        for (const Node& child : n.children) node(child);
        return;
      case Node::Kind::Alternate: {
        std::vector<uint32_t> jumps;
        for (size_t i = 0; i + 1 < n.children.size() && !tooLarge_; ++i) {
          const uint32_t at = split(true);
          node(n.children[i]);
          jumps.push_back(emit({Op::Jump, Node::Kind::Empty, 0, 0}));
          patchOther(at, true, pc());
        }
        node(n.children.back());
        if (tooLarge_) return;
        for (uint32_t at : jumps) program_.insts_[at].x = pc();
        return;
      }
      case Node::Kind::Capture: {
        const auto slot = static_cast<uint32_t>(2 * n.capture);
        emit({Op::Save, Node::Kind::Empty, slot, 0});
        node(n.children[0]);
        emit({Op::Save, Node::Kind::Empty, slot + 1, 0});
        return;
      }
      case Node::Kind::Repeat:
        repeat(n);
        return;
    }
  }

  void repeat(const Node& n) {
    const Node& body = n.children[0];
    if (n.max < 0) {
      // x{m,}: m-1 copies then x+ ; x*: a loop that may be skipped.
      for (int i = 1; i < n.min && !tooLarge_; ++i) node(body);
      if (n.min == 0) {
        const uint32_t loop = split(n.greedy);
        node(body);
        emit({Op::Jump, Node::Kind::Empty, loop, 0});
        patchOther(loop, n.greedy, pc());
      } else {
        const uint32_t start = pc();
        node(body);
        const uint32_t at = emit({Op::Split, Node::Kind::Empty, 0, 0});
        if (tooLarge_) return;
        program_.insts_[at].x = n.greedy ? start : at + 1;
        program_.insts_[at].y = n.greedy ? at + 1 : start;
      }
      return;
    }
    // x{m,n}: m copies, then n-m optional ones, each skipping all that follow: x(x(x)?)?
    for (int i = 0; i < n.min && !tooLarge_; ++i) node(body);
    std::vector<uint32_t> skips;
    for (int i = n.min; i < n.max && !tooLarge_; ++i) {
      skips.push_back(split(n.greedy));
      node(body);
    }
    for (uint32_t at : skips) patchOther(at, n.greedy, pc());
  }

  RegexProgram& program_;  // borrowed, outlives this
  bool tooLarge_ = false;
};

std::optional<RegexProgram> RegexProgram::compile(const Syntax& syntax, std::string& error) {
  RegexProgram program;
  program.groups_ = syntax.captures;
  const size_t slots = 2 * (static_cast<size_t>(syntax.captures) + 1);
  if (!Compiler(program).run(syntax.root) || program.insts_.size() * slots > kMaxThreadSlots) {
    error = "expression too large";
    return std::nullopt;
  }
  return program;
}

// The threads of one position, in priority order, each at a distinct instruction (a sparse set),
// with the capture slots of those that wait on a byte or a match.
class RegexProgram::Search {
 public:
  Search(const RegexProgram& program, std::string_view text, size_t slotCount)
      : program_(program), text_(text), slotCount_(slotCount), work_(slotCount, -1) {
    for (ThreadList& list : lists_) {
      list.sparse.resize(program.insts_.size());
      list.dense.resize(program.insts_.size());
      list.slots.resize(program.insts_.size() * slotCount);
    }
  }

  bool run(std::vector<int>* captures) {
    ThreadList* current = &lists_[0];
    ThreadList* next = &lists_[1];
    bool matched = false;
    for (size_t pos = 0;; ++pos) {
      if (!matched) {  // a match starting here, after every thread already under way
        std::fill(work_.begin(), work_.end(), -1);
        add(*current, 0, pos);
      }
      if (current->count == 0) break;
      next->count = 0;
      for (uint32_t k = 0; k < current->count; ++k) {
        const uint32_t pc = current->dense[k];
        const Inst& inst = program_.insts_[pc];
        if (inst.op == Op::Match) {
          matched = true;
          if (!captures) return true;
          captures->assign(current->slots.begin() + k * slotCount_,
                           current->slots.begin() + (k + 1) * slotCount_);
          break;  // threads after this one have lower priority
        }
        if (inst.op == Op::Byte && pos < text_.size() &&
            program_.sets_[inst.x].test(static_cast<unsigned char>(text_[pos]))) {
          std::copy_n(current->slots.begin() + k * slotCount_, slotCount_, work_.begin());
          add(*next, pc + 1, pos + 1);
        }
      }
      if (pos >= text_.size()) break;
      std::swap(current, next);
    }
    return matched;
  }

 private:
  struct ThreadList {
    std::vector<uint32_t> sparse, dense;
    std::vector<int> slots;
    uint32_t count = 0;
  };
  struct Pending {
    uint32_t pc;
    int restoreSlot;  // >= 0: not a branch but the slot to set back to `restoreValue`
    int restoreValue;
  };

  bool holds(Node::Kind assertion, size_t pos) const {
    const auto word = [&](size_t at) { return isWordByte(text_[at]); };
    switch (assertion) {
      case Node::Kind::BeginText:
        return pos == 0;
      case Node::Kind::EndText:
        return pos == text_.size();
      case Node::Kind::BeginLine:
        return pos == 0 || text_[pos - 1] == '\n';
      case Node::Kind::EndLine:
        return pos == text_.size() || text_[pos] == '\n';
      case Node::Kind::WordBoundary:
      case Node::Kind::NoWordBoundary: {
        const bool boundary = (pos > 0 && word(pos - 1)) != (pos < text_.size() && word(pos));
        return boundary == (assertion == Node::Kind::WordBoundary);
      }
      default:
        return false;
    }
  }

  // Follows jumps, splits, saves and assertions from `pc` at `pos` with the slots in work_,
  // adding each instruction reached once; a split's preferred branch is followed first, so
  // threads land in priority order. An explicit stack: programs may be thousands deep.
  void add(ThreadList& list, uint32_t pc0, size_t pos) {
    stack_.clear();
    stack_.push_back({pc0, -1, 0});
    while (!stack_.empty()) {
      const Pending top = stack_.back();
      stack_.pop_back();
      if (top.restoreSlot >= 0) {
        work_[static_cast<size_t>(top.restoreSlot)] = top.restoreValue;
        continue;
      }
      uint32_t pc = top.pc;
      while (true) {
        const uint32_t seen = list.sparse[pc];
        if (seen < list.count && list.dense[seen] == pc) break;
        list.sparse[pc] = list.count;
        list.dense[list.count] = pc;
        const uint32_t index = list.count++;
        const Inst& inst = program_.insts_[pc];
        if (inst.op == Op::Jump) {
          pc = inst.x;
        } else if (inst.op == Op::Split) {
          stack_.push_back({inst.y, -1, 0});
          pc = inst.x;
        } else if (inst.op == Op::Save) {
          if (inst.x < slotCount_) {
            stack_.push_back({0, static_cast<int>(inst.x), work_[inst.x]});
            work_[inst.x] = static_cast<int>(pos);
          }
          ++pc;
        } else if (inst.op == Op::Assert) {
          if (!holds(inst.assertion, pos)) break;
          ++pc;
        } else {  // Byte or Match: a thread
          std::copy(work_.begin(), work_.end(), list.slots.begin() + index * slotCount_);
          break;
        }
      }
    }
  }

  const RegexProgram& program_;  // borrowed, outlives this
  std::string_view text_;
  size_t slotCount_;
  std::vector<int> work_;
  std::vector<Pending> stack_;
  ThreadList lists_[2];
};

bool RegexProgram::search(std::string_view text, std::vector<int>* captures) const {
  const size_t slotCount = captures ? 2 * (static_cast<size_t>(groups_) + 1) : 0;
  Search search(*this, text, slotCount);
  return search.run(captures);
}

}  // namespace sluice::config::regex
