#include "quicktools/stripe/list.hpp"

#include <fmt/format.h>

#include <unordered_set>

namespace quicktools::stripe {

std::vector<nlohmann::json> list_all(StripeClient& client, std::string_view path, nlohmann::json params,
                                     int max_pages) {
    params["limit"] = 100;
    std::vector<nlohmann::json> all;
    std::unordered_set<std::string> seen;
    for (int pages = 0;; ++pages) {
        if (pages == max_pages)
            throw Error(fmt::format("Stripe listed more than {} pages for GET {}; stopped", max_pages, path));
        const auto answer = client.get(path, params);
        const auto& body = answer.body;
        if (!body.is_object() || !body.contains("data") || !body["data"].is_array())
            throw Error(fmt::format("Stripe's answer to GET {} is not a list object", path));
        std::size_t fresh = 0;
        for (const auto& object : body["data"]) {
            if (!object.is_object() || !object.contains("id") || !object["id"].is_string())
                throw Error(fmt::format("Stripe's answer to GET {} lists an object without an id", path));
            if (seen.insert(object["id"].get<std::string>()).second) {
                all.push_back(object);
                ++fresh;
            }
        }
        const bool more = body.contains("has_more") && body["has_more"].is_boolean() && body["has_more"].get<bool>();
        if (!more) return all;
        if (fresh == 0)
            throw Error(fmt::format("Stripe answered page {} of GET {} with nothing it had not listed already, yet "
                                    "said has_more; stopped so as not to loop",
                                    pages + 1, path));
        params["starting_after"] = all.back()["id"];
    }
}

}  // namespace quicktools::stripe
