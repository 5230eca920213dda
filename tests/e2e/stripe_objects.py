"""Stripe API objects for the tests, written from Stripe's API reference (API version
2025-10-29.clover): the fields the tool reads, plus the fields every object carries (`object`,
`created`, `livemode`, `metadata`) and enough of the rest to look like what a real account sends.

Every builder takes keyword overrides of its top-level fields, applied last; a name the object
does not have is an error (a typo in a test must not pass unnoticed):

    session = checkout_session(amount=3000, metadata={"user_id": "7", "pack": "pro"},
                               payment_status="unpaid")
    evt = event("checkout.session.completed", session)
    page = list_object([evt], url="/v1/events", has_more=True)

Ids are made up of the object's prefix and a counter (`cs_test_...`, `ch_3...`), unique within
one process. Times default to 2026-01-01 00:00:00 UTC.
"""
import itertools

API_VERSION = "2025-10-29.clover"
CREATED = 1767225600              # 2026-01-01 00:00:00 UTC
PACK_PRICES = {"starter": 500, "standard": 1500, "pro": 3000, "business": 10000}
_counter = itertools.count(1)
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def new_id(prefix, livemode=False, width=24):
    """A Stripe-looking id: `ch_3Qt...`; checkout sessions carry the mode: `cs_test_a1...`."""
    n, digits = next(_counter), ""
    while n:
        n, d = divmod(n, 62)
        digits = _ALPHABET[d] + digits
    body = "1Qt" + digits.rjust(width - 3, "0")
    if prefix == "cs":
        return f"cs_{'live' if livemode else 'test'}_a1{body}"
    return f"{prefix}_{body}"


def _apply(obj, fields):
    unknown = sorted(set(fields) - set(obj))
    if unknown:
        raise TypeError(f"a {obj.get('object', 'Stripe hash')} has no field {', '.join(unknown)}")
    obj.update(fields)
    return obj


def address(**fields):
    return _apply({"city": None, "country": None, "line1": None, "line2": None, "postal_code": None,
                   "state": None}, fields)


def list_object(data, url, has_more=False):
    """A page of a list endpoint, as `GET /v1/events` and every other list returns it."""
    return {"object": "list", "data": list(data), "has_more": has_more, "url": url}


# -- events --------------------------------------------------------------------------------------

def event(type, obj, *, id=None, created=CREATED, livemode=None, previous_attributes=None, **fields):
    """An event about `obj` (the object as it was when the event happened). `livemode` follows
    the object's unless given; `previous_attributes` is set on *.updated events."""
    data = {"object": obj}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    if livemode is None:
        livemode = bool(obj.get("livemode", False)) if isinstance(obj, dict) else False
    return _apply({"id": id or new_id("evt"), "object": "event", "api_version": API_VERSION,
                   "created": created, "data": data, "livemode": livemode, "pending_webhooks": 1,
                   "request": {"id": None, "idempotency_key": None}, "type": type}, fields)


# -- Checkout ------------------------------------------------------------------------------------

def customer_details(email=None, name=None, **fields):
    return _apply({"address": address(), "business_name": None, "email": email, "individual_name": None,
                   "name": name, "phone": None, "tax_exempt": "none", "tax_ids": []}, fields)


