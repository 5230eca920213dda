#include "quicktools/credits/request.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "quicktools/credits/packs.hpp"
#include "quicktools/error.hpp"
#include "quicktools/util/crypto.hpp"
#include "quicktools/util/text.hpp"

namespace quicktools::credits {
namespace {

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

// Shows a bad value in a message without letting it break the line (at most 40 bytes of it).
std::string shown(std::string_view text) { return util::display(text.substr(0, 40)) + (text.size() > 40 ? "..." : ""); }

}  // namespace

std::string_view to_string(Action action) {
    switch (action) {
        case Action::grant: return "grant";
        case Action::refund: return "refund";
        case Action::debit: return "debit";
    }
    return "grant";
}

std::optional<Action> parse_action(std::string_view name) {
    for (Action a : {Action::grant, Action::refund, Action::debit})
        if (to_string(a) == name) return a;
    return std::nullopt;
}

std::int64_t parse_amount(std::string_view text) {
    const auto bad = [&] {
        return usage_error(
            fmt::format("amount must be a whole number of credits from 1 to {}, written with digits "
                        "only; got \"{}\"",
                        max_adjustment, shown(text)));
    };
    if (text.empty() || text.size() > 12 || text.front() == '0') throw bad();
    if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) throw bad();
    std::int64_t value = 0;
    for (char c : text) value = value * 10 + (c - '0');
    if (value > max_adjustment)
        throw usage_error(
            fmt::format("amount {} is above the limit of {} credits for one adjustment; split it or "
                        "check for a typo",
                        value, max_adjustment));
    return value;
}

std::string normalise_reason(std::string_view reason) {
    const auto t = util::trim(reason);
    if (t.empty())
        throw usage_error("a reason is required: say why, for example --reason \"ticket 4411: failed export\"");
    if (!util::valid_utf8(t)) throw usage_error("the reason is not valid UTF-8 text; save the file as UTF-8");
    if (std::any_of(t.begin(), t.end(), [](char c) { return is_control(static_cast<unsigned char>(c)); }))
        throw usage_error("the reason must be one line of text, without tabs, line breaks or control characters");
    if (util::has_hidden_controls(t))
        throw usage_error(
            "the reason holds a C1 control or a bidi override (U+202A-U+202E, U+2066-U+2069), which "
            "would change how the trail reads on a terminal; write it as plain text");
    if (const auto n = util::utf8_length(t); n > max_reason_length)
        throw usage_error(fmt::format("the reason is {} characters long; keep it to {}", n, max_reason_length));
    return std::string(t);
}

void check_idempotency_key(std::string_view key) {
    if (!util::valid_utf8(key)) throw usage_error("the idempotency key is not valid UTF-8 text");
    if (const auto n = util::utf8_length(key); key.empty() || n > max_key_length)
        throw usage_error(fmt::format("an idempotency key must be 1 to {} characters; got {}", max_key_length, n));
    if (std::any_of(key.begin(), key.end(),
                    [](char c) { return c == ' ' || is_control(static_cast<unsigned char>(c)); }) ||
        util::has_hidden_controls(key))
        throw usage_error(fmt::format("the idempotency key \"{}\" holds spaces or control characters", shown(key)));
}

std::string normalise_actor(std::string_view actor) {
    const auto t = util::trim(actor);
    if (t.empty()) throw usage_error("the actor must not be empty (it defaults to the OS user)");
    if (!util::valid_utf8(t)) throw usage_error("the actor is not valid UTF-8 text");
    if (const auto n = util::utf8_length(t); n > max_actor_length)
        throw usage_error(fmt::format("the actor is {} characters long; keep it to {}", n, max_actor_length));
    if (util::has_hidden_controls(t)) throw usage_error("the actor must not hold control characters or bidi overrides");
    return std::string(t);
}

Deltas deltas(Action action, std::int64_t amount) {
    switch (action) {
        case Action::grant: return {amount, 0};
        case Action::refund: return {amount, -amount};
        case Action::debit: return {-amount, 0};
    }
    return {};
}

std::optional<std::string> why_not(Action action, std::int64_t amount, std::int64_t balance, std::int64_t used) {
    constexpr auto largest = std::numeric_limits<std::int64_t>::max();
    if (action == Action::debit && balance < 0)
        return fmt::format(
            "the balance is already below zero ({}), so nothing can be debited; `quicktools credits "
            "audit` shows how it got there",
            balance);
    if (action == Action::debit && balance < amount)
        return fmt::format("debiting {} would take the balance of {} below zero: short by {}", amount, balance,
                           amount - balance);
    if (action == Action::refund && used < 0)
        return fmt::format("lifetime used is below zero ({}), so nothing can be refunded", used);
    if (action == Action::refund && used < amount)
        return fmt::format("refunding {} is more than the {} credits used so far: over by {}", amount, used,
                           amount - used);
    if (action != Action::debit && balance > largest - amount)
        return fmt::format(
            "{} {} would take the balance of {} past {}, the largest whole number the database "
            "stores",
            action == Action::grant ? "granting" : "refunding", amount, balance, largest);
    return std::nullopt;
}

std::string fingerprint(Action action, std::int64_t user_id, std::int64_t amount, std::string_view reason) {
    return util::sha256_hex(
        fmt::format("quicktools-adjustment-v1\n{}\n{}\n{}\n{}", to_string(action), user_id, amount, reason));
}

}  // namespace quicktools::credits
