"""Request checks of the Stripe stand-in: form decoding, bracket keys, and the kinds of
parameter Stripe's API has (string, integer, boolean, enum, hash with known keys, free-form
metadata hash, array), each refusing a bad value the way Stripe does: its error message, its
`code` (parameter_unknown, parameter_missing, parameter_invalid_integer, ...) and the `param`
it names (`line_items[0][quantity]`). The rules per endpoint are in stripe_rules.py."""
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
    """metadata[user_id]=7 -> {"metadata": {"user_id": "7"}}; arrays stay dicts keyed by index
    (`types[]=a&types[]=b` -> {"types": {"0": "a", "1": "b"}})."""
    root = {}
    for key, value in pairs:
        m = KEY.match(key)
        if not m:
            raise Invalid(f"Invalid parameter name: {key}", code="parameter_unknown", param=key)
        tokens = [m.group(1)] + re.findall(r"\[([^\[\]]*)\]", m.group(2))
        node = root
        for token in tokens[:-1]:
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
    return path[0] + "".join(f"[{p}]" for p in path[1:]) if path else ""


def unknown(path):
    name = label(path)
    return Invalid(f"Received unknown parameter: {name}", code="parameter_unknown", param=name)


def missing(path):
    name = label(path)
    return Invalid(f"Missing required param: {name}.", code="parameter_missing", param=name)


def not_a_hash(value, path):
    if isinstance(value, dict):
        name = label(path)
        raise Invalid(f"Invalid value for {name}: expected a single value, got a hash", param=name)


# -- the kinds of parameter ----------------------------------------------------------------------

class Str:
    def __init__(self, max_length=5000, blank=True):
        self.max_length, self.blank = max_length, blank

    def check(self, value, path):
        not_a_hash(value, path)
        name = label(path)
        if value == "" and not self.blank:
            raise Invalid(f"You passed an empty string for '{name}'. We assume empty values are an attempt to "
                          f"unset a parameter; however '{name}' cannot be unset. You should remove '{name}' from "
                          "your request or supply a non-empty value.", code="parameter_invalid_empty", param=name)
        if self.max_length is not None and len(value) > self.max_length:
            raise Invalid(f"Invalid string: {value[:20]}...; must be at most {self.max_length} characters",
                          code="parameter_invalid_string", param=name)
        return value


class Int:
    def __init__(self, minimum=None, maximum=None):
        self.minimum, self.maximum = minimum, maximum

    def check(self, value, path):
        not_a_hash(value, path)
        name = label(path)
        if not re.fullmatch(r"-?\d+", value):
            raise Invalid(f"Invalid integer: {value}", code="parameter_invalid_integer", param=name)
        n = int(value)
        low, high = self.minimum, self.maximum
        if (low is not None and n < low) or (high is not None and n > high):
            bound = (f"greater than or equal to {low} and less than or equal to {high}" if low is not None and
                     high is not None else f"greater than or equal to {low}" if low is not None else
                     f"less than or equal to {high}")
            raise Invalid(f"This value must be {bound}.", code="parameter_invalid_integer", param=name)
        return n


class Bool:
    def check(self, value, path):
        not_a_hash(value, path)
        if value not in ("true", "false"):
            raise Invalid(f"Invalid boolean: {value}", param=label(path))
        return value == "true"


class Enum:
    def __init__(self, *values):
        self.values = values

    def check(self, value, path):
        not_a_hash(value, path)
        if value not in self.values:
            name = label(path)
            choices = ", ".join(self.values[:-1]) + (", or " if len(self.values) > 2 else " or ") + self.values[-1] \
                if len(self.values) > 1 else self.values[0]
            raise Invalid(f"Invalid {path[-1]}: must be one of {choices}", param=name)
        return value


class Hash:
    """A hash with known keys (`price_data[currency]`); `required` keys must be present."""
    def __init__(self, fields, required=()):
        self.fields, self.required = fields, tuple(required)

    def check(self, value, path):
        name = label(path)
        if value == "":
            return {}
        if not isinstance(value, dict):
            raise Invalid(f"Invalid object: {name} must be a hash", code="parameter_invalid_string", param=name)
        out = {}
        for k, v in value.items():
            if k not in self.fields:
                raise unknown(path + [k])
            out[k] = self.fields[k].check(v, path + [k])
        for r in self.required:
            if r not in value:
                raise missing(path + [r])
        return out


class Metadata:
    """A free-form hash of strings (`metadata[anything]=...`): at most 50 keys, keys of at most
    40 characters, values of at most 500; an empty string unsets all of it or one key."""
    def check(self, value, path):
        name = label(path)
        if value == "":
            return {}
        if not isinstance(value, dict):
            raise Invalid(f"Invalid object: {name} must be a hash", code="parameter_invalid_string", param=name)
        if len(value) > 50:
            raise Invalid(f"Invalid {name}: You can specify up to 50 keys.", param=name)
        for k, v in value.items():
            key = label(path + [k])
            if isinstance(v, dict):
                raise Invalid(f"Invalid {name}: metadata values must be strings, not hashes", param=key)
            if len(k) > 40:
                raise Invalid(f"Invalid {name}: Keys can be at most 40 characters long.", param=key)
            if len(v) > 500:
                raise Invalid(f"Invalid {name}: Values can be at most 500 characters long.", param=key)
        return dict(value)


class Array:
    def __init__(self, item, max_items=None):
        self.item, self.max_items = item, max_items

    def check(self, value, path):
        name = label(path)
        if value == "":
            return []
        if not isinstance(value, dict) or not all(k.isdigit() for k in value):
            raise Invalid(f"Invalid array: {name}", code="parameter_invalid_string", param=name)
        if self.max_items is not None and len(value) > self.max_items:
            raise Invalid(f"Invalid array: {name} can have at most {self.max_items} items", param=name)
        return [self.item.check(value[k], path + [k]) for k in sorted(value, key=int)]


class Either:
    """One of several kinds (`created=123` or `created[gte]=123`): the first that accepts the
    value; otherwise the first one's error."""
    def __init__(self, *kinds):
        self.kinds = kinds

    def check(self, value, path):
        first = None
        for kind in self.kinds:
            try:
                return kind.check(value, path)
            except Invalid as e:
                first = first or e
        raise first


# -- one endpoint --------------------------------------------------------------------------------

class Endpoint:
    """The parameters of one method + path: known ones with their kind, required ones, groups of
    which at most one may be given (`exclusive`) and groups of which one must be (`one_of`)."""
    def __init__(self, method, path, params=None, required=(), exclusive=(), one_of=()):
        self.method, self.path = method, path
        self.params = Hash(params or {}, required)
        self.exclusive, self.one_of = exclusive, one_of

    def validate(self, pairs):
        params = self.params.check(nest(pairs), [])
        for group in self.exclusive:
            given = [p for p in group if p in params]
            if len(given) > 1:
                raise Invalid(f"You may only specify one of these parameters: {', '.join(given)}.",
                              code="parameters_exclusive", param=given[-1])
        for group in self.one_of:
            if not any(p in params for p in group):
                raise Invalid(f"One of the following params should be provided for this request: "
                              f"{' or '.join(group)}.", code="parameter_missing", param=group[0])
        return params
