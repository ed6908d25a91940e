"""OAI-PMH 2.0 data provider at /oai (http://www.openarchives.org/OAI/2.0/openarchivesprotocol.htm).

- Records: published resources (`services.public_resources()`) in `oai_dc`. A resource that
  was published and is now unpublished is given as a deleted record (header
  status="deleted"); deletedRecord is declared "transient" (it may be published again, and a
  deleted draft leaves no trace).
- Identifiers: oai:<OAI_REPOSITORY_ID>:<Resource.identifier>.
- Datestamps: `updated_at` in UTC, granularity YYYY-MM-DDThh:mm:ssZ (day granularity is
  accepted in from/until too).
- Sets: "institution", "institution:<code>" (the institution and everything below it) and
  "category", "category:<art category>".
- Resumption tokens: opaque, stateless and signed (django.core.signing): the verb's
  arguments, a keyset cursor on (datestamp, id) and the issue time; a token older than
  OAI_TOKEN_SECONDS, altered or for another verb is a badResumptionToken.
- One page is OAI_PAGE_SIZE records (100) read in a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from culturecloud.core.models import ReviewStatus
from culturecloud.institutions.models import Institution

from .models import ArtCategory, Resource
from .services import plain_text

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OAI_XSD = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_DC_XSD = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
IDENTIFY_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"
IDENTIFY_XSD = "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"

for _prefix, _uri in (("oai_dc", OAI_DC_NS), ("dc", DC_NS), ("xsi", XSI_NS)):
    ET.register_namespace(_prefix, _uri)
ET.register_namespace("", OAI_NS)

TOKEN_SALT = "culturecloud.resources.oai"  # noqa: S105 (a signing salt)
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)

# verb: (required, optional); "resumptionToken" is exclusive.
VERBS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "Identify": (frozenset(), frozenset()),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"})),
    "ListSets": (frozenset(), frozenset({"resumptionToken"})),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset()),
    "ListIdentifiers": (
        frozenset({"metadataPrefix"}),
        frozenset({"from", "until", "set", "resumptionToken"}),
    ),
    "ListRecords": (
        frozenset({"metadataPrefix"}),
        frozenset({"from", "until", "set", "resumptionToken"}),
    ),
}


def page_size() -> int:
    return int(getattr(settings, "OAI_PAGE_SIZE", 100))


def token_seconds() -> int:
    return int(getattr(settings, "OAI_TOKEN_SECONDS", 24 * 3600))


def repository_id() -> str:
    return str(getattr(settings, "OAI_REPOSITORY_ID", "culturecloud.cn"))


def repository_name() -> str:
    return str(getattr(settings, "OAI_REPOSITORY_NAME", "CultureCloud digital resource library"))


def admin_email() -> str:
    emails = getattr(settings, "OAI_ADMIN_EMAILS", None) or [
        getattr(settings, "DEFAULT_FROM_EMAIL", "webmaster@localhost")
    ]
    return str(emails[0])


def oai_identifier(resource: Resource) -> str:
    return f"oai:{repository_id()}:{resource.identifier}"


def local_identifier(oai_id: str) -> str | None:
    prefix = f"oai:{repository_id()}:"
    return (
        oai_id[len(prefix) :] if oai_id.startswith(prefix) and len(oai_id) > len(prefix) else None
    )


def datestamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class OaiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# --- records ----------------------------------------------------------------------------


def harvestable() -> QuerySet[Resource]:
    """Published resources and once-published, now unpublished ones (deleted records)."""
    return Resource.objects.filter(
        Q(status=ReviewStatus.PUBLISHED, institution__is_active=True)
        | Q(status=ReviewStatus.UNPUBLISHED, published_at__isnull=False)
    )


def is_deleted(resource: Resource) -> bool:
    return resource.status != ReviewStatus.PUBLISHED or not resource.institution.is_active


def _parse_time(value: str, *, end: bool) -> tuple[dt.datetime, str]:
    """(UTC datetime, granularity) of a from/until argument; OaiError badArgument."""
    try:
        if len(value) == 10:
            day = dt.datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=dt.UTC)
            return (day + dt.timedelta(days=1) if end else day), "day"
        if len(value) == 20 and value.endswith("Z"):
            moment = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
            return (moment + dt.timedelta(seconds=1) if end else moment), "seconds"
    except ValueError:
        pass
    raise OaiError(
        "badArgument",
        f"'{value[:40]}' is not a valid date: use YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ.",
    )


def _set_filter(spec: str) -> Q:
    if spec in ("institution", "category"):
        return Q()
    kind, _sep, code = spec.partition(":")
    if kind == "institution" and code:
        institution = Institution.objects.filter(code=code).only("path").first()
        if institution is not None:
            return Q(institution_path__startswith=institution.path)
    if kind == "category" and code in ArtCategory.values:
        return Q(category=code)
    raise OaiError("badArgument", f"The set '{spec[:80]}' does not exist.")


@dataclass
class ListArgs:
    verb: str
    prefix: str
    set: str = ""
    since: str = ""
    until: str = ""
    cursor_time: str = ""  # full-precision isoformat of the last datestamp sent
    cursor_id: int = 0
    sent: int = 0

    def to_token(self) -> str:
        return signing.dumps(
            {
                "v": self.verb,
                "m": self.prefix,
                "s": self.set,
                "f": self.since,
                "u": self.until,
                "ct": self.cursor_time,
                "ci": self.cursor_id,
                "n": self.sent,
            },
            salt=TOKEN_SALT,
            compress=True,
        )

    @classmethod
    def from_token(cls, verb: str, token: str) -> ListArgs:
        try:
            data = signing.loads(token, salt=TOKEN_SALT, max_age=token_seconds())
            if not isinstance(data, dict) or data.get("v") != verb:
                raise ValueError("verb")
            args = cls(
                verb=verb,
                prefix=str(data["m"]),
                set=str(data["s"]),
                since=str(data["f"]),
                until=str(data["u"]),
                cursor_time=str(data["ct"]),
                cursor_id=int(data["ci"]),
                sent=int(data["n"]),
            )
            dt.datetime.fromisoformat(args.cursor_time)
        except (signing.BadSignature, ValueError, KeyError, TypeError) as exc:
            raise OaiError(
                "badResumptionToken", "The resumptionToken is invalid or has expired."
            ) from exc
        return args


def _list_queryset(args: ListArgs) -> QuerySet[Resource]:
    qs = harvestable()
    if args.since:
        qs = qs.filter(updated_at__gte=_parse_time(args.since, end=False)[0])
    if args.until:
        qs = qs.filter(updated_at__lt=_parse_time(args.until, end=True)[0])
    if args.set:
        qs = qs.filter(_set_filter(args.set))
    return qs


def _page(args: ListArgs) -> tuple[list[Resource], int, bool]:
    qs = _list_queryset(args)
    total = qs.count()
    if args.cursor_time:
        moment = dt.datetime.fromisoformat(args.cursor_time)
        qs = qs.filter(Q(updated_at__gt=moment) | Q(updated_at=moment, pk__gt=args.cursor_id))
    size = page_size()
    rows = list(
        qs.select_related("institution", "region", "media").order_by("updated_at", "pk")[: size + 1]
    )
    more = len(rows) > size
    return rows[:size], total, more


# --- XML --------------------------------------------------------------------------------


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _envelope(request: HttpRequest, args: dict[str, str] | None) -> tuple[ET.Element, ET.Element]:
    root = ET.Element(_q(OAI_NS, "OAI-PMH"), {_q(XSI_NS, "schemaLocation"): f"{OAI_NS} {OAI_XSD}"})
    _sub(root, _q(OAI_NS, "responseDate"), datestamp(timezone.now()))
    request_el = _sub(root, _q(OAI_NS, "request"), base_url(request))
    for key, value in (args or {}).items():
        request_el.set(key, value)
    return root, request_el


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("resources:oai"))


def _render(root: ET.Element) -> HttpResponse:
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    response = HttpResponse(body, content_type="text/xml; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


def _error(
    request: HttpRequest, args: dict[str, str] | None, errors: list[OaiError]
) -> HttpResponse:
    root, _request_el = _envelope(request, args)
    for error in errors:
        _sub(root, _q(OAI_NS, "error"), error.message, code=error.code)
    return _render(root)


def _header(parent: ET.Element, resource: Resource) -> None:
    attrs = {"status": "deleted"} if is_deleted(resource) else {}
    header = _sub(parent, _q(OAI_NS, "header"), **attrs)
    _sub(header, _q(OAI_NS, "identifier"), oai_identifier(resource))
    _sub(header, _q(OAI_NS, "datestamp"), datestamp(resource.updated_at))
    _sub(header, _q(OAI_NS, "setSpec"), f"institution:{resource.institution.code}")
    _sub(header, _q(OAI_NS, "setSpec"), f"category:{resource.category}")


def _dc(parent: ET.Element, request: HttpRequest, resource: Resource) -> None:
    metadata = _sub(parent, _q(OAI_NS, "metadata"))
    dc = _sub(
        metadata,
        _q(OAI_DC_NS, "dc"),
        **{_q(XSI_NS, "schemaLocation"): f"{OAI_DC_NS} {OAI_DC_XSD}"},
    )

    def add(name: str, value: str) -> None:
        value = (value or "").strip()
        if value:
            _sub(dc, _q(DC_NS, name), value)

    add("title", resource.title)
    add("creator", resource.creator)
    add("subject", resource.subject)
    add("description", " ".join(plain_text(resource.description).split()))
    add("publisher", resource.institution.name)
    add("contributor", resource.contributor)
    add("date", resource.date)
    add("type", resource.dcmi_type)
    add("format", resource.dc_format)
    add("identifier", resource.identifier)
    add("identifier", request.build_absolute_uri(resource.get_absolute_url()))
    add("source", resource.source)
    add("language", resource.language)
    add("relation", resource.relation)
    if resource.region is not None:
        add("coverage", resource.region.name)
    add("coverage", resource.period)
    add("rights", resource.rights_uri)
    add("rights", resource.rights_statement)


def _record(parent: ET.Element, request: HttpRequest, resource: Resource) -> None:
    record = _sub(parent, _q(OAI_NS, "record"))
    _header(record, resource)
    if not is_deleted(resource):
        _dc(record, request, resource)


# --- verbs ------------------------------------------------------------------------------


def _identify(request: HttpRequest, root: ET.Element) -> None:
    body = _sub(root, _q(OAI_NS, "Identify"))
    _sub(body, _q(OAI_NS, "repositoryName"), repository_name())
    _sub(body, _q(OAI_NS, "baseURL"), base_url(request))
    _sub(body, _q(OAI_NS, "protocolVersion"), "2.0")
    _sub(body, _q(OAI_NS, "adminEmail"), admin_email())
    first = harvestable().order_by("updated_at").values_list("updated_at", flat=True).first()
    _sub(body, _q(OAI_NS, "earliestDatestamp"), datestamp(first or EARLIEST))
    _sub(body, _q(OAI_NS, "deletedRecord"), "transient")
    _sub(body, _q(OAI_NS, "granularity"), "YYYY-MM-DDThh:mm:ssZ")
    description = _sub(body, _q(OAI_NS, "description"))
    ident = _sub(
        description,
        _q(IDENTIFY_NS, "oai-identifier"),
        **{_q(XSI_NS, "schemaLocation"): f"{IDENTIFY_NS} {IDENTIFY_XSD}"},
    )
    _sub(ident, _q(IDENTIFY_NS, "scheme"), "oai")
    _sub(ident, _q(IDENTIFY_NS, "repositoryIdentifier"), repository_id())
    _sub(ident, _q(IDENTIFY_NS, "delimiter"), ":")
    _sub(ident, _q(IDENTIFY_NS, "sampleIdentifier"), f"oai:{repository_id()}:cc:res:1")


def _get_resource(oai_id: str) -> Resource:
    local = local_identifier(oai_id)
    resource = (
        harvestable()
        .select_related("institution", "region", "media")
        .filter(identifier=local)
        .first()
        if local
        else None
    )
    if resource is None:
        raise OaiError("idDoesNotExist", f"No item has the identifier '{oai_id[:200]}'.")
    return resource


def _check_prefix(prefix: str) -> None:
    if prefix != "oai_dc":
        raise OaiError(
            "cannotDisseminateFormat", f"The metadata format '{prefix[:40]}' is not supported."
        )


def _list_metadata_formats(root: ET.Element, args: dict[str, str]) -> None:
    if "identifier" in args:
        _get_resource(args["identifier"])
    body = _sub(root, _q(OAI_NS, "ListMetadataFormats"))
    fmt = _sub(body, _q(OAI_NS, "metadataFormat"))
    _sub(fmt, _q(OAI_NS, "metadataPrefix"), "oai_dc")
    _sub(fmt, _q(OAI_NS, "schema"), OAI_DC_XSD)
    _sub(fmt, _q(OAI_NS, "metadataNamespace"), OAI_DC_NS)


def _list_sets(root: ET.Element, args: dict[str, str]) -> None:
    if "resumptionToken" in args:
        raise OaiError("badResumptionToken", "ListSets is sent in one response; no token is valid.")
    body = _sub(root, _q(OAI_NS, "ListSets"))

    def add(spec: str, name: str) -> None:
        item = _sub(body, _q(OAI_NS, "set"))
        _sub(item, _q(OAI_NS, "setSpec"), spec)
        _sub(item, _q(OAI_NS, "setName"), name)

    add("institution", "Institutions")
    for code, name in (
        Institution.objects.filter(is_active=True).order_by("path").values_list("code", "name")
    ):
        add(f"institution:{code}", name)
    add("category", "Art categories")
    for code, label in ArtCategory.choices:
        add(f"category:{code}", str(label))


def _get_record(request: HttpRequest, root: ET.Element, args: dict[str, str]) -> None:
    _check_prefix(args["metadataPrefix"])
    resource = _get_resource(args["identifier"])
    body = _sub(root, _q(OAI_NS, "GetRecord"))
    _record(body, request, resource)


def _list(request: HttpRequest, root: ET.Element, verb: str, args: dict[str, str]) -> None:
    if "resumptionToken" in args:
        list_args = ListArgs.from_token(verb, args["resumptionToken"])
    else:
        _check_prefix(args["metadataPrefix"])
        since, until = args.get("from", ""), args.get("until", "")
        granularities = set()
        if since:
            granularities.add(_parse_time(since, end=False)[1])
        if until:
            granularities.add(_parse_time(until, end=True)[1])
        if len(granularities) > 1:
            raise OaiError("badArgument", "from and until must have the same granularity.")
        if since and until and _parse_time(since, end=False)[0] >= _parse_time(until, end=True)[0]:
            raise OaiError("badArgument", "from is later than until.")
        list_args = ListArgs(
            verb=verb,
            prefix=args["metadataPrefix"],
            set=args.get("set", ""),
            since=since,
            until=until,
        )
        if list_args.set:
            _set_filter(list_args.set)
    rows, total, more = _page(list_args)
    if not rows:
        raise OaiError("noRecordsMatch", "No records match the arguments.")
    body = _sub(root, _q(OAI_NS, verb))
    for resource in rows:
        if verb == "ListRecords":
            _record(body, request, resource)
        else:
            _header(body, resource)
    if more or list_args.cursor_time:
        attrs = {"completeListSize": str(total), "cursor": str(list_args.sent)}
        if more:
            last = rows[-1]
            next_args = ListArgs(
                verb=verb,
                prefix=list_args.prefix,
                set=list_args.set,
                since=list_args.since,
                until=list_args.until,
                cursor_time=last.updated_at.isoformat(),
                cursor_id=last.pk,
                sent=list_args.sent + len(rows),
            )
            expires = timezone.now() + dt.timedelta(seconds=token_seconds())
            attrs["expirationDate"] = datestamp(expires)
            _sub(body, _q(OAI_NS, "resumptionToken"), next_args.to_token(), **attrs)
        else:
            _sub(body, _q(OAI_NS, "resumptionToken"), "", **attrs)  # the list is complete


def _arguments(request: HttpRequest) -> tuple[str | None, dict[str, str], list[OaiError]]:
    """(verb, other arguments, argument errors)."""
    source = request.POST if request.method == "POST" else request.GET
    errors: list[OaiError] = []
    args: dict[str, str] = {}
    verb: str | None = None
    for key, values in source.lists():
        if len(values) > 1:
            errors.append(OaiError("badArgument", f"The argument '{key[:40]}' is repeated."))
            continue
        if "\x00" in key or "\x00" in values[0]:
            errors.append(OaiError("badArgument", "Arguments cannot contain NUL characters."))
            continue
        if key == "verb":
            verb = values[0]
        else:
            args[key] = values[0]
    return verb, args, errors


@csrf_exempt
@require_http_methods(["GET", "POST"])
def endpoint(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and not (request.content_type or "").startswith(
        "application/x-www-form-urlencoded"
    ):
        return _error(
            request,
            None,
            [OaiError("badArgument", "POST requests must be application/x-www-form-urlencoded.")],
        )
    verb, args, errors = _arguments(request)
    if errors:
        if any(e.message.startswith("The argument 'verb'") for e in errors):
            return _error(request, None, [OaiError("badVerb", "The verb is repeated.")])
        return _error(request, None, errors)
    if verb not in VERBS:
        message = "The verb is missing." if verb is None else f"'{verb[:40]}' is not a verb."
        return _error(request, None, [OaiError("badVerb", message)])
    required, optional = VERBS[verb]
    unknown = sorted(set(args) - required - optional)
    for name in unknown:
        errors.append(OaiError("badArgument", f"'{name[:40]}' is not an argument of {verb}."))
    if "resumptionToken" in args:
        if len(args) > 1:
            errors.append(OaiError("badArgument", "resumptionToken is an exclusive argument."))
    else:
        for name in sorted(required - set(args)):
            errors.append(OaiError("badArgument", f"The argument '{name}' is missing."))
    if errors:
        return _error(request, None, errors)
    echoed = {"verb": verb, **args}
    root, _request_el = _envelope(request, echoed)
    try:
        if verb == "Identify":
            _identify(request, root)
        elif verb == "ListMetadataFormats":
            _list_metadata_formats(root, args)
        elif verb == "ListSets":
            _list_sets(root, args)
        elif verb == "GetRecord":
            _get_record(request, root, args)
        else:
            _list(request, root, verb, args)
    except OaiError as error:
        if error.code == "badArgument":
            echoed = None  # type: ignore[assignment]
        return _error(request, echoed, [error])
    return _render(root)
