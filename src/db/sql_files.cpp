#include "quicktools/db/sql_files.hpp"

#include <map>
#include <mutex>
#include <stdexcept>

namespace quicktools::sql {
namespace {

using NamedQueries = std::map<std::string, std::string, std::less<>>;

// Splits a queries file at its `-- name: X` lines.
NamedQueries split_named(std::string_view text) {
    static constexpr std::string_view marker = "-- name: ";
    NamedQueries out;
    std::string current;
    std::string body;
    auto flush = [&] {
        if (!current.empty()) out.emplace(current, body);
        body.clear();
    };
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        if (line.substr(0, marker.size()) == marker) {
            flush();
            current = std::string(line.substr(marker.size()));
            while (!current.empty() && (current.back() == ' ' || current.back() == '\r')) current.pop_back();
        } else if (!current.empty()) {
            body.append(line).push_back('\n');
        }
        pos = end + 1;
    }
    flush();
    return out;
}

}  // namespace

std::string_view file(std::string_view path) {
    for (const auto& f : embedded_files())
        if (f.path == path) return f.text;
    throw std::logic_error("no embedded SQL file " + std::string(path));
}

namespace {

// The named statements of one queries file (an empty set if there is no such file), parsed once.
const NamedQueries* named_queries(const std::string& path) {
    static std::mutex mutex;
    static std::map<std::string, NamedQueries, std::less<>> cache;
    std::lock_guard lock(mutex);
    auto it = cache.find(path);
    if (it == cache.end()) {
        NamedQueries parsed;
        for (const auto& f : embedded_files())
            if (f.path == path) parsed = split_named(f.text);
        it = cache.emplace(path, std::move(parsed)).first;
    }
    return &it->second;
}

const std::string* find_query(const std::string& path, std::string_view name) {
    const NamedQueries* queries = named_queries(path);
    auto q = queries->find(name);
    return q == queries->end() ? nullptr : &q->second;
}

}  // namespace

const std::string& query(std::string_view file_name, std::string_view name) {
    if (const auto* q = find_query("queries/" + std::string(file_name) + ".sql", name)) return *q;
    throw std::logic_error("no query " + std::string(name) + " in sql/queries/" + std::string(file_name) + ".sql");
}

const std::string& query(db::Engine engine, std::string_view file_name, std::string_view name) {
    const std::string own = std::string(db::to_string(engine)) + "/queries/" + std::string(file_name) + ".sql";
    if (const auto* q = find_query(own, name)) return *q;
    return query(file_name, name);
}

}  // namespace quicktools::sql
