"""Request checks of the Stripe stand-in: form decoding, bracket keys, and the OpenAPI request
schemas of reference/stripe/openapi-endpoints.json, with Stripe's error codes and params."""
import re
import urllib.parse

KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


class Invalid(Exception):
    def __init__(self, message, code=None, param=None):
        super().__init__(message)
        self.message, self.code, self.param = message, code, param


def parse_form(raw):
    """Decoded (key, value) pairs; rejects what is not application/x-www-form-urlencoded."""
    if raw == "":
        return []
    if re.search(r"%(?![0-9A-Fa-f]{2})", raw) or re.search(r"[^\x21-\x7e]", raw):
        raise Invalid("the body is not percent-encoded")
    try:
        return urllib.parse.parse_qsl(raw, keep_blank_values=True, strict_parsing=True, errors="strict")
    except (ValueError, UnicodeDecodeError) as e:
        raise Invalid(f"malformed form data ({e})")


def nest(pairs):
    """metadata[user_id]=7 -> {"metadata": {"user_id": "7"}}; arrays stay dicts keyed by index."""
    root = {}
    for key, value in pairs:
        m = KEY.match(key)
        if not m:
            raise Invalid(f"Invalid parameter name: {key}", code="parameter_unknown", param=key)
        tokens = [m.group(1)] + re.findall(r"\[([^\[\]]*)\]", m.group(2))
        node = root
        for i, token in enumerate(tokens[:-1]):
            if token == "":
                raise Invalid(f"Invalid array notation in {key}", param=key)
            child = node.setdefault(token, {})
            if not isinstance(child, dict):
                raise Invalid(f"Invalid hash: {key} mixes a value and nested fields", param=key)
            node = child
        last = tokens[-1]
        if last == "":
            last = str(len(node))
        if last in node:
            raise Invalid(f"Duplicate parameter: {key}", param=key)
        node[last] = value
    return root


def label(path):
    if not path:
        return ""
    return path[0] + "".join(f"[{p}]" for p in path[1:])


def check(value, schema, path):
    """Returns the value converted (integers, booleans, lists); raises Invalid like Stripe."""
    if "anyOf" in schema:
        first = None
        for option in schema["anyOf"]:
            try:
                return check(value, option, path)
            except Invalid as e:
                first = first or e
        raise first
    kind = schema.get("type")
    name = label(path)
    if kind == "object":
        if value == "":
            return {}
        if not isinstance(value, dict):
            raise Invalid(f"Invalid object: {name} must be a hash", code="parameter_invalid_string", param=name)
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        out = {}
        for k, v in value.items():
            if k in props:
                out[k] = check(v, props[k], path + [k])
            elif isinstance(extra, dict):
                out[k] = check(v, extra, path + [k])
            else:
                unknown = label(path + [k])
                raise Invalid(f"Received unknown parameter: {unknown}", code="parameter_unknown", param=unknown)
        for r in schema.get("required", []):
            if r not in value:
                missing = label(path + [r])
                raise Invalid(f"Missing required param: {missing}.", code="parameter_missing", param=missing)
        return out
    if kind == "array":
        if value == "":
            return []
        if not isinstance(value, dict) or not all(k.isdigit() for k in value):
            raise Invalid(f"Invalid array: {name}", code="parameter_invalid_string", param=name)
        return [check(value[k], schema.get("items", {}), path + [k]) for k in sorted(value, key=int)]
    if isinstance(value, dict):
        raise Invalid(f"Invalid {kind or 'value'}: {name} is not a hash", param=name)
    if kind == "integer":
        if not re.fullmatch(r"-?\d+", value):
            raise Invalid(f"Invalid integer: {value}", code="parameter_invalid_integer", param=name)
        return int(value)
    if kind == "boolean":
        if value not in ("true", "false"):
            raise Invalid(f"Invalid boolean: {value}", param=name)
        return value == "true"
    if kind == "string":
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            raise Invalid(f"Invalid string: {name} is longer than {schema['maxLength']} characters",
                          code="parameter_invalid_string", param=name)
        if "enum" in schema and value not in schema["enum"] and not schema.get("x-stripeBypassValidation"):
            raise Invalid(f"Invalid {name}: must be one of {', '.join(schema['enum'])}", param=name)
    return value


def request_schema(op):
    """One object schema for an operation: its query parameters, or its form body."""
    query = [p for p in op.get("parameters", []) if p.get("in") == "query"]
    if query:
        return {"type": "object", "properties": {p["name"]: p["schema"] for p in query},
                "required": [p["name"] for p in query if p.get("required")]}
    body = op.get("requestBody", {}).get("content", {}).get("application/x-www-form-urlencoded", {})
    return body.get("schema", {"type": "object", "properties": {}})


def validate(op, pairs):
    return check(nest(pairs), request_schema(op), [])
