#include "quicktools/util/csv.hpp"

namespace quicktools::util {

std::vector<CsvRecord> parse_csv(std::string_view text) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    std::vector<CsvRecord> records;
    std::size_t i = 0;
    int line = 1;
    const std::size_t n = text.size();
    while (i < n) {
        // A blank line (LF or CRLF) is no record.
        if (text[i] == '\n' || (text[i] == '\r' && i + 1 < n && text[i + 1] == '\n')) {
            i += text[i] == '\r' ? 2U : 1U;
            ++line;
            continue;
        }
        CsvRecord rec;
        rec.line = line;
        std::string field;
        bool end_of_record = false;
        while (!end_of_record) {
            field.clear();
            if (i < n && text[i] == '"') {
                ++i;
                bool closed = false;
                while (i < n) {
                    const char c = text[i];
                    if (c == '"') {
                        if (i + 1 < n && text[i + 1] == '"') {
                            field += '"';
                            i += 2;
                            continue;
                        }
                        ++i;
                        closed = true;
                        break;
                    }
                    if (c == '\n') ++line;
                    field += c;
                    ++i;
                }
                if (!closed) {
                    rec.error = "a quoted field is never closed (a \" is missing)";
                    rec.fields.push_back(field);
                    records.push_back(std::move(rec));
                    return records;
                }
                // After the closing quote only a separator or the end of the line may follow.
                if (i < n && text[i] != ',' && text[i] != '\n' && !(text[i] == '\r' && i + 1 < n && text[i + 1] == '\n') &&
                    rec.error.empty())
                    rec.error = "text after a closing quote (write a quote inside a quoted field as \"\")";
                while (i < n && text[i] != ',' && text[i] != '\n') ++i;  // skip to recover
            } else {
                while (i < n && text[i] != ',' && text[i] != '\n') {
                    if (text[i] == '"' && rec.error.empty())
                        rec.error = "a quote inside an unquoted field (quote the whole field and double the quote)";
                    field += text[i];
                    ++i;
                }
                if (!field.empty() && field.back() == '\r' && (i >= n || text[i] == '\n')) field.pop_back();
            }
            rec.fields.push_back(field);
            if (i >= n) {
                end_of_record = true;
            } else if (text[i] == ',') {
                ++i;
            } else {  // '\n'
                ++i;
                ++line;
                end_of_record = true;
            }
        }
        records.push_back(std::move(rec));
    }
    return records;
}

}  // namespace quicktools::util
