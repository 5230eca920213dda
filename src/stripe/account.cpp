#include "quicktools/stripe/account.hpp"

#include <fmt/format.h>

#include "state.hpp"

namespace quicktools::stripe {
namespace {

std::string_view mode_name(bool live) { return live ? "live" : "test"; }

}  // namespace

std::optional<AccountBinding> read_account_binding(db::Database& db) {
    if (!db.has_table("quicktools_state")) return std::nullopt;
    const std::string unreadable = fmt::format(
        "the stored Stripe account ({} in quicktools_state) is not readable; delete that row to bind "
        "the database again on the next use",
        account_binding_name);
    const auto value = detail::read_state(db, account_binding_name, unreadable);
    if (!value) return std::nullopt;
    if (!value->contains("account_id") || !(*value)["account_id"].is_string() || !value->contains("livemode") ||
        !(*value)["livemode"].is_boolean())
        throw Error(unreadable);
    return AccountBinding{(*value)["account_id"].get<std::string>(), (*value)["livemode"].get<bool>()};
}

std::optional<AccountCheck> check_account(db::Database& db, StripeClient& client) {
    if (!db.has_table("quicktools_state")) return std::nullopt;
    const auto answer = client.get("/v1/account");
    const auto& body = answer.body;
    if (!body.is_object() || !body.contains("id") || !body["id"].is_string() || body["id"].get<std::string>().empty())
        throw Error("Stripe's answer to GET /v1/account has no account id");
    AccountCheck check;
    check.key = {body["id"].get<std::string>(), client.live_key()};
    const auto bound = read_account_binding(db);
    if (bound) {
        if (bound->account_id != check.key.account_id)
            throw refusal(fmt::format(
                "this database belongs to Stripe account {} ({} mode), but the key is of account {}: use the key of "
                "{} (if the business really moved accounts, delete the {} row of quicktools_state)",
                bound->account_id, mode_name(bound->livemode), check.key.account_id, bound->account_id,
                account_binding_name));
        if (bound->livemode != check.key.livemode)
            throw refusal(
                fmt::format("this database is bound to Stripe account {} in {} mode, but the key is a {} "
                            "key: use the {} key{}",
                            bound->account_id, mode_name(bound->livemode), mode_name(check.key.livemode),
                            mode_name(bound->livemode), bound->livemode ? " with --live" : ""));
        check.bound = true;
    }
    return check;
}

void record_account_binding(db::Database& db, const AccountBinding& binding) {
    detail::write_state(db, account_binding_name, {{"account_id", binding.account_id}, {"livemode", binding.livemode}});
}

void require_mode(db::Database& db, bool live) {
    const auto bound = read_account_binding(db);
    if (!bound || bound->livemode == live) return;
    throw refusal(bound->livemode
                      ? fmt::format("this database is bound to Stripe account {} in live mode: pass --live to apply "
                                    "its live events",
                                    bound->account_id)
                      : fmt::format("this database is bound to Stripe account {} in test mode: live events do not "
                                    "belong here (drop --live)",
                                    bound->account_id));
}

}  // namespace quicktools::stripe
