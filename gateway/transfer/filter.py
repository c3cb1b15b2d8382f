"""Step 3, filter: the body as the route's policy allows it, and the school it names.

The compiled filter where it can take the body, else the reference one; both give the same
answer (the property tests hold them to it). The filter always takes out what may not leave
(stripped, invalid, inspected); whether what it took out blocks the whole transfer is the
contract's to say (``values.on_invalid``, ``values.inspection``), and decided here.
"""

from __future__ import annotations

import msgspec

from gateway.formats.bounds import DEFAULT, Bounds, TooComplex
from gateway.formats.filtered import Filtered, NamedSchool, named_school
from gateway.formats.json_compiled import NotCompilable
from gateway.formats.json_reference import filtered
from gateway.formats.payload_schema import PayloadSchema
from gateway.formats.transforms import Transforms
from gateway.problems import Blocked, Rejected
from gateway.register.agreements import Route
from gateway.register.schools import School
from gateway.transfer import receive


def payload(
    raw: receive.Body,
    route: Route,
    schema: PayloadSchema,
    limits: Bounds = DEFAULT,
    context: Transforms | None = None,
) -> tuple[Filtered, NamedSchool]:
    """The compiled filter where it can take the body, else the reference one; ``context`` is
    what the route's transformations need."""
    if route.compiled is not None:
        try:
            return route.compiled.filtered(raw, limits, context)
        except NotCompilable:
            # Not a JSON object: nothing to filter, and nothing worth decoding whole to say so.
            raise Rejected(400, "malformed-body", "the body must be a JSON object") from None
        except TooComplex as error:
            raise Rejected(413, "too-many-values", error.reason) from None
        except (msgspec.DecodeError, UnicodeDecodeError):
            # msgspec's message can quote the body's keys: say it in the gateway's own words.
            raise Rejected(400, "malformed-body", "the body is not valid JSON") from None
        except RecursionError:
            raise Rejected(400, "malformed-body", "the body is nested too deeply") from None
    document = receive.document(raw)
    return filtered(document, route.policy, schema, context), named_school(document)


def same_school(named: NamedSchool, school: School) -> None:
    if named is None:
        return
    brin, dependance = named
    if brin is not None and brin != school.brin:
        raise Blocked(403, "school-mismatch", f"the payload names another school than {school}")
    if school.dependance is not None and dependance is not None and dependance != school.dependance:
        raise Blocked(403, "school-mismatch", f"the payload names another school than {school}")


def enforce(result: Filtered, route: Route) -> None:
    """Blocked (422) where the route's contract says to refuse rather than take values out."""
    if route.xml is not None and route.xml.refuse_invalid and result.invalid:
        raise Blocked(
            422,
            "invalid-document",
            "the filtered document does not validate against the agreement's profile, and the "
            "agreement says to refuse such a transfer",
        )
    if route.values.block_invalid and result.invalid:
        raise Blocked(
            422,
            "invalid-values",
            "values break their field's rule, and the agreement says to refuse such a transfer "
            "rather than leave them out",
        )
    found = {kind for kinds in result.inspected.values() for kind in kinds}
    blocking = sorted(found & route.values.block_content)
    if blocking:
        raise Blocked(
            422,
            "forbidden-content",
            f"forwarded values hold identifiers ({', '.join(blocking)}) their fields may not "
            "carry, and the agreement says to refuse such a transfer",
        )
