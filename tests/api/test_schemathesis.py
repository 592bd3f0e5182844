"""schemathesis against the API's own OpenAPI document, in-process (ASGI), signed in: no
operation answers a server error (5xx), whatever valid or invalid input it gets.

Every operation under a licensee is called for the signed-in administrator's own licensee
(``licence`` is pinned; the other parameters, the query and the body are generated, both
valid and invalid), so the requests reach the handlers, the rules and the database instead of
stopping at "licensee not found". The operations are driven one by one with Hypothesis
(schemathesis' pytest plugin does not run under pytest 9), and every failing operation is
reported, not only the first.
"""

from collections import Counter

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    allow_header_conformance,
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation

from tests.api.conftest import ADMIN, sign_in
from tests.api.seed import Floor
from tests.server.conftest import LICENCE

EXAMPLES = 20
# Every check but one: no 5xx; only declared statuses, content types, headers and bodies; a
# 405's Allow naming the path's methods; invalid input refused; auth not ignored; unsupported
# methods and missing headers refused. Not positive_data_acceptance: a request the schema
# allows may still be refused with 422 by the rules (with the rule's ID), by checks across
# fields the schema cannot say ("until" before "since", a day more than 366 days back) or by
# the password policy, and that refusal is the product working.
CHECKS = [
    not_a_server_error,
    negative_data_rejection,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    allow_header_conformance,
    ignored_auth,
    missing_required_header,
    unsupported_method,
]


def _in_a_query_string(value: object) -> bool:
    """Whether ``value`` is sent as the query parameter it was generated for: a scalar, or a
    non-empty list of scalars (the parameter repeated). Not an empty list (nothing is sent),
    an object (a form-style query spreads it into keys of its own) or null."""
    scalar = (str, int, float, bool)
    if isinstance(value, list):
        return len(value) > 0 and all(isinstance(v, scalar) for v in value)
    return isinstance(value, scalar)


@pytest.mark.slow
def test_no_operation_answers_a_server_error(
    app: FastAPI, client: TestClient, admin: dict[str, str], floors: tuple[Floor, Floor]
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: dict[str, str] = {}
    statuses: Counter[int] = Counter()
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        cases = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @given(case=cases)
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: schemathesis.Case) -> None:
            if case.path_parameters and "licence" in case.path_parameters:
                case.path_parameters["licence"] = LICENCE
                # Pinned: the path may no longer be the negative part; let it be re-checked.
                case.meta.mark_dirty(ParameterLocation.PATH)
            if case.query:
                sent = {k: v for k, v in case.query.items() if _in_a_query_string(v)}
                if sent != case.query:
                    # A value not sent as its parameter (null, an object, an empty list):
                    # the request may no longer be the negative one it was generated as; let
                    # the query be re-checked without it.
                    case.query = sent
                    case.meta.mark_dirty(ParameterLocation.QUERY)
            # Signing out would end the session the other operations use: give it its own.
            own = sign_in(client, ADMIN) if case.operation.path.endswith("/logout") else admin
            if case.headers is not None and "Authorization" in case.headers:
                # A generated (maybe malformed) Authorization is replaced by a valid one: the
                # headers may no longer be the negative part; let them be re-checked.
                case.headers = {**case.headers, **own}
                case.meta.mark_dirty(ParameterLocation.HEADER)
                response = case.call()
            else:
                response = case.call(headers=own)
            statuses[response.status_code] += 1
            case.validate_response(response, checks=CHECKS)

        try:
            call()
        except (Exception, FailureGroup) as err:  # reported below, with every other one
            failures[operation.label] = str(err)[:2000]
    assert operations >= 40
    report = "\n\n".join(f"== {label}\n{text}" for label, text in sorted(failures.items()))
    assert failures == {}, report
    # The generated requests got through: many were answered, not only refused.
    assert statuses[200] + statuses[201] >= operations
