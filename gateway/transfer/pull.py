"""The pull: a supplier asks the LAS for pupil data (UWLR HaalLeerlinggegevens), and the data
leaves the school in the *answer*. One transfer, top to bottom:

authenticate (a supplier key) -> read the SOAP request -> resolve agreement -> check the request
(school in scope, ``schooljaar``, ``xsdversie``) -> call the LAS -> filter its answer by the
agreement's profile -> record (durable) -> answer -> record outcome.

The supplier calls ``POST /uwlr/<supplier>/<path>`` (``/uwlr/<supplier>/leerlinggegevens``),
with ``Authorization: Bearer <supplier key>`` (a key bound to a client certificate works only
with it). The SOAP ``autorisatie`` header is the supplier's credential at the LAS: the request
the LAS gets is rebuilt from the parameters the gateway read, with that header, and nothing
else of what the supplier sent. Every answer the gateway makes itself is a SOAP 1.1 fault with
UWLR's code (``soap.FaultCode``) and the transfer id in its ``detail``, sent with HTTP 500 as
SOAP 1.1 asks; a fault of the LAS passes as a fault with the LAS's code and UWLR's fixed text,
never the LAS's own words.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import date

from multidict import CIMultiDict
from starlette.requests import Request
from starlette.responses import Response

from gateway import logs
from gateway.access.tls import client_certificate
from gateway.evidence.subjects import SubjectKey
from gateway.formats import soap, xml_safe
from gateway.formats.soap import FaultCode
from gateway.problems import (
    Blocked,
    LogUnavailable,
    Refusal,
    Rejected,
    UpstreamFailed,
)
from gateway.register.schools import School, SchoolCodeError
from gateway.register.sources import Sources
from gateway.register.xml_routes import PULL, XmlHandling
from gateway.transfer import authenticate, filter, resolve_agreement, work, xml_work
from gateway.transfer.pipeline import Gateway, subpath
from gateway.transfer.state import BLOCKED, FORWARDED, UNKNOWN, Transfer

logger = logging.getLogger("gateway.pull")

PREFIX = "/uwlr/"
SOAP_MEDIA_TYPE = "text/xml; charset=utf-8"
_SCHOOL_YEAR = re.compile(r"^(\d{4})-(\d{4})$")

# The UWLR fault for each of the gateway's refusals (docs/exchanges.md has the table).
FAULTS = {
    "unauthenticated": FaultCode.AUTORISATIE_ONGELDIG,
    "forbidden": FaultCode.AUTORISATIE_ONGELDIG,
    "unknown-supplier": FaultCode.AUTORISATIE_ONGELDIG,
    "school-not-allowed": FaultCode.AUTORISATIE_ONGELDIG,
    "no-agreement": FaultCode.AUTORISATIE_ONGELDIG,
    "route-not-covered": FaultCode.AUTORISATIE_ONGELDIG,
    "bad-xsd-version": FaultCode.XSD_VERSIE_ONGELDIG,
    "rate-limited": FaultCode.TIJDELIJK_NIET_BESCHIKBAAR,
    "upstream-unreachable": FaultCode.TIJDELIJK_NIET_BESCHIKBAAR,
    "upstream-timeout": FaultCode.TIJDELIJK_NIET_BESCHIKBAAR,
    "log-unavailable": FaultCode.TIJDELIJK_NIET_BESCHIKBAAR,
    "invalid-document": FaultCode.INTERNE_FOUT,
    "no-source": FaultCode.INTERNE_FOUT,
    "school-mismatch": FaultCode.INTERNE_FOUT,  # the LAS answered about another school
    "internal-error": FaultCode.INTERNE_FOUT,
}  # every other refusal (an unreadable or unsafe request, a bad school year): OngeldigBericht


class LasFault(UpstreamFailed):
    """The LAS answered with a SOAP fault; ``fault`` is its UWLR code (None: not one of UWLR's)."""

    def __init__(self, fault: FaultCode | None, upstream_status: int) -> None:
        super().__init__(
            500, "las-fault", "the LAS answered with a SOAP fault", upstream_status=upstream_status
        )
        self.fault = fault


class BadSoap(Rejected):
    """A request that is not the SOAP the gateway reads, with the fault ``soap`` gave it."""

    def __init__(self, error: soap.SoapError) -> None:
        super().__init__(400, "malformed-body", str(error))
        self.fault = error.fault


@dataclass(frozen=True, slots=True)
class Answered:
    """What the pull gives the supplier: the SOAP answer and the LAS's HTTP status."""

    body: bytes
    upstream_status: int


class Pull:
    """The ``/uwlr/`` service: the gateway's steps for a supplier pulling from the LAS."""

    def __init__(self, gateway: Gateway, sources: Sources) -> None:
        self.gateway = gateway
        self.sources = sources
        self.suppliers = frozenset(a.supplier for a in gateway.register.all())

    async def handle(self, request: Request) -> Response:
        gateway = self.gateway
        slug: str = request.path_params["supplier"]
        # An unknown supplier name is the caller's text and is not logged: it could be anything.
        known = slug if slug in self.suppliers else None
        transfer = Transfer(
            method=request.method,
            supplier=known,
            instance=gateway.instance.id,
            direction=PULL,
            format="xml",
        )
        try:
            raw_path = subpath(request, f"{PREFIX}{slug}")
            transfer.client = await authenticate.caller(
                request.headers, client_certificate(request.scope), gateway.keys, "supplier"
            )
            if transfer.client.name != slug:
                raise Blocked(403, "forbidden", "this key belongs to another supplier")
            async with gateway.limits.admit(transfer.client.key_id):
                answered = await self._pull(request, transfer, known, raw_path)
        except LogUnavailable as refusal:
            logger.error("transfer %s refused: %s", transfer.id, refusal.detail)
            transfer.finish(BLOCKED, 500, problem=refusal.problem)
            logs.transfer_line(transfer)
            return _fault(FaultCode.TIJDELIJK_NIET_BESCHIKBAAR, transfer)
        except Refusal as refusal:
            upstream_status = getattr(refusal, "upstream_status", None)
            transfer.finish(refusal.outcome, 500, upstream_status, problem=refusal.problem)
            await gateway._record_end(transfer)
            # The LAS's fault code if it sent one; an answer of the LAS the gateway would not
            # pass on is the server's fault, not the supplier's message's.
            otherwise = (
                FaultCode.INTERNE_FOUT
                if isinstance(refusal, UpstreamFailed)
                else FaultCode.ONGELDIG_BERICHT
            )
            code = getattr(refusal, "fault", None) or FAULTS.get(refusal.problem, otherwise)
            return _fault(code, transfer)
        except Exception:
            logger.exception("transfer %s failed inside the gateway", transfer.id)
            outcome = UNKNOWN if transfer.recorded else BLOCKED
            transfer.finish(outcome, 500, problem="internal-error")
            await gateway._record_end(transfer)
            return _fault(FaultCode.INTERNE_FOUT, transfer)
        transfer.finish(FORWARDED, 200, upstream_status=answered.upstream_status)
        await gateway._record_end(transfer)
        headers = {"X-Transfer-Id": str(transfer.id)}
        return Response(answered.body, 200, headers, media_type=SOAP_MEDIA_TYPE)

    async def _pull(
        self, request: Request, transfer: Transfer, slug: str | None, raw_path: str
    ) -> Answered:
        gateway = self.gateway
        assert transfer.client is not None
        if slug is None:
            raise Rejected(404, "unknown-supplier", "no agreement names a supplier of that name")
        limits = xml_work.limits_for(gateway.settings.max_body_bytes)
        # 2. read the request (small: parsed on the loop)
        xml_work.require_xml(request.headers)
        raw = await gateway._receive(request)
        asked = _request(bytes(raw), limits)
        del raw
        transfer.school = _school(asked)
        authenticate.may_send_for(transfer.client, transfer.school)
        # 3. resolve agreement
        register = gateway.register  # one generation of it for the whole transfer
        started = gateway.now()
        today = started.date()
        transfer.agreement = register.in_force(slug, transfer.school, started)
        transfer.route = resolve_agreement.route(transfer.agreement, request.method, "/" + raw_path)
        transfer.path = transfer.route.path
        handling = transfer.route.xml
        if handling is None or handling.direction != PULL:
            raise Blocked(403, "route-not-covered", "this route of the agreement is not a pull")
        # 4. check the request
        _check_school_year(asked.schooljaar, today)
        if asked.xsdversie.strip() != handling.xsdversie:
            raise Rejected(
                400, "bad-xsd-version", f"this agreement's profile is UWLR {handling.xsdversie}"
            )
        source = self.sources.holding(transfer.school)
        if source is None:
            raise Blocked(403, "no-source", f"no source system holds the data of {transfer.school}")
        # 5. call the LAS, with a request rebuilt from what was read
        headers: CIMultiDict[str] = CIMultiDict()
        headers["Content-Type"] = SOAP_MEDIA_TYPE
        headers["SOAPAction"] = f'"{soap.HAAL_LEERLINGGEGEVENS}"'
        headers["Accept"] = "text/xml"
        headers["User-Agent"] = "Poortwachter"
        headers["X-Transfer-Id"] = str(transfer.id)
        if source.endpoint.credential is not None:
            headers[source.endpoint.credential[0]] = source.endpoint.credential[1]
        answer = await gateway.upstream.send(
            source.endpoint, "POST", source.leerlinggegevens, soap.request_message(asked), headers
        )
        # 6. filter the answer (off the loop when large)
        worked = await gateway.workers.run(
            len(answer.body),
            answer_work,
            answer.body,
            answer.status,
            handling,
            limits,
            transfer.school,
            gateway.subjects,
        )
        transfer.filtered = worked.filtered  # on record, also when the contract refuses it
        filter.enforce(worked.filtered, transfer.route)
        transfer.body_sha256 = worked.sha256
        transfer.subjects = worked.subjects
        # 7. record: durable before anything leaves, if the agreement is still in force (a
        # refusal is a SOAP fault, HTTP 500)
        await gateway.record_pending(transfer, register, status=500)
        return Answered(bytes(worked.body), answer.status)


def answer_work(
    data: bytes,
    status: int,
    handling: XmlHandling,
    limits: xml_safe.Limits,
    school: School,
    key: SubjectKey | None = None,
) -> work.Worked:
    """The LAS's answer, as the supplier may get it: a new envelope around the filtered answer.

    A fault passes as ``LasFault``; an answer the gateway cannot read safely, or about another
    school, leaves nothing.
    """
    try:
        message = soap.envelope(data, limits)
    except xml_safe.XMLRefused as error:
        problem = "malformed-body" if error.reason is xml_safe.Refusal.MALFORMED else "unsafe-xml"
        raise UpstreamFailed(
            502, problem, f"the LAS's answer was refused: {error}", upstream_status=status
        ) from None
    except soap.SoapError:
        raise UpstreamFailed(
            502, "upstream-unreachable", "the LAS's answer is not SOAP", upstream_status=status
        ) from None
    if soap.is_fault(message):
        raise LasFault(soap.read_fault(message).code, status)
    try:
        antwoord = soap.payload(message)
    except soap.SoapError:
        raise UpstreamFailed(
            502,
            "upstream-unreachable",
            "the LAS's answer is not a leerlinggegevens_antwoord",
            upstream_status=status,
        ) from None
    named = antwoord.findtext(
        f"{{{soap.LEERLINGGEGEVENS}}}leerlinggegevens/{{{soap.LEERLINGGEGEVENS}}}school/"
        f"{{{soap.LEERLINGGEGEVENS}}}brincode"
    )
    if named is not None and named.strip() != school.brin:
        raise Blocked(403, "school-mismatch", f"the LAS answered for another school than {school}")
    result = xml_work.answer_work(antwoord, handling, key)
    del antwoord, message
    body = soap.response(result.antwoord)
    filtered = dataclasses.replace(result.filtered, body=body)
    return work.Worked(filtered, None, body, hashlib.sha256(body).hexdigest(), result.pupils)


def _request(data: bytes, limits: xml_safe.Limits) -> soap.LeerlinggegevensRequest:
    """The supplier's HaalLeerlinggegevens request, read safely."""
    try:
        return soap.request(soap.envelope(data, limits))
    except xml_safe.XMLRefused as error:
        if error.reason is xml_safe.Refusal.MALFORMED:
            raise Rejected(400, "malformed-body", "the request is not well-formed XML") from None
        raise Rejected(400, "unsafe-xml", str(error)) from None
    except soap.SoapError as error:
        raise BadSoap(error) from None


def _school(asked: soap.LeerlinggegevensRequest) -> School:
    """The school the request names by BRIN (and dependance); a school key alone is not enough
    for the gateway to check the school against the key and the agreement."""
    if not asked.brincode:
        raise Rejected(400, "missing-school", "name the school by brincode")
    try:
        return School.parse(asked.brincode + (asked.dependancecode or ""))
    except SchoolCodeError:
        raise Rejected(
            400, "missing-school", "brincode is not a BRIN (99XX), dependancecode two digits"
        ) from None


def _check_school_year(schooljaar: str, today: date) -> None:
    """This school year or the next (a LAS prepares the next from the summer on).

    A Dutch school year runs from 1 August to 31 July: ``2025-2026`` from 1 August 2025.
    """
    match = _SCHOOL_YEAR.fullmatch(schooljaar.strip())
    first = today.year if today.month >= 8 else today.year - 1
    if match is None or int(match[2]) != int(match[1]) + 1:
        raise Rejected(400, "bad-school-year", "schooljaar is written as 2025-2026")
    if int(match[1]) not in (first, first + 1):
        raise Rejected(400, "bad-school-year", "schooljaar is not this school year or the next")


def _fault(code: FaultCode, transfer: Transfer) -> Response:
    headers = {"X-Transfer-Id": str(transfer.id)}
    return Response(soap.fault(code, str(transfer.id)), 500, headers, media_type=SOAP_MEDIA_TYPE)
