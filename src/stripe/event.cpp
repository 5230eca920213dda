// simdjson on the hot path: nlohmann/json parsed the 333 MB benchmark input several times
// slower than the whole target allowed (see README, "Dependencies").
#include "quicktools/stripe/event.hpp"

#include <simdjson.h>

#include <initializer_list>

#include "quicktools/stripe/event_reader.hpp"

namespace quicktools::stripe {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

// The first of `keys` that `o` holds more than once, or empty. JSON parsers disagree on which of
// two equal keys counts (simdjson takes the first, others the last), so an event that repeats a
// key replay reads is refused rather than read one way here and another in the web app.
std::string_view repeated(object o, std::initializer_list<std::string_view> keys) {
    unsigned seen = 0;
    for (auto field : o) {
        unsigned bit = 1;
        for (auto key : keys) {
            if (field.key == key) {
                if ((seen & bit) != 0) return key;
                seen |= bit;
                break;
            }
            bit <<= 1U;
        }
    }
    return {};
}

void get_string(object o, std::string_view key, std::string& out) {
    out.clear();
    element e;
    if (o[key].get(e)) return;
    std::string_view s;
    if (!e.get_string().get(s)) {
        out.assign(s);
        return;
    }
    std::int64_t n = 0;  // metadata set by hand sometimes holds a number
    if (!e.get_int64().get(n)) out = std::to_string(n);
}

std::optional<std::int64_t> get_int(object o, std::string_view key) {
    std::int64_t n = 0;
    if (o[key].get_int64().get(n)) return std::nullopt;
    return n;
}

bool get_bool(object o, std::string_view key) {
    bool b = false;
    if (o[key].get_bool().get(b)) return false;
    return b;
}

void read_session(object s, Event& e) {
    get_string(s, "mode", e.mode);
    get_string(s, "payment_status", e.payment_status);
    get_string(s, "currency", e.currency);
    get_string(s, "client_reference_id", e.client_reference_id);
    get_string(s, "payment_intent", e.payment_intent);
    e.amount_total = get_int(s, "amount_total");
    e.amount_subtotal = get_int(s, "amount_subtotal");
    get_string(s, "customer", e.customer);
    object totals;
    e.amount_discount = e.amount_tax = e.amount_shipping = 0;
    if (!s["total_details"].get_object().get(totals)) {
        e.amount_discount = get_int(totals, "amount_discount").value_or(0);
        e.amount_tax = get_int(totals, "amount_tax").value_or(0);
        e.amount_shipping = get_int(totals, "amount_shipping").value_or(0);
    }
    object details;
    e.email.clear();
    if (!s["customer_details"].get_object().get(details)) get_string(details, "email", e.email);
    if (e.email.empty()) get_string(s, "customer_email", e.email);
    object meta;
    e.meta_user_id.clear();
    e.meta_pack.clear();
    e.meta_tier.clear();
    if (!s["metadata"].get_object().get(meta)) {
        get_string(meta, "user_id", e.meta_user_id);
        get_string(meta, "pack", e.meta_pack);
        get_string(meta, "tier", e.meta_tier);
    }
}

void read_refunds(object charge, Event& e) {
    e.refunds.clear();
    simdjson::dom::array list;
    if (charge["refunds"]["data"].get_array().get(list)) return;
    for (element item : list) {
        object r;
        if (item.get_object().get(r)) continue;
        RefundSeen seen;
        get_string(r, "id", seen.id);
        seen.amount = get_int(r, "amount").value_or(0);
        get_string(r, "status", seen.status);
        if (!seen.id.empty()) e.refunds.push_back(std::move(seen));
    }
}

}  // namespace

struct EventParser::Impl {
    simdjson::dom::parser parser;
};

EventParser::EventParser() : m_impl(std::make_unique<Impl>()) {}
EventParser::~EventParser() = default;

static_assert(raw_event_padding >= simdjson::SIMDJSON_PADDING, "RawEvent::padded must satisfy simdjson");

namespace {

// An id for JSON without one, the same for the same text: "unidentified_" and 16 hex digits
// of its FNV-1a hash.
std::string id_from_text(std::string_view text) {
    std::uint64_t h = 14695981039346656037ULL;
    for (char c : text) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    static constexpr char hex[] = "0123456789abcdef";
    std::string id = "unidentified_";
    for (int shift = 60; shift >= 0; shift -= 4) id += hex[(h >> shift) & 0xF];
    return id;
}

}  // namespace

