#include "quicktools/util/csv.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "quicktools/util/system.hpp"

namespace quicktools::util {

CsvReader::CsvReader(ReadFunction read, CsvLimits limits)
    : m_read(std::move(read)), m_limits(limits), m_buffer(std::size_t{64} * 1024) {}

// Makes at least n bytes available from m_pos on, unless the input ends first; returns how many are.
std::size_t CsvReader::ensure(std::size_t n) {
    while (m_len - m_pos < n && !m_eof) {
        if (m_pos > 0) {
            std::memmove(m_buffer.data(), m_buffer.data() + m_pos, m_len - m_pos);
            m_len -= m_pos;
            m_pos = 0;
        }
        const std::size_t got = m_read(m_buffer.data() + m_len, m_buffer.size() - m_len);
        if (got == 0) m_eof = true;
        m_len += got;
    }
    return m_len - m_pos;
}

int CsvReader::peek() {
    if (m_stopped) return -1;
    return ensure(1) > 0 ? static_cast<unsigned char>(m_buffer[m_pos]) : -1;
}

int CsvReader::peek_at(std::size_t k) {
    return ensure(k + 1) > k ? static_cast<unsigned char>(m_buffer[m_pos + k]) : -1;
}

int CsvReader::get() {
    const int c = peek();
    if (c >= 0) {
        ++m_pos;
        ++m_consumed;
    }
    return c;
}

void CsvReader::fail(CsvRecord& record, std::string message) {
    if (record.error.empty()) record.error = std::move(message);
}

void CsvReader::keep(std::string& field, char c, CsvRecord& record) {
    if (m_dropping) {
        if (m_consumed - m_record_start > static_cast<std::int64_t>(m_limits.max_skip_bytes)) m_stopped = true;
        return;
    }
    if (field.size() >= m_limits.max_field_bytes) {
        fail(record,
             fmt::format("a field is longer than {}, the limit for one field", size_text(m_limits.max_field_bytes)));
        m_dropping = true;
        return;
    }
    if (m_record_bytes >= m_limits.max_record_bytes) {
        fail(record, fmt::format("the record is longer than {}, the limit for one record",
                                 size_text(m_limits.max_record_bytes)));
        m_dropping = true;
        return;
    }
    field += c;
    ++m_record_bytes;
}

void CsvReader::end_field(std::string& field, CsvRecord& record) {
    if (m_dropping) {
        if (m_consumed - m_record_start > static_cast<std::int64_t>(m_limits.max_skip_bytes)) m_stopped = true;
        return;
    }
    if (record.fields.size() >= m_limits.max_fields) {
        fail(record, fmt::format("more than {} fields, the limit for one record", m_limits.max_fields));
        m_dropping = true;
        return;
    }
    record.fields.push_back(field);
}

bool CsvReader::finish(CsvRecord& record) const {
    if (m_stopped)
        record.error += fmt::format("; the rest of the input was not read (the record runs on for more than {})",
                                    size_text(m_limits.max_skip_bytes));
    return true;
}

bool CsvReader::next(CsvRecord& record) {
    if (!m_started) {
        m_started = true;
        if (ensure(3) >= 3 && std::memcmp(m_buffer.data() + m_pos, "\xEF\xBB\xBF", 3) == 0) {
            m_pos += 3;
            m_consumed += 3;
        }
    }
    for (;;) {  // a blank line (LF or CRLF) is no record
        const int c = peek();
        if (c < 0) return false;
        if (c == '\n') {
            get();
        } else if (c == '\r' && peek_at(1) == '\n') {
            get();
            get();
        } else {
            break;
        }
        ++m_line;
    }
    record.line = m_line;
    record.fields.clear();
    record.error.clear();
    m_record_start = m_consumed;
    m_record_bytes = 0;
    m_dropping = false;
    std::string field;
    for (;;) {
        field.clear();
        int c = peek();
        if (c == '"') {
            get();
            bool closed = false;
            while ((c = get()) >= 0) {
                if (c == '"') {
                    if (peek() != '"') {
                        closed = true;
                        break;
                    }
                    get();
                }
                if (c == '\n') ++m_line;
                keep(field, static_cast<char>(c), record);
            }
            if (!closed) {
                fail(record, "a quoted field is never closed (a \" is missing)");
                end_field(field, record);
                return finish(record);
            }
            // After the closing quote only a separator or the end of the line may follow.
            c = peek();
            if (c >= 0 && c != ',' && c != '\n' && !(c == '\r' && peek_at(1) == '\n'))
                fail(record, "text after a closing quote (write a quote inside a quoted field as \"\")");
            while ((c = peek()) >= 0 && c != ',' && c != '\n') get();  // skip to recover
        } else {
            while ((c = peek()) >= 0 && c != ',' && c != '\n') {
                get();
                if (c == '"')
                    fail(record, "a quote inside an unquoted field (quote the whole field and double the quote)");
                keep(field, static_cast<char>(c), record);
            }
            if (!field.empty() && field.back() == '\r' && !m_dropping && (c < 0 || c == '\n')) {
                field.pop_back();
                --m_record_bytes;
            }
        }
        end_field(field, record);
        if (c < 0) return finish(record);
        get();
        if (c == '\n') {
            ++m_line;
            return finish(record);
        }
    }
}

std::vector<CsvRecord> parse_csv(std::string_view text, CsvLimits limits) {
    CsvReader reader(
        [&text](char* buffer, std::size_t size) {
            const std::size_t n = std::min(size, text.size());
            std::memcpy(buffer, text.data(), n);
            text.remove_prefix(n);
            return n;
        },
        limits);
    std::vector<CsvRecord> records;
    CsvRecord record;
    while (reader.next(record)) records.push_back(record);
    return records;
}

}  // namespace quicktools::util
