#include "quicktools/db/ddl_rewrite.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>

#include "quicktools/error.hpp"

namespace quicktools::db::ddl {
namespace {

bool is_name_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) != 0 || c == '_' || c == '$' || u >= 0x80;
}

// End of a quoted run starting at `i` (the opening delimiter), where a doubled closing
// delimiter stands for itself. Unterminated runs end at the end of the text.
std::size_t quoted_end(std::string_view s, std::size_t i, char close) {
    std::size_t j = i + 1;
    while (j < s.size()) {
        if (s[j] == close) {
            if (close != ']' && j + 1 < s.size() && s[j + 1] == close) {
                j += 2;
                continue;
            }
            return j + 1;
        }
        ++j;
    }
    return s.size();
}

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool significant(const Token& t) { return t.kind != TokenKind::space && t.kind != TokenKind::comment; }

bool is_punct(std::string_view sql, const Token& t, char c) { return t.kind == TokenKind::punct && sql[t.begin] == c; }

std::string_view text_of(std::string_view sql, const Token& t) { return sql.substr(t.begin, t.end - t.begin); }

// Index of the ')' matching the '(' at `open`, or tokens.size() when unbalanced.
std::size_t matching_paren(std::string_view sql, const std::vector<Token>& tokens, std::size_t open) {
    int depth = 0;
    for (std::size_t i = open; i < tokens.size(); ++i) {
        if (is_punct(sql, tokens[i], '(')) ++depth;
        if (is_punct(sql, tokens[i], ')') && --depth == 0) return i;
    }
    return tokens.size();
}

std::string first_name_in(std::string_view sql, const std::vector<Token>& tokens, std::size_t from, std::size_t to,
                          const std::set<std::string>& names) {
    for (std::size_t i = from; i < to; ++i) {
        std::string name = identifier(sql, tokens[i]);
        if (!name.empty() && names.count(name) != 0) return name;
    }
    return {};
}

}  // namespace

std::vector<Token> tokenize(std::string_view s) {
    std::vector<Token> out;
    std::size_t i = 0;
    while (i < s.size()) {
        const char c = s[i];
        const char next = i + 1 < s.size() ? s[i + 1] : '\0';
        Token t;
        t.begin = i;
        std::size_t j = i + 1;
        if (std::isspace(static_cast<unsigned char>(c)) != 0) {
            t.kind = TokenKind::space;
            while (j < s.size() && std::isspace(static_cast<unsigned char>(s[j])) != 0) ++j;
        } else if (c == '-' && next == '-') {
            t.kind = TokenKind::comment;
            j = s.find('\n', i);
            if (j == std::string_view::npos) j = s.size();
        } else if (c == '/' && next == '*') {
            t.kind = TokenKind::comment;
            j = s.find("*/", i + 2);
            j = j == std::string_view::npos ? s.size() : j + 2;
        } else if (c == '\'') {
            t.kind = TokenKind::string;
            j = quoted_end(s, i, '\'');
        } else if ((c == 'x' || c == 'X') && next == '\'') {
            t.kind = TokenKind::string;
            j = quoted_end(s, i + 1, '\'');
        } else if (c == '"' || c == '`' || c == '[') {
            t.kind = TokenKind::quoted;
            j = quoted_end(s, i, c == '[' ? ']' : c);
        } else if (std::isdigit(static_cast<unsigned char>(c)) != 0 ||
                   (c == '.' && std::isdigit(static_cast<unsigned char>(next)) != 0)) {
            t.kind = TokenKind::number;
            while (j < s.size() && (is_name_char(s[j]) || s[j] == '.' ||
                                    ((s[j] == '+' || s[j] == '-') && (s[j - 1] == 'e' || s[j - 1] == 'E'))))
                ++j;
        } else if (is_name_char(c)) {
            t.kind = TokenKind::word;
            while (j < s.size() && is_name_char(s[j])) ++j;
        } else {
            t.kind = TokenKind::punct;
        }
        t.end = j;
        out.push_back(t);
        i = j;
    }
    return out;
}

std::string identifier(std::string_view sql, const Token& token) {
    const std::string_view text = text_of(sql, token);
    if (token.kind == TokenKind::word) return lower(text);
    if (token.kind != TokenKind::quoted || text.size() < 2) return {};
    const char close = text.front() == '[' ? ']' : text.front();
    std::string out;
    for (std::size_t i = 1; i + 1 < text.size(); ++i) {
        out += text[i];
        if (close != ']' && text[i] == close && text[i + 1] == close) ++i;
    }
    return lower(out);
}

