#include "quicktools/stripe/checkout.hpp"

#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>

#include <cctype>

#include "quicktools/db/sql_files.hpp"
#include "quicktools/users/users.hpp"

namespace quicktools::stripe {
namespace {

void check_url(const std::string& url, const char* option) {
    const bool web = url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0;
    if (url.empty() || !web)
        throw usage_error(fmt::format("{} must be an http:// or https:// URL{}", option,
                                      url.empty() ? " (pass it, or set it in the environment)" : ", got " + url));
}

std::string pack_names() {
    std::string out;
    for (const auto& p : credits::packs) out += (out.empty() ? "" : ", ") + std::string(p.name);
    return out;
}

}  // namespace

std::string product_name(const credits::Pack& pack) {
    std::string name(pack.name);
    if (!name.empty()) name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
    return fmt::format("{} credit pack ({} credits)", name, pack.credits);
}

nlohmann::json checkout_params(std::int64_t user_id, const std::string& email, const credits::Pack& pack,
                               const std::string& success_url, const std::string& cancel_url) {
    const std::string user = std::to_string(user_id);
    nlohmann::json item = {{"price_data",
                            {{"currency", std::string(credits::currency)},
                             {"unit_amount", pack.price_cents},
                             {"product_data", {{"name", product_name(pack)}}}}},
                           {"quantity", 1}};
    nlohmann::json params = {{"mode", "payment"},
                             {"line_items", nlohmann::json::array({item})},
                             {"success_url", success_url},
                             {"cancel_url", cancel_url},
                             {"client_reference_id", user},
                             {"metadata", {{"user_id", user}, {"pack", std::string(pack.name)}}}};
    if (!email.empty()) params["customer_email"] = email;
    return params;
}

CheckoutPlan plan_checkout(db::Database& db, const CheckoutRequest& request) {
    const credits::Pack* pack = credits::find_pack(request.pack);
    if (pack == nullptr)
        throw usage_error(fmt::format("no pack named {} (the packs are {})", request.pack, pack_names()));
    check_url(request.success_url, "--success-url");
    check_url(request.cancel_url, "--cancel-url");
    CheckoutPlan plan;
    plan.user_id = users::resolve_user(db, request.user);
    SQLite::Statement q(db.sql(), sql::query("checkout", "user_email"));
    q.bind(1, plan.user_id);
    if (q.executeStep()) plan.email = q.getColumn(0).getString();
    plan.pack = pack;
    plan.params = checkout_params(plan.user_id, plan.email, *pack, request.success_url, request.cancel_url);
    plan.idempotency_key = request.idempotency_key;
    return plan;
}

CheckoutSession create_checkout_session(StripeClient& client, const CheckoutPlan& plan) {
    auto answer = client.post("/v1/checkout/sessions", plan.params, plan.idempotency_key);
    const auto& s = answer.body;
    if (!s.is_object() || !s.contains("id") || !s["id"].is_string() || !s.contains("url") || !s["url"].is_string())
        throw Error("Stripe's answer to POST /v1/checkout/sessions has no session id or url");
    CheckoutSession out;
    out.id = s["id"].get<std::string>();
    out.url = s["url"].get<std::string>();
    out.livemode = s.contains("livemode") && s["livemode"].is_boolean() && s["livemode"].get<bool>();
    out.idempotency_key = answer.idempotency_key;
    out.attempts = answer.attempts;
    out.session = std::move(answer.body);
    return out;
}

}  // namespace quicktools::stripe
