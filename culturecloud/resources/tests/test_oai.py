"""OAI-PMH 2.0 at /oai: harvested end to end by Sickle against a live server, and the
protocol's errors checked through the test client."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from defusedxml.ElementTree import fromstring
from django.core import signing
from django.test import Client
from sickle import Sickle
from sickle.oaiexceptions import NoRecordsMatch

from culturecloud.core import review
from culturecloud.resources import oai
from culturecloud.resources.models import Resource

NS = {"o": oai.OAI_NS, "oai_dc": oai.OAI_DC_NS, "dc": oai.DC_NS}


def get(client: Client, **params: Any) -> ET.Element:
    response = client.get("/oai", params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    root = fromstring(response.content)
    assert root.tag == f"{{{oai.OAI_NS}}}OAI-PMH"
    date = root.find("o:responseDate", NS)
    assert date is not None and date.text
    dt.datetime.strptime(date.text, "%Y-%m-%dT%H:%M:%SZ")
    return root


def error_codes(root: ET.Element) -> list[str]:
    return [e.get("code", "") for e in root.findall("o:error", NS)]


def request_attrs(root: ET.Element) -> dict[str, str]:
    element = root.find("o:request", NS)
    assert element is not None and element.text and element.text.endswith("/oai")
    return dict(element.attrib)


@pytest.fixture
def catalogue(published, publish, make_resource, tree, staff) -> list[Resource]:
    """Seven published resources (music and dance, two institutions) and one draft."""
    rows = []
    for n in range(5):
        rows.append(published(f"Song {n}", identifier=f"test:song:{n}", creator="Li & Ming > co"))
    rows.append(published("Dance", identifier="test:dance", category="dance"))
    city_editor = staff["city_editor"]
    city = make_resource(
        "城市舞蹈",
        identifier="test:city",
        category="dance",
        institution=tree.city,
        actor=city_editor,
    )
    rows.append(publish(city, actor=city_editor))
    make_resource("Draft", identifier="test:draft")
    return rows


@pytest.mark.django_db(transaction=True)
def test_sickle_harvests_every_page_sets_and_records(live_server, settings, catalogue, reviewer):
    settings.OAI_PAGE_SIZE = 3
    unpublished = review.unpublish(catalogue[0], actor=reviewer, reason="rights unclear")
    sickle = Sickle(live_server.url + "/oai", max_retries=0)

    identify = sickle.Identify()
    assert identify.protocolVersion == "2.0"
    assert identify.deletedRecord == "transient"
    assert identify.granularity == "YYYY-MM-DDThh:mm:ssZ"
    assert identify.baseURL == live_server.url + "/oai"

    records = list(sickle.ListRecords(metadataPrefix="oai_dc"))
    # 7 published, one of them unpublished since (a deleted record); the draft never shows
    assert len(records) == 7
    ids = [r.header.identifier for r in records]
    assert len(set(ids)) == 7
    assert f"oai:{oai.repository_id()}:test:draft" not in ids
    deleted = [r for r in records if r.header.deleted]
    assert [r.header.identifier for r in deleted] == [oai.oai_identifier(unpublished)]
    live = {r.header.identifier: r for r in records if not r.header.deleted}
    song = live[f"oai:{oai.repository_id()}:test:song:1"]
    assert song.metadata["title"] == ["Song 1"]
    assert song.metadata["creator"] == ["Li & Ming > co"]  # escaped on the wire, intact here
    assert song.metadata["type"] == ["MovingImage"]
    assert "test:song:1" in song.metadata["identifier"]
    assert song.metadata["publisher"] == ["从化区文化馆"]
    assert "institution:gd-gz-ch" in song.header.setSpecs
    assert "category:music" in song.header.setSpecs

    headers = list(sickle.ListIdentifiers(metadataPrefix="oai_dc", set="category:dance"))
    assert {h.identifier for h in headers} == {
        f"oai:{oai.repository_id()}:test:dance",
        f"oai:{oai.repository_id()}:test:city",
    }
    # the city's set includes its county (hierarchical); the county's excludes the city
    city = list(sickle.ListIdentifiers(metadataPrefix="oai_dc", set="institution:gd-gz"))
    county = list(sickle.ListIdentifiers(metadataPrefix="oai_dc", set="institution:gd-gz-ch"))
    assert len(city) == 7 and len(county) == 6

    specs = {s.setSpec for s in sickle.ListSets()}
    assert {"institution", "institution:gd-gz-ch", "category", "category:music"} <= specs

    record = sickle.GetRecord(
        identifier=f"oai:{oai.repository_id()}:test:city", metadataPrefix="oai_dc"
    )
    assert record.metadata["title"] == ["城市舞蹈"]
    formats = [f.metadataPrefix for f in sickle.ListMetadataFormats()]
    assert formats == ["oai_dc"]

    with pytest.raises(NoRecordsMatch):
        list(sickle.ListRecords(metadataPrefix="oai_dc", **{"from": "2999-01-01"}))


def test_pages_are_keyset_tokens_with_flat_query_count(
    client, settings, catalogue, django_assert_max_num_queries
):
    settings.OAI_PAGE_SIZE = 2
    seen: list[str] = []
    root = get(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    pages = 1
    while True:
        seen += [h.text or "" for h in root.findall(".//o:header/o:identifier", NS)]
        token = root.find(".//o:resumptionToken", NS)
        assert token is not None
        assert token.get("completeListSize") == "7"
        if not token.text:
            break
        assert token.get("expirationDate", "").endswith("Z")
        # the token carries no readable state
        assert "song" not in token.text and "oai_dc" not in token.text
        with django_assert_max_num_queries(3):
            root = get(client, verb="ListIdentifiers", resumptionToken=token.text)
        assert request_attrs(root) == {"verb": "ListIdentifiers", "resumptionToken": token.text}
        pages += 1
    assert pages == 4
    assert len(seen) == len(set(seen)) == 7


def test_from_until_filter_by_datestamp(client, catalogue):
    Resource.objects.filter(pk=catalogue[0].pk).update(
        updated_at=dt.datetime(2020, 5, 1, 12, 0, 0, tzinfo=dt.UTC)
    )
    root = get(client, verb="ListIdentifiers", metadataPrefix="oai_dc", until="2020-05-01")
    assert [h.text for h in root.findall(".//o:identifier", NS)] == [
        oai.oai_identifier(catalogue[0])
    ]
    root = get(
        client,
        verb="ListIdentifiers",
        metadataPrefix="oai_dc",
        **{"from": "2020-05-01T12:00:01Z"},
    )
    assert len(root.findall(".//o:header", NS)) == 6
    stamp = root.find(".//o:datestamp", NS)
    assert stamp is not None and stamp.text and stamp.text.endswith("Z")


def test_post_form_is_accepted(client, catalogue):
    response = client.post(
        "/oai",
        "verb=GetRecord&metadataPrefix=oai_dc&identifier="
        + oai.oai_identifier(catalogue[1]).replace(":", "%3A"),
        content_type="application/x-www-form-urlencoded",
    )
    root = fromstring(response.content)
    title = root.find(".//dc:title", NS)
    assert title is not None and title.text == "Song 1"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "badVerb"),
        ({"verb": "Harvest"}, "badVerb"),
        ({"verb": "ListRecords"}, "badArgument"),  # metadataPrefix missing
        ({"verb": "Identify", "extra": "1"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "yesterday"}, "badArgument"),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2020-01-01",
             "until": "2020-01-01T00:00:00Z"},
            "badArgument",
        ),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2021-01-02",
          "until": "2021-01-01"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "institution:nope"},
         "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
        ({"verb": "ListRecords", "resumptionToken": "forged"}, "badResumptionToken"),
        ({"verb": "ListRecords", "resumptionToken": "x", "metadataPrefix": "oai_dc"},
         "badArgument"),
        ({"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "oai:x:y"},
         "idDoesNotExist"),
        ({"verb": "GetRecord", "metadataPrefix": "oai_dc",
          "identifier": "oai:culturecloud.cn:test:draft"}, "idDoesNotExist"),
        ({"verb": "ListMetadataFormats", "identifier": "oai:culturecloud.cn:nothing"},
         "idDoesNotExist"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2999-01-01"},
         "noRecordsMatch"),
        ({"verb": "ListSets", "resumptionToken": "abc"}, "badResumptionToken"),
        ({"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "oai:a:\x00"},
         "badArgument"),
    ],
)  # fmt: skip
def test_protocol_errors(client, catalogue, params, code):
    root = get(client, **params)
    assert error_codes(root) == [code]
    assert root.find("o:ListRecords", NS) is None
    attrs = request_attrs(root)
    if code in ("badVerb", "badArgument"):
        assert attrs == {}
    else:
        assert attrs == params


def test_repeated_arguments_are_bad(client, catalogue):
    response = client.get("/oai?verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=oai_dc")
    assert error_codes(fromstring(response.content)) == ["badArgument"]
    response = client.get("/oai?verb=Identify&verb=Identify")
    assert error_codes(fromstring(response.content)) == ["badVerb"]


def test_expired_or_foreign_tokens_are_refused(client, settings, catalogue):
    settings.OAI_PAGE_SIZE = 2
    root = get(client, verb="ListRecords", metadataPrefix="oai_dc")
    token = root.find(".//o:resumptionToken", NS)
    assert token is not None and token.text
    # a ListRecords token does not continue ListIdentifiers
    assert error_codes(get(client, verb="ListIdentifiers", resumptionToken=token.text)) == [
        "badResumptionToken"
    ]
    settings.OAI_TOKEN_SECONDS = -1
    assert error_codes(get(client, verb="ListRecords", resumptionToken=token.text)) == [
        "badResumptionToken"
    ]
    settings.OAI_TOKEN_SECONDS = 3600
    tampered = signing.dumps({"v": "ListRecords"}, salt="another")
    assert error_codes(get(client, verb="ListRecords", resumptionToken=tampered)) == [
        "badResumptionToken"
    ]


def test_description_is_plain_text_and_xml_well_formed(client, published):
    resource = published(
        "Markup", identifier="test:markup", description="<p>One &amp; <b>two</b></p>"
    )
    root = get(
        client,
        verb="GetRecord",
        metadataPrefix="oai_dc",
        identifier=oai.oai_identifier(resource),
    )
    description = root.find(".//dc:description", NS)
    assert description is not None and description.text == "One & two"
    rights = [r.text for r in root.findall(".//dc:rights", NS)]
    assert "http://rightsstatements.org/vocab/InC/1.0/" in rights


def test_list_records_queries_do_not_grow_with_the_page(
    client, settings, catalogue, django_assert_max_num_queries
):
    for size in (2, 7):
        settings.OAI_PAGE_SIZE = size
        with django_assert_max_num_queries(3):
            root = get(client, verb="ListRecords", metadataPrefix="oai_dc")
        assert len(root.findall(".//o:record", NS)) == size
