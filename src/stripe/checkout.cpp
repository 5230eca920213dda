#include "quicktools/stripe/checkout.hpp"

#include "quicktools/db/statement.hpp"
#include <fmt/format.h>

#include <cctype>

#include "quicktools/db/sql_files.hpp"
#include "quicktools/stripe/account.hpp"
#include "quicktools/users/users.hpp"

namespace quicktools::stripe {
namespace {

void check_url(const std::string& url, const char* option) {
    const auto scheme = url.rfind("https://", 0) == 0 ? 8U : url.rfind("http://", 0) == 0 ? 7U : 0U;
    if (url.empty() || scheme == 0)
        throw usage_error(fmt::format("{} must be an http:// or https:// URL{}", option,
                                      url.empty() ? " (pass it, or set it in the environment)" : ", got " + url));
    const auto host = url.substr(scheme, url.find_first_of("/?#", scheme) - scheme);
    if (host.empty() || host.front() == ':' || host.front() == '@')
        throw usage_error(fmt::format("{} has no host: {}", option, url));
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

nlohmann::json checkout_params(const CheckoutBuyer& buyer, const credits::Pack& pack, const std::string& success_url,
                               const std::string& cancel_url) {
    const std::string user = std::to_string(buyer.user_id);
    const nlohmann::json metadata = {{"user_id", user}, {"pack", std::string(pack.name)}};
    nlohmann::json item = {{"price_data",
                            {{"currency", std::string(credits::currency)},
                             {"unit_amount", pack.price_cents},
                             {"product_data", {{"name", product_name(pack)}}}}},
                           {"quantity", 1}};
    nlohmann::json params = {
        {"mode", "payment"},
        {"line_items", nlohmann::json::array({item})},
        {"success_url", success_url},
        {"cancel_url", cancel_url},
        {"client_reference_id", user},
        {"metadata", metadata},
        // On the payment too, so its charge, refunds and disputes name the buyer.
        {"payment_intent_data",
         {{"metadata", metadata}, {"description", fmt::format("{} for user {}", product_name(pack), user)}}}};
    // Stripe takes one or the other: the customer the app already has, else the email.
    if (!buyer.stripe_customer_id.empty())
        params["customer"] = buyer.stripe_customer_id;
    else if (!buyer.email.empty())
        params["customer_email"] = buyer.email;
    return params;
}

CheckoutPlan plan_checkout(db::Database& db, const CheckoutRequest& request) {
    const credits::Pack* pack = credits::find_pack(request.pack);
    if (pack == nullptr)
        throw usage_error(fmt::format("no pack named {} (the packs are {})", request.pack, pack_names()));
    check_url(request.success_url, "--success-url");
    check_url(request.cancel_url, "--cancel-url");
    CheckoutPlan plan;
    if (request.idempotency_key && request.idempotency_key->empty())
        throw usage_error("--idempotency-key is empty: give a key, or leave the option out for a new one");
    CheckoutBuyer buyer;
    buyer.user_id = plan.user_id = users::resolve_user(db, request.user);
    db::Statement q(db, sql::query(db.engine(), "checkout", "buyer"));
    q.bind(1, plan.user_id);
    if (q.step()) {
        buyer.email = plan.email = q.column("email").text();
        if (!q.column("stripe_customer_id").is_null()) buyer.stripe_customer_id = q.column("stripe_customer_id").text();
    }
    plan.customer = buyer.stripe_customer_id;
    plan.pack = pack;
    plan.params = checkout_params(buyer, *pack, request.success_url, request.cancel_url);
    plan.idempotency_key = request.idempotency_key.value_or("");
    return plan;
}

bool record_created_session(db::Database& db, const CheckoutPlan& plan, const CheckoutSession& session,
                            const std::optional<AccountBinding>& bind, const std::string& actor,
                            const std::string& now) {
    if (!db.has_table("quicktools_checkout_created")) return false;
    db::WriteTransaction tx(db);
    if (bind) record_account_binding(db, *bind);
    db::Statement q(db, sql::query(db.engine(), "checkout", "record_created"));
    q.bind(1, session.id);
    q.bind(2, plan.user_id);
    q.bind(3, std::string(plan.pack->name));
    q.bind(4, plan.pack->price_cents);
    q.bind(5, session.livemode ? 1 : 0);
    q.bind(6, session.idempotency_key);
    q.bind(7, now);
    q.bind(8, actor);
    q.exec();
    tx.commit(db::WriteTransaction::OnSignal::commit);  // Stripe has created it: keep the record
    return true;
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
