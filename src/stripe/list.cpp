#include "quicktools/stripe/list.hpp"

#include <fmt/format.h>

#include <unordered_set>

#include "quicktools/util/interrupt.hpp"

namespace quicktools::stripe {

std::vector<nlohmann::json> list_all(StripeClient& client, std::string_view path, nlohmann::json params,
                                     const ListOptions& o, int& pages) {
    if (o.page_size < 1 || o.page_size > 100) throw usage_error("the page size of a Stripe list is 1 to 100");
    params["limit"] = o.page_size;
    std::vector<nlohmann::json> all;
    std::unordered_set<std::string> seen;
    for (int listed = 0;; ++listed) {
        if (listed == o.max_pages)
            throw Error(fmt::format("Stripe listed more than {} pages for GET {}; stopped", o.max_pages, path));
        util::throw_if_interrupted();
        const auto answer = client.get(path, params);
        ++pages;
        const auto& body = answer.body;
        if (!body.is_object() || !body.contains("data") || !body["data"].is_array())
            throw Error(fmt::format("Stripe's answer to GET {} is not a list object", path));
        std::size_t fresh = 0;
        for (const auto& object : body["data"]) {
            if (!object.is_object() || !object.contains("id") || !object["id"].is_string())
                throw Error(fmt::format("Stripe's answer to GET {} lists an object without an id", path));
            if (!seen.insert(object["id"].get<std::string>()).second) continue;
            ++fresh;
            if (o.keep.empty()) {
                all.push_back(object);
                continue;
            }
            auto& kept = all.emplace_back(nlohmann::json::object());
            for (const auto field : o.keep) {
                const auto found = object.find(std::string(field));
                if (found != object.end()) kept[std::string(field)] = *found;
            }
        }
        const bool more = body.contains("has_more") && body["has_more"].is_boolean() && body["has_more"].get<bool>();
        if (!more) return all;
        if (fresh == 0)
            throw Error(
                fmt::format("Stripe answered page {} of GET {} with nothing it had not listed already, yet "
                            "said has_more; stopped so as not to loop",
                            listed + 1, path));
        params["starting_after"] = all.back()["id"];
    }
}

std::vector<nlohmann::json> list_all(StripeClient& client, std::string_view path, nlohmann::json params,
                                     int max_pages) {
    ListOptions options;
    options.max_pages = max_pages;
    int pages = 0;
    return list_all(client, path, std::move(params), options, pages);
}

}  // namespace quicktools::stripe
