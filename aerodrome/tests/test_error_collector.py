"""The collector services report every invalid field through (aerodrome.validation.ErrorCollector)."""

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from aerodrome.validation import ErrorCollector, clean_name


def test_it_keeps_every_message_and_raises_them_together():
    errors = ErrorCollector()
    assert errors.check(clean_name, "Fine") == "Fine"
    assert errors.check(clean_name, "   ") is None
    errors.add("role", "Choose a role.")
    errors.add_error(ValidationError("The request as a whole is wrong."))
    with errors.within("queues[1]"):
        errors.check(clean_name, "", field="max_workers")
        errors.add(None, "This queue is wrong as a whole.")
    assert errors.has("name") and not errors.has("description")
    with pytest.raises(ValidationError) as raised:
        errors.raise_if_any()
    assert raised.value.message_dict == {
        "name": ["Enter a name."],
        "role": ["Choose a role."],
        NON_FIELD_ERRORS: ["The request as a whole is wrong."],
        "queues[1].max_workers": ["Enter a name."],
        "queues[1]": ["This queue is wrong as a whole."],
    }


def test_nothing_collected_raises_nothing():
    errors = ErrorCollector()
    errors.check(clean_name, "Fine")
    assert not errors
    errors.raise_if_any()
