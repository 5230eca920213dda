#include "pg_params.hpp"

#include <algorithm>
#include <cctype>

namespace quicktools::db::postgres {
namespace {

bool pg_ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool pg_ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$'; }

// The end of a quoted run that started at `start` (on the opening quote), with the quote
// doubled inside it as its escape; `backslash` also skips the character after a backslash.
std::size_t pg_skip_quoted(std::string_view sql, std::size_t start, char quote, bool backslash) {
    std::size_t i = start + 1;
    while (i < sql.size()) {
        if (backslash && sql[i] == '\\') {
            i += 2;
            continue;
        }
        if (sql[i] == quote) {
            if (i + 1 < sql.size() && sql[i + 1] == quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        ++i;
    }
    return sql.size();
}

// The tag of a dollar quote starting at `start` ("$$" or "$tag$"), or empty if there is none.
std::string_view pg_dollar_tag(std::string_view sql, std::size_t start) {
    std::size_t i = start + 1;
    if (i < sql.size() && sql[i] == '$') return sql.substr(start, 2);
    if (i >= sql.size() || !pg_ident_start(sql[i])) return {};
    while (i < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[i])) != 0 || sql[i] == '_')) ++i;
    if (i < sql.size() && sql[i] == '$') return sql.substr(start, i + 1 - start);
    return {};
}

}  // namespace

PgParameterSql pg_translate_parameters(std::string_view sql) {
    PgParameterSql out;
    out.text.reserve(sql.size() + 8);
    int highest = 0;
    auto emit_number = [&](int n) {
        highest = std::max(highest, n);
        out.text.push_back('$');
        out.text += std::to_string(n);
    };
    std::size_t i = 0;
    while (i < sql.size()) {
        const char c = sql[i];
        const char next = i + 1 < sql.size() ? sql[i + 1] : '\0';
        std::size_t end = i;
        if (c == '\'') {
            // E'...' takes backslash escapes; the E was copied already.
            const bool escape_string =
                i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') && (i < 2 || !pg_ident_char(sql[i - 2]));
            end = pg_skip_quoted(sql, i, '\'', escape_string);
        } else if (c == '"') {
            end = pg_skip_quoted(sql, i, '"', false);
        } else if (c == '-' && next == '-') {
            end = sql.find('\n', i);
            end = end == std::string_view::npos ? sql.size() : end;
        } else if (c == '/' && next == '*') {
            int depth = 0;
            end = i;
            while (end < sql.size()) {
                if (sql.compare(end, 2, "/*") == 0) {
                    ++depth;
                    end += 2;
                } else if (sql.compare(end, 2, "*/") == 0) {
                    end += 2;
                    if (--depth == 0) break;
                } else {
                    ++end;
                }
            }
        } else if (c == '$' && (i == 0 || !pg_ident_char(sql[i - 1]))) {
            const std::string_view tag = pg_dollar_tag(sql, i);
            if (!tag.empty()) {
                const std::size_t close = sql.find(tag, i + tag.size());
                end = close == std::string_view::npos ? sql.size() : close + tag.size();
            } else if (std::isdigit(static_cast<unsigned char>(next)) != 0) {
                // $n written for PostgreSQL: counts towards the highest number.
                end = i + 1;
                int n = 0;
                while (end < sql.size() && std::isdigit(static_cast<unsigned char>(sql[end])) != 0)
                    n = n * 10 + (sql[end++] - '0');
                highest = std::max(highest, n);
            }
        } else if (c == ':' && next == ':') {
            end = i + 2;
        } else if (c == ':' && pg_ident_start(next) && (i == 0 || sql[i - 1] != ':')) {
            end = i + 1;
            while (end < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[end])) != 0 || sql[end] == '_'))
                ++end;
            const std::string name(sql.substr(i, end - i));
            auto known = std::find_if(out.names.begin(), out.names.end(),
                                      [&](const auto& entry) { return entry.first == name; });
            if (known != out.names.end()) {
                emit_number(known->second);
            } else {
                out.names.emplace_back(name, highest + 1);
                emit_number(highest + 1);
            }
            i = end;
            continue;
        } else if (c == '?') {
            end = i + 1;
            if (std::isdigit(static_cast<unsigned char>(next)) != 0) {
                int n = 0;
                while (end < sql.size() && std::isdigit(static_cast<unsigned char>(sql[end])) != 0)
                    n = n * 10 + (sql[end++] - '0');
                emit_number(n);
            } else {
                emit_number(highest + 1);
            }
            i = end;
            continue;
        }
        if (end <= i) end = i + 1;
        out.text.append(sql.substr(i, end - i));
        i = end;
    }
    out.parameter_count = highest;
    return out;
}

}  // namespace quicktools::db::postgres