def checkout_session(*, id=None, amount=1500, currency="usd", metadata=None, created=CREATED,
                     livemode=False, paid=True, discount=0, tax=0, shipping=0, email=None, **fields):
    """A one-time payment Checkout Session, completed and paid by default (as in
    checkout.session.completed); `paid=False` makes it complete but unpaid (a delayed payment
    method), `status="open"` one that is not finished yet. `amount` is the subtotal (the line
    items' price); amount_total = amount - discount + tax + shipping."""
    sid = id or new_id("cs", livemode)
    total = amount - discount + tax + shipping if amount is not None else None
    session = {
        "id": sid, "object": "checkout.session",
        "adaptive_pricing": {"enabled": False},
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": amount, "amount_total": total,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": None,
        "cancel_url": "https://app.example.com/billing?checkout=cancelled",
        "client_reference_id": None,
        "client_secret": None,
        "collected_information": {"business_name": None, "individual_name": None, "shipping_details": None},
        "consent": None, "consent_collection": None,
        "created": created,
        "currency": currency,
        "currency_conversion": None,
        "custom_fields": [],
        "custom_text": {"after_submit": None, "shipping_address": None, "submit": None,
                        "terms_of_service_acceptance": None},
        "customer": None,
        "customer_creation": "if_required",
        "customer_details": customer_details(email),
        "customer_email": email,
        "discounts": [],
        "expires_at": created + 86400,
        "invoice": None,
        "invoice_creation": {"enabled": False, "invoice_data": {
            "account_tax_ids": None, "custom_fields": None, "description": None, "footer": None, "issuer": None,
            "metadata": {}, "rendering_options": None}},
        "livemode": livemode,
        "locale": None,
        "metadata": {} if metadata is None else metadata,
        "mode": "payment",
        "origin_context": None,
        "payment_intent": "pi_" + sid.split("_")[-1][:24],
        "payment_link": None,
        "payment_method_collection": "if_required",
        "payment_method_configuration_details": {"id": "pmc_1QtDefaultConfig0000000", "parent": None},
        "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
        "payment_method_types": ["card", "link"],
        "payment_status": "paid" if paid else "unpaid",
        "permissions": None,
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "saved_payment_method_options": {"allow_redisplay_filters": ["always"], "payment_method_remove": None,
                                         "payment_method_save": None},
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "complete",
        "submit_type": None,
        "subscription": None,
        "success_url": "https://app.example.com/billing?checkout=success&session_id={CHECKOUT_SESSION_ID}",
        "total_details": {"amount_discount": discount, "amount_shipping": shipping, "amount_tax": tax},
        "ui_mode": "hosted",
        "url": None,
        "wallet_options": None,
    }
    _apply(session, fields)
    if session["status"] == "open" and "url" not in fields:
        session["url"] = f"https://checkout.stripe.com/c/pay/{sid}"
    return session


def pack_session(user, pack, **fields):
    """The session the web app (and `checkout create`) opens for one pack: the buyer in
    client_reference_id and metadata, the pack's price as its one line item."""
    fields.setdefault("amount", PACK_PRICES.get(pack, 999))
    fields.setdefault("metadata", {"user_id": str(user), "pack": pack})
    fields.setdefault("client_reference_id", str(user))
    return checkout_session(**fields)


# -- payments ------------------------------------------------------------------------------------

def payment_intent(*, id=None, amount=1500, currency="usd", status="succeeded", latest_charge=None,
                   customer=None, metadata=None, created=CREATED, livemode=False, **fields):
    pid = id or new_id("pi")
    return _apply({
        "id": pid, "object": "payment_intent", "amount": amount, "amount_capturable": 0,
        "amount_details": {"tip": {}}, "amount_received": amount if status == "succeeded" else 0,
        "application": None, "application_fee_amount": None,
        "automatic_payment_methods": {"allow_redirects": "always", "enabled": True},
        "canceled_at": None, "cancellation_reason": None, "capture_method": "automatic_async",
        "client_secret": f"{pid}_secret_standin", "confirmation_method": "automatic", "created": created,
        "currency": currency, "customer": customer, "description": None, "last_payment_error": None,
        "latest_charge": latest_charge, "livemode": livemode, "metadata": {} if metadata is None else metadata,
        "next_action": None, "on_behalf_of": None, "payment_method": "pm_1QtCardVisa000000000000",
        "payment_method_options": {"card": {"installments": None, "mandate_options": None, "network": None,
                                            "request_three_d_secure": "automatic"}},
        "payment_method_types": ["card", "link"], "processing": None, "receipt_email": None, "review": None,
        "setup_future_usage": None, "shipping": None, "statement_descriptor": None,
        "statement_descriptor_suffix": None, "status": status, "transfer_data": None, "transfer_group": None,
    }, fields)


