#pragma once
// A CSV reader for RFC 4180 files: quoted fields (with "" for a quote, and line breaks inside),
// CRLF or LF line ends, a UTF-8 byte-order mark at the start. Blank lines are skipped.
#include <string>
#include <string_view>
#include <vector>

namespace quicktools::util {

struct CsvRecord {
    int line = 0;  // the line the record starts on, counting from 1
    std::vector<std::string> fields;
    std::string error;  // set when the record is malformed (then fields may be incomplete)
};

// Splits the whole text into records. A quoted field left open at the end of the text is
// reported on the record where it starts.
std::vector<CsvRecord> parse_csv(std::string_view text);

}  // namespace quicktools::util