std::string EventParser::parse(std::string_view text, Event& e, bool padded) {
    element doc;
    if (auto error = m_impl->parser.parse(text.data(), text.size(), !padded).get(doc))
        return std::string("malformed JSON (") + simdjson::error_message(error) + ")";
    object o;
    if (doc.get_object().get(o)) return "not a JSON object";
    // Amazon EventBridge delivers the Stripe event as the envelope's "detail".
    object detail;
    std::string_view detail_type;
    if (!o["detail-type"].get_string().get(detail_type) && !o["detail"].get_object().get(detail)) o = detail;
    // A key read twice in one object would be read one way here and another in the web app.
    const auto twice = [](std::string_view key) {
        return "the key \"" + std::string(key) +
               "\" appears twice in one object (JSON readers disagree on which counts)";
    };
    std::string duplicate;
    if (auto key = repeated(o, {"id", "type", "created", "livemode", "data", "object", "api_version"}); !key.empty())
        duplicate = twice(key);

    std::string_view s;
    const bool has_id = !o["id"].get_string().get(s) && !s.empty();
    if (has_id)
        e.id.assign(s);
    else
        e.id = id_from_text(text);
    const bool has_type = !o["type"].get_string().get(s);
    if (has_type)
        e.type.assign(s);
    else
        e.type = "(no type)";
    e.unknown_shape.clear();
    e.api_version.clear();
    e.object_type.clear();
    e.object_id.clear();
    object data;
    std::string_view kind;
    // Every Stripe event has created and livemode; a string "false" must not pass as test mode,
    // nor a missing time become a 1970 purchase date.
    if (!duplicate.empty())
        e.unknown_shape = duplicate;
    else if (!o["object"].get_string().get(kind) && kind == "v2.core.event")
        e.unknown_shape =
            "a thin event (v2.core.event): its object is not in the payload; fetch the event from "
            "Stripe and replay that";
    else if (!has_id)
        e.unknown_shape = "no string \"id\"";
    else if (!has_type)
        e.unknown_shape = "no string \"type\"";
    else if (o["created"].get_int64().get(e.created))
        e.unknown_shape = "no integer \"created\"";
    else if (o["livemode"].get_bool().get(e.livemode))
        e.unknown_shape = "no true or false \"livemode\"";
    else if (o["data"]["object"].get_object().get(data))
        e.unknown_shape = "no data.object";
    if (!e.unknown_shape.empty()) {
        if (o["created"].get_int64().get(e.created)) e.created = 0;
        if (o["livemode"].get_bool().get(e.livemode)) e.livemode = false;
        return {};
    }
    if (object wrapper; !o["data"].get_object().get(wrapper))
        if (auto key = repeated(wrapper, {"object"}); !key.empty()) e.unknown_shape = twice(key);
    if (auto key = repeated(data, {"object",
                                   "id",
                                   "mode",
                                   "payment_status",
                                   "currency",
                                   "client_reference_id",
                                   "payment_intent",
                                   "amount_total",
                                   "amount_subtotal",
                                   "customer",
                                   "total_details",
                                   "customer_details",
                                   "customer_email",
                                   "metadata",
                                   "amount",
                                   "amount_refunded",
                                   "refunded",
                                   "charge",
                                   "reason",
                                   "status",
                                   "fraud_type",
                                   "refunds",
                                   "balance_transactions"});
        !key.empty())
        e.unknown_shape = twice(key);
    for (const char* inner : {"metadata", "customer_details", "total_details"})
        if (object nested; e.unknown_shape.empty() && !data[inner].get_object().get(nested))
            if (auto key = repeated(
                    nested, {"user_id", "pack", "tier", "email", "amount_discount", "amount_tax", "amount_shipping"});
                !key.empty())
                e.unknown_shape = twice(key);
    if (!e.unknown_shape.empty()) return {};
    get_string(o, "api_version", e.api_version);
    get_string(data, "object", e.object_type);
    get_string(data, "id", e.object_id);
    if (e.object_type == "checkout.session") {
        read_session(data, e);
    } else {
        e.amount = get_int(data, "amount");
        e.amount_refunded = get_int(data, "amount_refunded").value_or(0);
        e.refunded = get_bool(data, "refunded");
        get_string(data, "currency", e.currency);
        get_string(data, "payment_intent", e.payment_intent);
        get_string(data, "charge", e.charge);
        get_string(data, "reason", e.reason);
        get_string(data, "status", e.status);
        if (e.object_type == "radar.early_fraud_warning") get_string(data, "fraud_type", e.reason);
        e.refunds.clear();
        if (e.object_type == "charge") read_refunds(data, e);
        simdjson::dom::array transactions;
        e.balance_transactions = data["balance_transactions"].get_array().get(transactions) ? 0 : transactions.size();
    }
    return {};
}

}  // namespace quicktools::stripe
