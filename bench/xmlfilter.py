"""The XML core on a realistic UWLR response: safe parsing, filtering, validation.

    .venv/bin/python bench/xmlfilter.py [pupils] [repeats]

Part 1 compares parsers on the same HaalLeerlinggegevens response (every EDEXML field filled
in, ``gateway.formats.uwlr_samples``): plain lxml, ``xml_safe.parse`` (lxml with entities, DTDs
and network off, the prolog check and the limit checks), defusedxml on the standard library's
ElementTree (expat) and defusedxml.lxml (deprecated upstream). Part 2 compares the gateway's
path (safe parse, filter by a profile, serialise into a new envelope) with a plain lxml
parse-and-serialise of the same bytes, and times validation against the profile schema.
Prints a table of median and best times in milliseconds.

``measure(pupils, repeats)`` is the part ``make bench`` runs (``bench/run.py``, part ``xml``):
the gateway's own steps as a transfer runs them (``pull.answer_work``: safe parse, filter,
validate, new envelope, hash; ``xml_work.push_work`` for an EDEXML export), each against a
plain lxml parse-and-serialise of the same bytes.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
import warnings
import xml.etree.ElementTree as stdlib_et
from collections.abc import Callable
from pathlib import Path

import defusedxml.ElementTree as defused_et
from lxml import etree

from gateway.formats import soap, uwlr_samples, xml_filter, xml_profile, xml_safe
from gateway.register.schools import School
from gateway.register.xml_routes import PULL, PUSH, XmlHandling
from gateway.transfer import pull, work, xml_work

ROOT = Path(__file__).resolve().parent.parent


def timed(function: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median and best wall time of ``function`` in milliseconds, after one warm-up call."""
    function()
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times)


def row(name: str, result: tuple[float, float], baseline: float | None = None) -> None:
    median, best = result
    ratio = f"{median / baseline:5.2f}x" if baseline else ""
    print(f"  {name:<58} {median:8.2f} {best:8.2f}  {ratio}")