std::string first_name_used(std::string_view sql, const std::set<std::string>& names) {
    const auto tokens = tokenize(sql);
    return first_name_in(sql, tokens, 0, tokens.size(), names);
}

std::string quote_identifier(std::string_view name) {
    const bool plain = !name.empty() && std::isdigit(static_cast<unsigned char>(name.front())) == 0 &&
                       std::all_of(name.begin(), name.end(),
                                   [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; });
    if (plain && sqlite3_keyword_check(name.data(), static_cast<int>(name.size())) == 0) return std::string(name);
    std::string out = "\"";
    for (char c : name) {
        out += c;
        if (c == '"') out += '"';
    }
    return out + "\"";
}

namespace {

// One element of a column list: a column definition or a table constraint.
struct Element {
    std::string lead;   // whitespace and comment lines before it
    std::string core;   // the definition itself
    std::string trail;  // a comment after its comma on the same line
    bool keep = true;
    bool constraint = false;
};

// Removes `CHECK (...)` clauses (with their `CONSTRAINT name`) that name a dropped column
// from one column definition; returns the new text and records what was removed.
std::string without_column_checks(std::string_view sql, const std::vector<Token>& tokens, std::size_t from,
                                  std::size_t to, const std::set<std::string>& columns, TableRewrite& out) {
    std::vector<bool> removed(to, false);
    std::size_t pending = to;  // where a `CONSTRAINT name` that may precede a CHECK starts
    for (std::size_t i = from; i < to; ++i) {
        if (!significant(tokens[i])) continue;
        if (is_punct(sql, tokens[i], '(')) {
            i = std::min(matching_paren(sql, tokens, i), to - 1);
            pending = to;
            continue;
        }
        const std::string word = tokens[i].kind == TokenKind::word ? lower(text_of(sql, tokens[i])) : "";
        if (word == "constraint") {
            pending = i;
            for (++i; i < to && !significant(tokens[i]);) ++i;  // skip to the constraint's name
            continue;
        }
        const std::size_t constraint_start = pending;
        pending = to;
        if (word != "check") continue;
        std::size_t open = i + 1;
        while (open < to && !significant(tokens[open])) ++open;
        if (open >= to || !is_punct(sql, tokens[open], '(')) continue;
        const std::size_t close = std::min(matching_paren(sql, tokens, open), to - 1);
        std::size_t start = constraint_start != to ? constraint_start : i;
        if (!first_name_in(sql, tokens, open, close, columns).empty()) {
            out.removed_constraints.emplace_back(
                sql.substr(tokens[start].begin, tokens[close].end - tokens[start].begin));
            while (start > from && !significant(tokens[start - 1])) --start;
            for (std::size_t k = start; k <= close; ++k) removed[k] = true;
        }
        i = close;
    }
    std::string text;
    for (std::size_t i = from; i < to; ++i)
        if (!removed[i]) text += text_of(sql, tokens[i]);
    return text;
}

bool is_table_constraint(const std::string& first_word) {
    return first_word == "constraint" || first_word == "primary" || first_word == "unique" || first_word == "check" ||
           first_word == "foreign";
}

}  // namespace

