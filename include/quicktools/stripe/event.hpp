#pragma once
// The fields of a Stripe event that replay looks at, read from its raw JSON.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace quicktools::stripe {

// A refund as a charge lists it (charge.refunds.data, in API versions that include it).
struct RefundSeen {
    std::string id;
    std::int64_t amount = 0;
    std::string status;
};

// What replay needs of an event and of its data.object (a Checkout Session, a charge, a refund,
// a dispute or an early fraud warning); fields the object does not have stay empty.
struct Event {
    std::string id;
    std::string type;
    std::int64_t created = 0;
    bool livemode = false;
    std::string api_version;
    // Set when the text is JSON but not an event this tool can read (a thin event, no data
    // object, ...): why, in a phrase. The event is then stored as needing attention.
    std::string unknown_shape;

    std::string object_type;  // data.object.object: "checkout.session", "charge", "dispute", ...
    std::string object_id;
    // checkout.session
    std::string mode, payment_status, currency, client_reference_id, email, payment_intent, customer;
    std::string meta_user_id, meta_pack, meta_tier;
    std::optional<std::int64_t> amount_total;
    std::optional<std::int64_t> amount_subtotal;  // before discounts and tax: identifies the pack
    std::int64_t amount_discount = 0, amount_tax = 0, amount_shipping = 0;
    // charge (amount, amount_refunded, refunded, refunds), refund (amount, status, charge),
    // dispute (amount, status, charge, reason, balance_transactions)
    std::optional<std::int64_t> amount;
    std::int64_t amount_refunded = 0;
    bool refunded = false;
    std::string charge, reason, status;
    std::vector<RefundSeen> refunds;
    std::size_t balance_transactions = 0;  // a dispute's: 1 once funds are withdrawn, 2 once reinstated
};

// Parses events one at a time, reusing its buffers (simdjson's DOM parser).
class EventParser {
public:
    EventParser();
    ~EventParser();
    EventParser(const EventParser&) = delete;
    EventParser& operator=(const EventParser&) = delete;

    // Fills `event` from one event's JSON text; an EventBridge envelope is unwrapped. Returns an
    // empty string on success, else why the text cannot be read at all ("malformed JSON: ...").
    // JSON that is not a readable event sets event.unknown_shape instead, with the id and type
    // it has (an id made from the text when it has none).
    // `padded`: 64 readable bytes follow the text (RawEvent::padded), so it need not be copied.
    std::string parse(std::string_view text, Event& event, bool padded = false);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace quicktools::stripe