def main() -> None:
    pupils = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    data = uwlr_samples.response(pupils)
    lvs_data = uwlr_samples.response(pupils, uwlr_samples.Variant(number="bsn_ondwnr-4"))
    profiles = xml_profile.load(ROOT / "schemas")
    print(f"UWLR response: {pupils} pupils, {len(data):,} bytes; {repeats} runs each")
    print(f"lxml {etree.__version__}, libxml2 {'.'.join(map(str, etree.LIBXML_VERSION))}")
    print(f"  {'':<58} {'median':>8} {'best':>8}")

    print("1. parsing")
    plain_parser = etree.XMLParser()
    plain = timed(lambda: etree.fromstring(data, plain_parser), repeats)
    row("lxml fromstring, default parser", plain)

    def lxml_safe_options_only() -> None:
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
        )
        etree.fromstring(data, parser)

    row(
        "lxml, resolve_entities/no_network/load_dtd off",
        timed(lxml_safe_options_only, repeats),
        plain[0],
    )
    row(
        "xml_safe.parse (those + prolog check + limits)",
        timed(lambda: xml_safe.parse(data), repeats),
        plain[0],
    )
    no_limits = xml_safe.Limits(max_depth=10_000, max_text_chars=10**9, max_attribute_chars=10**9)
    root = xml_safe.parse(data)
    row(
        "  of which the depth check (XPath)",
        timed(lambda: root.xpath("boolean(" + "/*" * 33 + ")"), repeats),
    )
    row(
        "  of which the text-length check (XPath)",
        timed(lambda: root.xpath("boolean(//text()[string-length() > 65536])"), repeats),
    )
    row(
        "  of which the attribute-length check (XPath)",
        timed(lambda: root.xpath("boolean(//@*[string-length() > 4096])"), repeats),
    )

    def python_walk() -> bool:
        for element in root.iter():
            for text in (element.text, element.tail):
                if text is not None and len(text) > no_limits.max_text_chars:
                    return True
            if any(len(value) > 4096 for value in element.attrib.values()):
                return True
        return False

    row("  (the same length checks as a Python walk)", timed(python_walk, repeats))
    row(
        "stdlib ElementTree.fromstring (expat)",
        timed(lambda: stdlib_et.fromstring(data), repeats),  # noqa: S314 - our own bytes
        plain[0],
    )
    row(
        "defusedxml.ElementTree.fromstring(forbid_dtd=True)",
        timed(lambda: defused_et.fromstring(data, forbid_dtd=True), repeats),
        plain[0],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import defusedxml.lxml as defused_lxml

        row(
            "defusedxml.lxml.fromstring(forbid_dtd=True)",
            timed(lambda: defused_lxml.fromstring(data, forbid_dtd=True), repeats),
            plain[0],
        )

    print("2. filtering (bytes in, bytes out)")
    baseline = timed(
        lambda: etree.tostring(
            etree.fromstring(data, plain_parser), xml_declaration=True, encoding="UTF-8"
        ),
        repeats,
    )
    row("lxml parse + serialise, nothing filtered", baseline)
    for name, body in (("uwlr-2.2-smalle-set", data), ("uwlr-2.2-lvs-set", lvs_data)):
        profile = profiles.by_name[name]

        def gateway_path(body: bytes = body, profile: xml_profile.Profile = profile) -> bytes:
            antwoord = soap.payload(soap.envelope(body))
            result = xml_filter.response(antwoord, profile.uwlr)
            return soap.response(result.document)

        row(f"safe parse + filter + serialise, {name}", timed(gateway_path, repeats), baseline[0])
        antwoord = soap.payload(soap.envelope(body))
        row(
            "  of which the filter alone",
            timed(lambda a=antwoord, p=profile: xml_filter.response(a, p.uwlr), repeats),
        )
        filtered = xml_filter.response(antwoord, profile.uwlr).document
        schema = profile.schema()
        row(
            "  validating the filtered answer",
            timed(
                lambda f=filtered, s=schema, p=profile: xml_filter.validate(f, s, p.uwlr), repeats
            ),
        )
        row(
            "  validating the original answer",
            timed(
                lambda a=antwoord, s=schema, p=profile: xml_filter.validate(a, s, p.uwlr), repeats
            ),
        )
        size = len(gateway_path())
        print(f"  {'':<58} out: {size:,} bytes")
    row(
        "loading every profile's allowlists (once per process)",
        timed(lambda: xml_profile.load(ROOT / "schemas"), 5),
    )


def measure(pupils: int, repeats: int) -> list[dict[str, object]]:
    """The gateway's XML steps against plain lxml parse-and-serialise, for ``make bench``."""
    profiles = xml_profile.load(ROOT / "schemas")
    limits = xml_safe.DEFAULT_LIMITS
    school = School("99XX", "00")
    plain_parser = etree.XMLParser()

    def plain(body: bytes) -> Callable[[], bytes]:
        return lambda: etree.tostring(
            etree.fromstring(body, plain_parser), xml_declaration=True, encoding="UTF-8"
        )

    cases = []
    for name, variant in (
        ("uwlr-2.2-smalle-set", uwlr_samples.Variant()),
        ("uwlr-2.2-lvs-set", uwlr_samples.Variant(number="bsn_ondwnr-4")),
    ):
        profile = profiles.by_name[name]
        handling = XmlHandling(profile, profile.uwlr, PULL, refuse_invalid=False)
        body = uwlr_samples.response(pupils, variant)

        def pulled(body: bytes = body, handling: XmlHandling = handling) -> work.Worked:
            return pull.answer_work(body, 200, handling, limits, school)

        cases.append((f"pull answer, {name}", body, pulled))
    profile = profiles.by_name["uwlr-2.2-smalle-set"]
    handling = XmlHandling(profile, profile.edexml, PUSH, refuse_invalid=False)
    export = uwlr_samples.edexml(pupils)
    cases.append(
        (
            "push export, edexml-2.2-smalle-set",
            export,
            lambda: xml_work.push_work(work.Handover(export), handling, limits),
        )
    )
    rows: list[dict[str, object]] = []
    for label, body, step in cases:
        baseline = timed(plain(body), repeats)
        gateway = timed(step, repeats)
        out = step()
        rows.append(
            {
                "case": label,
                "pupils": pupils,
                "bytes_in": len(body),
                "bytes_out": len(out.body),
                "lxml_ms": baseline[0],
                "gateway_ms": gateway[0],
                "ratio": gateway[0] / baseline[0],
                "runs": repeats,
            }
        )
    return rows


if __name__ == "__main__":
    main()