TableRewrite drop_columns(std::string_view sql, const std::set<std::string>& columns, std::string_view new_name) {
    const auto tokens = tokenize(sql);
    std::size_t open = 0;
    while (open < tokens.size() && !is_punct(sql, tokens[open], '(')) ++open;
    const std::size_t close = open < tokens.size() ? matching_paren(sql, tokens, open) : tokens.size();
    std::size_t name = open;
    while (name > 0 && !significant(tokens[name - 1])) --name;
    if (close >= tokens.size() || name == 0 || identifier(sql, tokens[name - 1]).empty() ||
        lower(text_of(sql, tokens[0])) != "create")
        throw Error("the users table's definition could not be read as CREATE TABLE ... (columns)");
    --name;

    // Split the column list at the commas of its own level.
    std::vector<std::pair<std::size_t, std::size_t>> segments;
    std::size_t start = open + 1;
    for (std::size_t i = open + 1; i < close; ++i) {
        if (is_punct(sql, tokens[i], '('))
            i = matching_paren(sql, tokens, i);
        else if (is_punct(sql, tokens[i], ',')) {
            segments.emplace_back(start, i);
            start = i + 1;
        }
    }
    segments.emplace_back(start, close);

    TableRewrite out;
    std::vector<Element> elements;
    std::string closing;
    for (std::size_t n = 0; n < segments.size(); ++n) {
        auto [b, e] = segments[n];
        // A comment right after the comma, on the same line, belongs to the element before.
        std::size_t lead_from = b;
        for (std::size_t i = b; i < e && !significant(tokens[i]); ++i) {
            const bool newline = text_of(sql, tokens[i]).find('\n') != std::string_view::npos;
            if (tokens[i].kind == TokenKind::space && newline) break;
            if (tokens[i].kind == TokenKind::comment) lead_from = i + 1;
        }
        if (!elements.empty() && lead_from > b)
            elements.back().trail += sql.substr(tokens[b].begin, tokens[lead_from].begin - tokens[b].begin);
        std::size_t f = lead_from;
        while (f < e && !significant(tokens[f])) ++f;
        std::size_t l = e;
        while (l > f && !significant(tokens[l - 1])) --l;
        const std::string first = f < e ? identifier(sql, tokens[f]) : "";
        const bool constraint = f < e && tokens[f].kind == TokenKind::word && is_table_constraint(first);
        Element element;
        element.constraint = constraint;
        for (std::size_t i = lead_from; i < f; ++i) element.lead += text_of(sql, tokens[i]);
        const std::string after =
            f < e ? std::string(sql.substr(tokens[l - 1].end, tokens[e - 1].end - tokens[l - 1].end)) : "";
        if (f == e) continue;  // an empty element (a stray comma): nothing to keep
        if (!constraint && columns.count(first) != 0) {
            element.keep = false;
            out.removed_columns.emplace_back(text_of(sql, tokens[f]));
        } else if (constraint && !first_name_in(sql, tokens, f, l, columns).empty()) {
            element.keep = false;
            out.removed_constraints.emplace_back(sql.substr(tokens[f].begin, tokens[l - 1].end - tokens[f].begin));
        } else {
            element.core = constraint ? std::string(sql.substr(tokens[f].begin, tokens[l - 1].end - tokens[f].begin))
                                      : without_column_checks(sql, tokens, f, l, columns, out);
        }
        if (n + 1 == segments.size())
            closing = after;
        else
            element.trail = after;
        elements.push_back(std::move(element));
    }

    // Columns first, then table constraints (ADD COLUMN appends columns after them); in a table
    // written one element per line, every element gets its own line at the common indentation.
    std::vector<const Element*> kept;
    for (bool constraints : {false, true})
        for (const auto& element : elements)
            if (element.keep && element.constraint == constraints) kept.push_back(&element);
    if (kept.empty() || kept.front()->constraint) throw Error("the users table would have no columns left");
    const std::string& first_lead = elements.front().lead;
    const bool one_per_line = first_lead.find('\n') != std::string::npos;
    const std::string indent = one_per_line ? first_lead.substr(first_lead.rfind('\n') + 1) : "";
    const auto blank = [](const std::string& text) { return text.find_first_not_of(" \t\r\n") == std::string::npos; };
    std::string body;
    for (std::size_t k = 0; k < kept.size(); ++k) {
        std::string lead = kept[k]->lead;
        std::string trail = kept[k]->trail;
        if (one_per_line) {
            if (lead.find('\n') == std::string::npos)
                lead = "\n" + indent + lead.substr(std::min(lead.find_first_not_of(" \t"), lead.size()));
            if (blank(trail)) trail.clear();
        } else if (k == 0 && kept[0] != &elements.front() && blank(lead)) {
            lead = first_lead;  // the first line keeps the first element's spacing
        }
        body += lead + kept[k]->core + (k + 1 < kept.size() ? "," : "") + trail;
    }
    if (one_per_line && closing.find('\n') == std::string::npos) closing = "\n";
    out.sql = std::string(sql.substr(0, tokens[name].begin)) + quote_identifier(new_name) +
              std::string(sql.substr(tokens[name].end, tokens[open].end - tokens[name].end)) + body + closing +
              std::string(sql.substr(tokens[close].begin));
    return out;
}

}  // namespace quicktools::db::ddl
