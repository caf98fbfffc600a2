"""Forms on pages: the API's own schemas check the input (one rule, written once), and every
refusal, from a schema or a service, becomes a message beside the field it is about.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext
from marshmallow import Schema, ValidationError
from werkzeug.datastructures import MultiDict

from louise.errors import DomainError

#: Where the API puts a field's messages (webargs' locations); a page has only fields.
_LOCATIONS = frozenset({"json", "query", "form", "headers", "path", "files"})

#: The field a message goes beside when it names none (a refusal of the whole form).
FORM = "_form"


class FormErrors(dict[str, list[str]]):
    """Messages per field name, translated; ``FORM`` holds those about the whole form."""

    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(gettext(message))

    def first(self, field: str) -> str | None:
        messages = self.get(field)
        return messages[0] if messages else None


def form_data(form: MultiDict[str, str], names: Iterable[str]) -> dict[str, Any]:
    """The named fields of a submitted form, stripped; empty fields are left out (so that a
    schema's defaults and "required" messages apply as they do for a JSON body)."""
    data: dict[str, Any] = {}
    for name in names:
        value = form.get(name, "").strip()
        if value:
            data[name] = value
    return data


def load_form(schema: Schema, data: Mapping[str, Any]) -> tuple[dict[str, Any], FormErrors]:
    """Validate ``data`` with an API schema: the loaded data, or the messages per field."""
    errors = FormErrors()
    try:
        return schema.load(data), errors
    except ValidationError as error:
        for field, messages in _collect({}, error.messages).items():
            for message in messages:
                errors.add(field, message)
        return {}, errors


def errors_of(error: DomainError, fields: Iterable[str] = ()) -> FormErrors:
    """A service's refusal as messages beside its fields. A message about a field the form
    does not show (or about none) goes to the top of the form, so nothing is lost."""
    errors = FormErrors()
    shown = set(fields)
    named = _collect({}, error.fields or {})
    for field, messages in named.items():
        target = field if not shown or field in shown else FORM
        for message in messages:
            errors.add(target, message)
    if not named or (shown and not any(f in shown for f in named)):
        errors.add(FORM, error.message)
    return errors


def _collect(found: dict[str, list[str]], node: Any, field: str = FORM) -> dict[str, list[str]]:
    """Webargs' nested messages ({"json": {"email": ["…"]}}) as {"email": ["…"]}."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            name = str(key)
            _collect(found, value, field if name in _LOCATIONS else name)
    elif isinstance(node, list | tuple):
        for value in node:
            _collect(found, value, field)
    else:
        found.setdefault(field, []).append(str(node))
    return found