def charge(*, id=None, amount=1500, amount_refunded=0, currency="usd", payment_intent=None, customer=None,
           status="succeeded", disputed=False, refunds=(), metadata=None, created=CREATED, livemode=False,
           **fields):
    """A card charge. `refunded` follows amount_refunded (true once all of it is refunded);
    `refunds` are the refund objects listed inside it."""
    cid = id or new_id("ch")
    return _apply({
        "id": cid, "object": "charge", "amount": amount, "amount_captured": amount,
        "amount_refunded": amount_refunded, "application": None, "application_fee": None,
        "application_fee_amount": None, "balance_transaction": new_id("txn"),
        "billing_details": {"address": address(country="US", postal_code="94107"), "email": None,
                            "name": None, "phone": None, "tax_id": None},
        "calculated_statement_descriptor": "QUICKTOOLS", "captured": True, "created": created,
        "currency": currency, "customer": customer, "description": None, "disputed": disputed,
        "failure_balance_transaction": None, "failure_code": None, "failure_message": None,
        "fraud_details": {}, "livemode": livemode, "metadata": {} if metadata is None else metadata,
        "on_behalf_of": None,
        "outcome": {"advice_code": None, "network_advice_code": None, "network_decline_code": None,
                    "network_status": "approved_by_network", "reason": None, "risk_level": "normal",
                    "risk_score": 32, "seller_message": "Payment complete.", "type": "authorized"},
        "paid": status == "succeeded", "payment_intent": payment_intent,
        "payment_method": "pm_1QtCardVisa000000000000",
        "payment_method_details": {"card": {"brand": "visa", "checks": {"address_line1_check": None,
                                   "address_postal_code_check": "pass", "cvc_check": "pass"}, "country": "US",
                                   "exp_month": 12, "exp_year": 2030, "fingerprint": "Qt4242Standin000",
                                   "funding": "credit", "last4": "4242", "network": "visa",
                                   "three_d_secure": None, "wallet": None}, "type": "card"},
        "receipt_email": None, "receipt_number": None,
        "receipt_url": f"https://pay.stripe.com/receipts/payment/{cid}",
        "refunded": amount_refunded >= amount, "refunds": list_object(refunds, f"/v1/charges/{cid}/refunds"),
        "review": None, "shipping": None, "source": None, "source_transfer": None, "statement_descriptor": None,
        "statement_descriptor_suffix": None, "status": status, "transfer_data": None, "transfer_group": None,
    }, fields)


def refund(*, id=None, amount=1500, charge=None, payment_intent=None, status="succeeded", currency="usd",
           reason="requested_by_customer", failure_reason=None, metadata=None, created=CREATED, **fields):
    """A refund: status succeeded, pending, requires_action, failed or canceled. A failed one
    (or one given a failure_reason) carries failure_reason and failure_balance_transaction;
    other refunds leave them out, as Stripe's own examples do. Refunds have no livemode field."""
    obj = {
        "id": id or new_id("re"), "object": "refund", "amount": amount,
        "balance_transaction": None if status in ("pending", "canceled") else new_id("txn"),
        "charge": charge, "created": created, "currency": currency,
        "destination_details": {"card": {"reference_status": "pending", "reference_type": "acquirer_reference_number",
                                         "type": "refund"}, "type": "card"},
        "metadata": {} if metadata is None else metadata, "payment_intent": payment_intent, "reason": reason,
        "receipt_number": None, "source_transfer_reversal": None, "status": status, "transfer_reversal": None,
    }
    if status == "failed" or failure_reason is not None:
        obj["failure_balance_transaction"] = new_id("txn")
        obj["failure_reason"] = failure_reason or "expired_or_canceled_card"
    return _apply(obj, fields)


DISPUTE_STATUSES = ("warning_needs_response", "warning_under_review", "warning_closed", "needs_response",
                    "under_review", "won", "lost")


