#include "quicktools/stripe/http_client.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>

#include "quicktools/util/interrupt.hpp"
#include "quicktools/util/text.hpp"

namespace quicktools::stripe {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
               return std::tolower(x) == std::tolower(y);
           });
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
    static_cast<std::string*>(user)->append(data, size * count);
    return size * count;
}

// Collects "Name: value" lines; a new status line (after a 100 Continue) starts over.
size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* headers = static_cast<Headers*>(user);
    const std::string_view line(data, size * count);
    if (line.rfind("HTTP/", 0) == 0) {
        headers->clear();
    } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
        constexpr std::string_view blanks = " \t\r\n\v\f";
        headers->emplace_back(std::string(util::trim(line.substr(0, colon), blanks)),
                              std::string(util::trim(line.substr(colon + 1), blanks)));
    }
    return size * count;
}

// Ends the transfer on Ctrl-C or SIGTERM (libcurl calls this about once a second, and more
// often while data moves); the caller sees the signal and stops.
int on_progress(void*, curl_off_t, curl_off_t, curl_off_t, curl_off_t) { return util::interrupted() ? 1 : 0; }

TransportFailure classify(CURLcode code) {
    switch (code) {
        case CURLE_COULDNT_CONNECT:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY: return TransportFailure::connect;
        case CURLE_OPERATION_TIMEDOUT: return TransportFailure::timeout;
        case CURLE_GOT_NOTHING:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_PARTIAL_FILE: return TransportFailure::dropped;
        default: return TransportFailure::other;
    }
}

struct CurlDeleter {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
    for (const auto& [key, value] : headers)
        if (iequals(key, name)) return value;
    return {};
}

CurlHttpClient::CurlHttpClient(std::string ca_bundle) : m_ca_bundle(std::move(ca_bundle)) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

HttpResponse CurlHttpClient::send(const HttpRequest& request) {
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl) throw TransportError(TransportFailure::other, "could not start an HTTP request (libcurl failed)");
    CURL* c = curl.get();
    HttpResponse response;
    char error_buffer[CURL_ERROR_SIZE] = {};

    std::unique_ptr<curl_slist, SlistDeleter> header_list;
    const auto add_header = [&header_list](const std::string& line) {
        curl_slist* head = curl_slist_append(header_list.get(), line.c_str());
        if (head == nullptr) throw TransportError(TransportFailure::other, "out of memory building HTTP headers");
        (void)header_list.release();  // append returned the same list, or a new head owning it
        header_list.reset(head);
    };
    for (const auto& [name, value] : request.headers) add_header(name + ": " + value);
    // libcurl would otherwise add "Expect: 100-continue" to larger POST bodies.
    add_header("Expect:");

    curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (!m_ca_bundle.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, m_ca_bundle.c_str());
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, header_list.get());
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout.count()));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(request.total_timeout.count()));
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &response.headers);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    if (request.method == "POST") {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.c_str());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    } else if (request.method != "GET") {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
        if (!request.body.empty()) {
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.c_str());
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
        }
    }

    const CURLcode code = curl_easy_perform(c);
    if (code != CURLE_OK) {
        const std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
        long status_seen = 0;  // set when the status line came and the body then stalled or stopped
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status_seen);
        throw TransportError(classify(code), detail, status_seen);
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
    return response;
}

}  // namespace quicktools::stripe
