"""Step 3, filter: the body as the route's policy allows it, and the school it names.

The compiled filter where it can account for the body exactly, else the reference one; both
give the same answer (the property tests hold them to it).
"""

from __future__ import annotations

from gateway.formats.filtered import Filtered, NamedSchool, named_school
from gateway.formats.json_compiled import NotCompilable
from gateway.formats.json_reference import filtered
from gateway.formats.payload_schema import PayloadSchema
from gateway.problems import Blocked
from gateway.register.agreements import Route
from gateway.register.schools import School
from gateway.transfer import receive


def payload(raw: receive.Body, route: Route, schema: PayloadSchema) -> tuple[Filtered, NamedSchool]:
    """The compiled filter where it can account for the body exactly, else the reference one."""
    if route.compiled is not None:
        try:
            return route.compiled.filtered(raw)
        except NotCompilable:
            pass
    document = receive.document(raw)
    return filtered(document, route.policy, schema), named_school(document)


def same_school(named: NamedSchool, school: School) -> None:
    if named is None:
        return
    brin, dependance = named
    if brin is not None and brin != school.brin:
        raise Blocked(403, "school-mismatch", f"the payload names another school than {school}")
    if school.dependance is not None and dependance is not None and dependance != school.dependance:
        raise Blocked(403, "school-mismatch", f"the payload names another school than {school}")