def dispute(*, id=None, amount=1500, charge=None, payment_intent=None, status="needs_response",
            reason="fraudulent", currency="usd", balance_transactions=None, metadata=None, created=CREATED,
            livemode=False, **fields):
    """A dispute. Inquiries (`warning_*`) move no money; otherwise a balance transaction
    withdraws the amount when the dispute opens (and one reinstates it when it is won),
    unless `balance_transactions` is given."""
    if status not in DISPUTE_STATUSES:
        raise ValueError(f"a dispute's status is one of {DISPUTE_STATUSES}")
    if balance_transactions is None:
        balance_transactions = []
        if not status.startswith("warning_"):
            balance_transactions.append(balance_transaction(-amount, "dispute", "Chargeback withdrawal"))
        if status == "won":
            balance_transactions.append(balance_transaction(amount, "dispute_reversal", "Chargeback reversal"))
    return _apply({
        "id": id or new_id("dp"), "object": "dispute", "amount": amount,
        "balance_transactions": balance_transactions, "charge": charge, "created": created,
        "currency": currency, "enhanced_eligibility_types": [],
        "evidence": {"customer_email_address": None, "customer_name": None, "product_description": None,
                     "receipt": None, "refund_policy": None, "service_date": None, "uncategorized_text": None},
        "evidence_details": {"due_by": created + 21 * 86400, "enhanced_eligibility": {}, "has_evidence": False,
                             "past_due": False, "submission_count": 0},
        "is_charge_refundable": status.startswith("warning_"), "livemode": livemode,
        "metadata": {} if metadata is None else metadata, "payment_intent": payment_intent,
        "payment_method_details": {"card": {"brand": "visa", "case_type":
                                            "inquiry" if status.startswith("warning_") else "chargeback",
                                            "network_reason_code": "10.4"}, "type": "card"},
        "reason": reason, "status": status,
    }, fields)


def balance_transaction(amount, type, description, currency="usd", created=CREATED):
    """As a dispute embeds it: negative for a withdrawal, positive for a reinstatement."""
    fee = 1500 if type == "dispute" else 0
    return {"id": new_id("txn"), "object": "balance_transaction", "amount": amount, "available_on": created,
            "created": created, "currency": currency, "description": description, "exchange_rate": None,
            "fee": fee, "fee_details": [], "net": amount - fee, "reporting_category": type, "source": None,
            "status": "available", "type": "adjustment"}


# -- customers, subscriptions, account, webhooks -------------------------------------------------

def customer(*, id=None, email=None, name=None, metadata=None, created=CREATED, livemode=False, **fields):
    return _apply({
        "id": id or new_id("cus"), "object": "customer", "address": None, "balance": 0, "created": created,
        "currency": None, "default_source": None, "delinquent": False, "description": None, "discount": None,
        "email": email, "invoice_prefix": "QT" + str(next(_counter)).rjust(6, "0"),
        "invoice_settings": {"custom_fields": None, "default_payment_method": None, "footer": None,
                             "rendering_options": None},
        "livemode": livemode, "metadata": {} if metadata is None else metadata, "name": name,
        "next_invoice_sequence": 1, "phone": None, "preferred_locales": [], "shipping": None,
        "tax_exempt": "none", "test_clock": None,
    }, fields)


