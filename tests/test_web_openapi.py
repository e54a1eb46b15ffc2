"""Schemathesis drives every operation of the OpenAPI document against the app: valid and
malformed input, no 500, answers that conform to the document, auth enforced."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.web_fixtures import bearer, copy_settings, token_for
from web import create_app

TOKEN: dict[str, str] = {}


@pytest.fixture(scope="module")
def api_schema(sample_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    # schemathesis sends a bad token for each case of each operation: past 30 a minute the
    # address's bad-token budget would answer 429 (tested in test_web_security), so it is off
    app = create_app(copy_settings(sample_index, tmp_path_factory.mktemp("openapi") / "data",
                                   signin_rate=0))
    TOKEN["admin"] = token_for(app, "p-nadia")  # an admin is also a KM lead: every operation
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def test_every_operation_conforms(api_schema: Any) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 14  # every operation (the document itself may be left out)
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)
        def call(case: Any) -> None:
            # schema-valid input may still be refused by rules a schema cannot say (a pin
            # ending before it starts, synonyms equal once folded): a 400 is right there
            case.call_and_validate(headers=bearer(TOKEN["admin"]),
                                   excluded_checks=[positive_data_acceptance])

        call()
