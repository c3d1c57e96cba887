// ByteBudget: a bound on the bytes many owners hold together (e.g. every connection of a
// listener), optionally nested in a parent budget that bounds it and its siblings too.
// Owned by whoever owns the owners (a listener); loop thread only; never throws.
#pragma once

#include <cstddef>
#include <string>

namespace core {

class ByteBudget {
 public:
  // `name` says what the limit is, for refusal messages (e.g. "rtmp.max_partial_bytes").
  ByteBudget(std::string name, size_t limit, ByteBudget* parent = nullptr);
  ByteBudget(const ByteBudget&) = delete;
  ByteBudget& operator=(const ByteBudget&) = delete;

  // Takes n bytes from this budget and every ancestor, or from none of them. On refusal
  // returns false and sets *refusedBy (when given) to the budget that had no room.
  bool take(size_t n, const ByteBudget** refusedBy = nullptr);
  // Returns n bytes taken earlier (from this budget and every ancestor).
  void give(size_t n);
  // Moves n bytes held in this budget to `to`, which must be this budget's ancestor:
  // they stay counted there, and no longer here. Cannot fail.
  void moveToAncestor(size_t n, ByteBudget& to);

  // Bytes take() would accept now: the least room left in this budget and its ancestors.
  size_t available() const;

  const std::string& name() const { return name_; }
  size_t limit() const { return limit_; }
  size_t used() const { return used_; }
  size_t peak() const { return peak_; }  // highest `used` since construction

 private:
  std::string name_;
  size_t limit_;
  ByteBudget* parent_;
  size_t used_ = 0;
  size_t peak_ = 0;
};

}  // namespace core
