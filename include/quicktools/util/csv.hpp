#pragma once
// A CSV reader for RFC 4180 files: quoted fields (with "" for a quote, and line breaks inside),
// CRLF or LF line ends, a UTF-8 byte-order mark at the start. Blank lines are skipped. It reads
// a record at a time through a small buffer, and keeps at most the limits below of a record, so
// memory stays flat whatever the input (a file of commas, one endless field).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace quicktools::util {

struct CsvLimits {
    std::size_t max_field_bytes = 64 * 1024;
    std::size_t max_record_bytes = 256 * 1024;
    std::size_t max_fields = 64;
    // A record past a limit is read on to its end (to find the next one) for at most this many
    // bytes; then the reader stops, and the rest of the input is not read (an endless line,
    // /dev/zero, would otherwise never end).
    std::size_t max_skip_bytes = 1024 * 1024;
};

struct CsvRecord {
    std::int64_t line = 0;  // the line the record starts on, counting from 1
    std::vector<std::string> fields;
    std::string error;  // set when the record is malformed or past a limit (fields are then incomplete)
};

class CsvReader {
public:
    // Fills `buffer` with up to `size` bytes and returns how many; 0 at the end of the input.
    // May throw (a read error, an interruption): the error passes through next().
    using ReadFunction = std::function<std::size_t(char* buffer, std::size_t size)>;

    explicit CsvReader(ReadFunction read, CsvLimits limits = {});

    // The next record, or false at the end of the input. A quoted field left open at the end of
    // the input is reported on the record where it starts, which is then the last.
    bool next(CsvRecord& record);

    // Bytes read so far.
    std::int64_t bytes_read() const { return m_consumed; }

private:
    std::size_t ensure(std::size_t n);
    int peek();
    int peek_at(std::size_t k);
    int get();
    void keep(std::string& field, char c, CsvRecord& record);
    void fail(CsvRecord& record, std::string message);
    void end_field(std::string& field, CsvRecord& record);
    bool finish(CsvRecord& record) const;

    ReadFunction m_read;
    CsvLimits m_limits;
    std::vector<char> m_buffer;
    std::size_t m_pos = 0;
    std::size_t m_len = 0;
    std::int64_t m_consumed = 0;
    std::size_t m_record_bytes = 0;
    std::int64_t m_line = 1;
    bool m_eof = false;
    bool m_started = false;
    bool m_dropping = false;  // past a limit: the rest of the record is read, not kept
    bool m_stopped = false;   // past max_skip_bytes: the input ends here
    std::int64_t m_record_start = 0;
};

// Every record of `text` (tests, the fuzz target): a CsvReader over memory.
std::vector<CsvRecord> parse_csv(std::string_view text, CsvLimits limits = {});

}  // namespace quicktools::util
