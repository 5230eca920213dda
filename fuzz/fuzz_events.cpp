// libFuzzer target: the streaming event reader (any chunk size, and a small size limit of one
// event so the limit is reached) and the event parser behind it.
// Input: byte 0 picks the chunk size and the limit, the rest is the file `stripe replay` would read.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "quicktools/error.hpp"
#include "quicktools/stripe/event.hpp"
#include "quicktools/stripe/event_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace quicktools;
    if (size == 0) return 0;
    static const std::string path = "/tmp/quicktools-fuzz-events-" + std::to_string(getpid()) + ".json";
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) return 0;
    std::fwrite(data + 1, 1, size - 1, f);
    std::fclose(f);
    const std::size_t chunk = std::size_t{1} + data[0] % 64;  // small chunks cross every boundary
    const std::size_t max_event = data[0] & 0x80 ? std::size_t{256} : stripe::max_event_bytes;
    static stripe::EventParser parser;
    try {
        stripe::StreamEventReader reader(path, chunk, max_event);
        stripe::RawEvent raw;
        stripe::Event event;
        while (reader.next(raw)) {
            if (raw.text.size() > max_event + chunk) __builtin_trap();  // the limit held, give or take a chunk
            (void)parser.parse(raw.text, event, raw.padded);
            (void)reader.where(raw.offset);
        }
    } catch (const Error&) {
        // malformed input: the one-sentence error replay reports
    }
    return 0;
}