def subscription(*, id=None, status="active", customer=None, price=2000, interval="month", metadata=None,
                 created=CREATED, livemode=False, **fields):
    """A monthly subscription of the old plans: one item of one recurring price."""
    sid = id or new_id("sub")
    ended = created + 30 * 86400 if status == "canceled" else None
    price_obj = {"id": new_id("price"), "object": "price", "active": True, "billing_scheme": "per_unit",
                 "created": created, "currency": "usd", "custom_unit_amount": None, "livemode": livemode,
                 "lookup_key": None, "metadata": {}, "nickname": None, "product": new_id("prod"),
                 "recurring": {"interval": interval, "interval_count": 1, "meter": None, "trial_period_days": None,
                               "usage_type": "licensed"},
                 "tax_behavior": "unspecified", "tiers_mode": None, "transform_quantity": None, "type": "recurring",
                 "unit_amount": price, "unit_amount_decimal": str(price)}
    item = {"id": new_id("si"), "object": "subscription_item", "created": created,
            "current_period_end": created + 30 * 86400, "current_period_start": created, "discounts": [],
            "metadata": {}, "price": price_obj, "quantity": 1, "subscription": sid, "tax_rates": []}
    return _apply({
        "id": sid, "object": "subscription", "application": None, "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": created, "billing_cycle_anchor_config": None,
        "billing_mode": {"type": "classic"}, "billing_thresholds": None, "cancel_at": None,
        "cancel_at_period_end": False, "canceled_at": ended,
        "cancellation_details": {"comment": None, "feedback": None,
                                 "reason": "cancellation_requested" if ended else None},
        "collection_method": "charge_automatically", "created": created, "currency": "usd",
        "customer": customer or new_id("cus"), "days_until_due": None, "default_payment_method": None,
        "default_source": None, "default_tax_rates": [], "description": None, "discounts": [], "ended_at": ended,
        "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
        "items": list_object([item], f"/v1/subscription_items?subscription={sid}"),
        "latest_invoice": new_id("in"), "livemode": livemode, "metadata": {} if metadata is None else metadata,
        "next_pending_invoice_item_invoice": None, "on_behalf_of": None, "pause_collection": None,
        "payment_settings": {"payment_method_options": None, "payment_method_types": None,
                             "save_default_payment_method": "off"},
        "pending_invoice_item_interval": None, "pending_setup_intent": None, "pending_update": None,
        "schedule": None, "start_date": created, "status": status, "test_clock": None, "transfer_data": None,
        "trial_end": None, "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": None,
    }, fields)


def account(*, id=None, display_name="Quicktools Credits", email="billing@example.com", country="US",
            charges_enabled=True, created=CREATED, **fields):
    """The account a key belongs to (`GET /v1/account`): a standard account that takes payments."""
    aid = id or new_id("acct", width=16)
    return _apply({
        "id": aid, "object": "account",
        "business_profile": {"mcc": "5734", "name": display_name, "product_description": None,
                             "support_address": None, "support_email": email, "support_phone": None,
                             "support_url": None, "url": "https://app.example.com"},
        "business_type": "company", "capabilities": {"card_payments": "active", "transfers": "active"},
        "charges_enabled": charges_enabled, "controller": {"type": "account"}, "country": country,
        "created": created, "default_currency": "usd", "details_submitted": True, "email": email,
        "external_accounts": list_object([], f"/v1/accounts/{aid}/external_accounts"),
        "future_requirements": {"alternatives": [], "current_deadline": None, "currently_due": [],
                                "disabled_reason": None, "errors": [], "eventually_due": [], "past_due": [],
                                "pending_verification": []},
        "metadata": {}, "payouts_enabled": charges_enabled,
        "requirements": {"alternatives": [], "current_deadline": None, "currently_due": [], "disabled_reason": None,
                         "errors": [], "eventually_due": [], "past_due": [], "pending_verification": []},
        "settings": {"branding": {"icon": None, "logo": None, "primary_color": None, "secondary_color": None},
                     "card_payments": {"decline_on": {"avs_failure": False, "cvc_failure": True},
                                       "statement_descriptor_prefix": None},
                     "dashboard": {"display_name": display_name, "timezone": "Etc/UTC"},
                     "payments": {"statement_descriptor": "QUICKTOOLS"},
                     "payouts": {"debit_negative_balances": True, "schedule": {"delay_days": 2, "interval": "daily"},
                                 "statement_descriptor": None}},
        "tos_acceptance": {"date": created}, "type": "standard",
    }, fields)


def webhook_endpoint(*, id=None, url="https://app.example.com/stripe/webhook", enabled_events=None,
                     status="enabled", api_version=API_VERSION, created=CREATED, livemode=False, **fields):
    """A webhook endpoint as listed (the secret is only in the answer that created it)."""
    return _apply({
        "id": id or new_id("we"), "object": "webhook_endpoint", "api_version": api_version,
        "application": None, "created": created, "description": None,
        "enabled_events": list(enabled_events) if enabled_events is not None else [
            "checkout.session.completed", "checkout.session.async_payment_succeeded",
            "checkout.session.async_payment_failed", "charge.refunded"],
        "livemode": livemode, "metadata": {}, "status": status, "url": url,
    }, fields)
