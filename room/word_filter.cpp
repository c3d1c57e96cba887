#include "room/word_filter.hpp"

#include <algorithm>

namespace room {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

std::shared_ptr<const WordFilter> WordFilter::parse(std::string_view text, std::string& error) {
  auto filter = std::make_shared<WordFilter>();
  size_t lineNo = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++lineNo;
    if (line.empty() || line.front() == '#') continue;
    if (line.size() > kMaxWordBytes) {
      error = "line " + std::to_string(lineNo) + ": a word is at most " +
              std::to_string(kMaxWordBytes) + " bytes";
      return nullptr;
    }
    if (filter->words_.size() >= kMaxWords) {
      error = "more than " + std::to_string(kMaxWords) + " words";
      return nullptr;
    }
    filter->words_.push_back(lower(line));
  }
  // Longest first: "badword" masks whole before "bad" is tried at the same place.
  std::sort(filter->words_.begin(), filter->words_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  filter->words_.erase(std::unique(filter->words_.begin(), filter->words_.end()),
                       filter->words_.end());
  return filter;
}

std::pair<size_t, size_t> WordFilter::find(std::string_view lowered, size_t from) const {
  size_t best = std::string_view::npos, length = 0;
  for (const auto& w : words_) {
    const size_t at = lowered.find(w, from);
    if (at < best || (at == best && w.size() > length)) {
      best = at;
      length = w.size();
    }
  }
  return {best, length};
}

bool WordFilter::matches(std::string_view text) const {
  return find(lower(text), 0).first != std::string_view::npos;
}

size_t WordFilter::mask(std::string& text) const {
  const std::string lowered = lower(text);
  std::string out;
  size_t count = 0, pos = 0;
  while (true) {
    auto [at, len] = find(lowered, pos);
    if (at == std::string_view::npos) break;
    out.append(text, pos, at - pos);
    // One '*' per UTF-8 character (continuation bytes 10xxxxxx are skipped).
    for (size_t i = at; i < at + len; ++i)
      if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) out.push_back('*');
    pos = at + len;
    ++count;
  }
  if (count == 0) return 0;
  out.append(text, pos, std::string::npos);
  text = std::move(out);
  return count;
}

}  // namespace room
