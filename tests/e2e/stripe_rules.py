"""What the Stripe stand-in accepts, per endpoint: the known parameters with their kind, the
required ones, and the groups Stripe refuses together. Written from Stripe's API reference
(API version 2025-10-29.clover) for the endpoints the tool calls and the ones its lookups
will call. A parameter Stripe knows but the tool has no use for may be missing here: the
stand-in then refuses it as unknown, which is stricter than Stripe, never looser.

Lengths: Stripe's strings are at most 5000 characters unless it says otherwise
(client_reference_id 200, statement descriptors 22, customer_email 800, a description 1000 on
payment intents); metadata has at most 50 keys of 40 characters with values of 500.
"""
from stripe_validate import Array, Bool, Either, Endpoint, Enum, Hash, Int, Metadata, Str

EXPAND = Array(Str())
CREATED = Either(Hash({"gt": Int(), "gte": Int(), "lt": Int(), "lte": Int()}), Int())
PAGING = {"limit": Int(1, 100), "starting_after": Str(), "ending_before": Str(), "expand": EXPAND}
ONE_CURSOR = [("starting_after", "ending_before")]
LOCALES = Enum("auto", "bg", "cs", "da", "de", "el", "en", "en-GB", "es", "es-419", "et", "fi", "fil", "fr",
               "fr-CA", "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "ms", "mt", "nb", "nl", "pl", "pt",
               "pt-BR", "ro", "ru", "sk", "sl", "sv", "th", "tr", "vi", "zh", "zh-HK", "zh-TW")


def get_one(path, **extra):
    """GET of one object by id: only `expand` (and what `extra` adds)."""
    return Endpoint("GET", path, {"expand": EXPAND, **extra})


def get_list(path, **filters):
    """A list endpoint: Stripe's paging (limit 1..100, one cursor) plus its filters."""
    return Endpoint("GET", path, {**PAGING, **filters}, exclusive=ONE_CURSOR)


PRODUCT_DATA = Hash({"name": Str(blank=False), "description": Str(40000), "images": Array(Str(2048), 8),
                     "metadata": Metadata(), "tax_code": Str(), "unit_label": Str(12)}, required=["name"])
PRICE_DATA = Hash({"currency": Str(3, blank=False), "product": Str(), "product_data": PRODUCT_DATA,
                   "recurring": Hash({"interval": Enum("day", "week", "month", "year"),
                                      "interval_count": Int(1, 365)}, required=["interval"]),
                   "tax_behavior": Enum("exclusive", "inclusive", "unspecified"),
                   "unit_amount": Int(0, 99999999), "unit_amount_decimal": Str()},
                  required=["currency"])
LINE_ITEM = Hash({"price": Str(), "price_data": PRICE_DATA, "quantity": Int(0, 999999),
                  "adjustable_quantity": Hash({"enabled": Bool(), "maximum": Int(1, 999999),
                                               "minimum": Int(0, 999999)}, required=["enabled"]),
                  "dynamic_tax_rates": Array(Str()), "tax_rates": Array(Str())})
PAYMENT_INTENT_DATA = Hash({
    "application_fee_amount": Int(0), "capture_method": Enum("automatic", "automatic_async", "manual"),
    "description": Str(1000), "metadata": Metadata(), "on_behalf_of": Str(), "receipt_email": Str(),
    "setup_future_usage": Enum("off_session", "on_session"), "statement_descriptor": Str(22),
    "statement_descriptor_suffix": Str(22), "transfer_group": Str(),
    "transfer_data": Hash({"amount": Int(0), "destination": Str()}, required=["destination"])})

# mode is required; success_url is for the hosted page (the only one the tool opens); cancel_url
# is optional; a customer id and a customer_email exclude each other.
CHECKOUT_CREATE = Endpoint("POST", "/v1/checkout/sessions", {
    "mode": Enum("payment", "setup", "subscription"),
    "success_url": Str(5000, blank=False), "cancel_url": Str(5000),
    "client_reference_id": Str(200), "customer": Str(), "customer_email": Str(800),
    "customer_creation": Enum("always", "if_required"),
    "metadata": Metadata(), "line_items": Array(LINE_ITEM, 100), "payment_intent_data": PAYMENT_INTENT_DATA,
    "currency": Str(3), "expires_at": Int(), "locale": LOCALES, "allow_promotion_codes": Bool(),
    "discounts": Array(Hash({"coupon": Str(), "promotion_code": Str()}), 1),
    "payment_method_types": Array(Str()), "submit_type": Enum("auto", "book", "donate", "pay", "subscribe"),
    "billing_address_collection": Enum("auto", "required"),
    "phone_number_collection": Hash({"enabled": Bool()}, required=["enabled"]),
    "automatic_tax": Hash({"enabled": Bool(), "liability": Hash({"type": Enum("account", "self"),
                                                                  "account": Str()}, required=["type"])},
                          required=["enabled"]),
    "invoice_creation": Hash({"enabled": Bool(), "invoice_data": Hash({
        "description": Str(1500), "footer": Str(5000), "metadata": Metadata()})}, required=["enabled"]),
    "expand": EXPAND,
}, required=["mode", "success_url"], exclusive=[("customer", "customer_email")])

RULES = [
    CHECKOUT_CREATE,
    get_list("/v1/checkout/sessions", created=CREATED, customer=Str(),
             customer_details=Hash({"email": Str(800, blank=False)}, required=["email"]), payment_intent=Str(),
             payment_link=Str(), status=Enum("complete", "expired", "open"), subscription=Str()),
    get_one("/v1/checkout/sessions/{session}"),

    Endpoint("GET", "/v1/events", {**PAGING, "created": CREATED, "delivery_success": Bool(), "type": Str(),
                                   "types": Array(Str(), 20)},
             exclusive=ONE_CURSOR + [("type", "types")]),
    get_one("/v1/events/{id}"),

    Endpoint("POST", "/v1/refunds", {
        "amount": Int(1), "charge": Str(), "payment_intent": Str(), "currency": Str(3), "customer": Str(),
        "instructions_email": Str(), "metadata": Metadata(), "origin": Enum("customer_balance"),
        "reason": Enum("duplicate", "fraudulent", "requested_by_customer"), "refund_application_fee": Bool(),
        "reverse_transfer": Bool(), "expand": EXPAND,
    }, one_of=[("charge", "payment_intent")]),
    get_list("/v1/refunds", charge=Str(), payment_intent=Str(), created=CREATED),
    get_one("/v1/refunds/{refund}"),

    get_list("/v1/disputes", charge=Str(), payment_intent=Str(), created=CREATED),
    get_one("/v1/disputes/{dispute}"),

    get_one("/v1/charges/{charge}"),
    get_one("/v1/payment_intents/{intent}", client_secret=Str()),
    get_one("/v1/customers/{customer}"),

    get_one("/v1/subscriptions/{subscription_exposed_id}"),
    Endpoint("DELETE", "/v1/subscriptions/{subscription_exposed_id}", {
        "cancellation_details": Hash({"comment": Str(), "feedback": Enum(
            "customer_service", "low_quality", "missing_features", "other", "switched_service", "too_complex",
            "too_expensive", "unused")}),
        "invoice_now": Bool(), "prorate": Bool(), "expand": EXPAND,
    }),

    get_one("/v1/account"),
    get_list("/v1/webhook_endpoints"),
]
