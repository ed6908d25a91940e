"""/api/v1/resources: the digital resource library.

Public: list (database filters), search (through the search app), detail, collections,
vocabularies, play counter, approved comments. Logged in: favorites, comments. Staff:
create, update, upload or attach media (through the media app), the review workflow
(submit → approve publishes; through core.review). Every decision is made by the services;
errors have the shape {"code", "message", "fields"}.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from culturecloud.core import review
from culturecloud.core.errors import NotFound, PermissionDenied, ServiceError
from culturecloud.core.http import private, public
from culturecloud.core.pagination import CappedPagination, Mapped
from culturecloud.core.queries import ACTION_TRANSITIONS
from culturecloud.institutions.models import Institution
from culturecloud.institutions.permissions import Perm, scoped_institutions
from culturecloud.search.endpoints import results_payload
from culturecloud.search.schemas import SearchOut

from . import browse, importer, services
from .models import (
    ArtCategory,
    Audience,
    Collection,
    Comment,
    HeritageLevel,
    IchCategory,
    Resource,
    ResourceKind,
    Rights,
)
from .presentation import as_cards, load_card_images, player_for, thumbnail_url
from .schemas import (
    ResourceCollectionDetail,
    ResourceCollectionOut,
    ResourceCommentIn,
    ResourceCommentOut,
    ResourceDetail,
    ResourceFavoriteOut,
    ResourceFilter,
    ResourceIn,
    ResourceMediaIn,
    ResourcePatch,
    ResourcePlayOut,
    ResourceReviewIn,
    ResourceSearchFilter,
    ResourceStaffFilter,
    ResourceSummary,
    ResourceVocabularies,
    StaffResourceOut,
)

router = Router(tags=["resources"])


def user_of(request: HttpRequest) -> Any:
    return getattr(request, "auth", None) or request.user


# --- payloads ---------------------------------------------------------------------------


def summary(resource: Resource) -> dict[str, Any]:
    inst = resource.institution
    region = resource.region if resource.region_id else None
    return {
        "id": resource.pk,
        "identifier": resource.identifier,
        "title": resource.title,
        "kind": resource.kind,
        "category": resource.category,
        "ich_category": resource.ich_category,
        "year": resource.year,
        "institution": {"code": inst.code, "name": inst.name},
        "region": {"code": region.code, "name": region.name} if region is not None else None,
        "thumbnail": thumbnail_url(resource),
        "url": resource.get_absolute_url(),
        "published_at": resource.published_at,
        "views": resource.view_count,
        "plays": resource.play_count,
        "favorites": resource.favorite_count,
    }


def media_payload(resource: Resource) -> dict[str, Any]:
    player = player_for(resource)
    asset_ids = [str(resource.media_id)] if resource.media_id else []
    asset_ids += [str(image.asset_id) for image in resource.images.all()]
    return {
        "state": player.state,
        "kind": player.kind,
        "error": player.error,
        "hls_url": player.hls_url,
        "poster_url": player.poster_url,
        "audio_url": player.audio_url,
        "pdf_url": player.pdf_url,
        "images": [
            {"url": i.large, "thumbnail": i.thumbnail, "iiif": i.iiif, "caption": i.caption}
            for i in player.images
        ],
        "asset_ids": asset_ids,
    }


def detail_payload(resource: Resource) -> dict[str, Any]:
    project = resource.heritage_project if resource.heritage_project_id else None
    return {
        **summary(resource),
        "creator": resource.creator,
        "subject": resource.subject,
        "description": resource.description,
        "publisher": resource.institution.name,
        "contributor": resource.contributor,
        "date": resource.date,
        "type": resource.dcmi_type,
        "format": resource.dc_format,
        "source": resource.source,
        "language": resource.language,
        "relation": resource.relation,
        "period": resource.period,
        "rights": resource.rights,
        "rights_uri": resource.rights_uri,
        "rights_statement": resource.rights_statement,
        "audience": resource.audience,
        "tags": [t.name for t in resource.tags.all()],
        "heritage_project": (
            {
                "id": project.pk,
                "name": project.name,
                "code": project.code,
                "level": project.level,
                "ich_category": project.ich_category,
            }
            if project is not None
            else None
        ),
        "inheritors": [
            {"id": i.pk, "name": i.name, "level": i.level, "project_id": i.project_id}
            for i in resource.inheritors.all()
        ],
        "media": media_payload(resource),
    }


def staff_payload(resource: Resource) -> dict[str, Any]:
    return {
        **detail_payload(resource),
        "status": resource.status,
        "rejection_reason": resource.rejection_reason,
        "submitted_at": resource.submitted_at,
        "updated_at": resource.updated_at,
    }


def _full(qs: Any) -> Any:
    return qs.select_related("institution", "region", "media", "heritage_project").prefetch_related(
        "tags", "inheritors", "images__asset"
    )


def _reload(resource: Resource) -> Resource:
    return _full(Resource.objects.all()).get(pk=resource.pk)


def _public_resource(resource_id: int) -> Resource:
    resource = _full(services.public_resources()).filter(pk=resource_id).first()
    if resource is None:
        raise NotFound(_("No such resource."))
    return resource


def _staff_resource(request: HttpRequest, resource_id: int) -> Resource:
    return services.get_staff_resource(actor=user_of(request), pk=resource_id)


# --- public -----------------------------------------------------------------------------


@router.get("", response=list[ResourceSummary], auth=None, summary="List resources")
@paginate(CappedPagination)
def list_resources(
    request: HttpRequest, response: HttpResponse, filters: Query[ResourceFilter]
) -> Any:
    """Published resources, newest first (or sort=views|year), filtered by art category,
    intangible heritage category, kind, region (its subtree), institution (its subtree),
    year, heritage project, tag and audience. An unknown value is a 400 with the field.
    The count stops at 1,000 (`count_is_capped`), and so do the pages (deeper: 400
    `page_too_deep`): narrow with the filters, or use /search."""
    public(response)
    parsed = browse.parse_filters(filters.dict())
    return Mapped(browse.listing(parsed), summary, load=load_card_images)


@router.get("/search", response=SearchOut, auth=None, summary="Search resources")
def search_resources(
    request: HttpRequest, response: HttpResponse, filters: Query[ResourceSearchFilter]
) -> Any:
    """Chinese full-text search over published resources through the search app, with the
    same filters as the list; facets: kind, category, ich_category, year, region,
    institution."""
    public(response)
    parsed = browse.parse_filters(filters.dict())
    results = browse.search_resources(
        filters.q, parsed, page=filters.page, page_size=filters.page_size
    )
    return results_payload(results)


@router.get(
    "/vocabularies", response=ResourceVocabularies, auth=None, summary="Controlled vocabularies"
)
def vocabularies(request: HttpRequest, response: HttpResponse) -> Any:
    public(response, max_age=3600)

    def choices(enum: Any) -> list[dict[str, str]]:
        return [{"value": v, "label": str(label)} for v, label in enum.choices]

    return {
        "kinds": choices(ResourceKind),
        "categories": choices(ArtCategory),
        "ich_categories": choices(IchCategory),
        "rights": choices(Rights),
        "audiences": choices(Audience),
        "heritage_levels": choices(HeritageLevel),
    }


def collection_payload(item: Collection) -> dict[str, Any]:
    return {
        "id": item.pk,
        "title": item.title,
        "description": item.description,
        "institution": {"code": item.institution.code, "name": item.institution.name},
        "url": item.get_absolute_url(),
        "published_at": item.published_at,
    }


@router.get("/collections", response=list[ResourceCollectionOut], auth=None, summary="Collections")
@paginate
def list_collections(request: HttpRequest, response: HttpResponse) -> Any:
    public(response)
    return Mapped(services.public_collections().select_related("institution"), collection_payload)


@router.get(
    "/collections/{collection_id}",
    response=ResourceCollectionDetail,
    auth=None,
    summary="Collection",
)
def get_collection(request: HttpRequest, response: HttpResponse, collection_id: int) -> Any:
    public(response)
    item = (
        services.public_collections().select_related("institution").filter(pk=collection_id).first()
    )
    if item is None:
        raise NotFound(_("No such collection."))
    resources = load_card_images(list(as_cards(services.collection_resources(item))[:500]))
    return {**collection_payload(item), "resources": [summary(r) for r in resources]}


# --- staff ------------------------------------------------------------------------------


@router.get("/staff", response=list[StaffResourceOut], summary="Staff: resources in scope")
@paginate(CappedPagination)
def staff_list(request: HttpRequest, filters: Query[ResourceStaffFilter]) -> Any:
    """Every resource in the caller's scope, whatever its state, most recently changed first.
    Like the public list, the count stops at 1,000 (`count_is_capped`) and so do the pages:
    narrow with `status` and `institution` (its subtree)."""
    qs = services.narrow_staff_list(
        services.staff_resources(user_of(request)),
        status=filters.status,
        institution=filters.institution,
    )
    return Mapped(_full(qs).order_by("-updated_at", "-pk"), staff_payload)


@router.get("/staff/{resource_id}", response=StaffResourceOut, summary="Staff: resource")
def staff_detail(request: HttpRequest, response: HttpResponse, resource_id: int) -> Any:
    private(response)
    return staff_payload(_reload(_staff_resource(request, resource_id)))


@router.post("", response={201: StaffResourceOut}, summary="Staff: new resource")
def create_resource(request: HttpRequest, payload: ResourceIn) -> Any:
    """A draft resource (EDIT_CONTENT at the institution). Unknown categories, kinds,
    regions, projects or media are 400 with the field; an unknown institution is 404."""
    data = payload.dict()
    institution = services.institution_by_code(data.pop("institution"))
    if not data.get("identifier"):
        data.pop("identifier", None)
    resource = services.create_resource(actor=user_of(request), institution=institution, **data)
    return Status(201, staff_payload(_reload(resource)))


@router.get("/{resource_id}", response=ResourceDetail, auth=None, summary="Resource")
def get_resource(request: HttpRequest, response: HttpResponse, resource_id: int) -> Any:
    """A published resource with its Dublin Core record and its playable media."""
    public(response)
    return detail_payload(_public_resource(resource_id))


@router.patch("/{resource_id}", response=StaffResourceOut, summary="Staff: update resource")
def update_resource(request: HttpRequest, resource_id: int, payload: ResourcePatch) -> Any:
    """Change the given fields of a draft, rejected or unpublished resource (it goes back to
    draft); a published or pending one is 409."""
    resource = _staff_resource(request, resource_id)
    fields = payload.dict(exclude_unset=True)
    resource = services.update_resource(actor=user_of(request), resource=resource, **fields)
    return staff_payload(_reload(resource))


@router.post(
    "/{resource_id}/upload", response={201: StaffResourceOut}, summary="Staff: upload media"
)
def upload_media(request: HttpRequest, resource_id: int, file: File[UploadedFile]) -> Any:
    """Upload the media file (multipart `file`) through the media app: checked by content,
    kind and size; an image set gets one more image, any other kind gets the file as its
    media. Processing starts after the upload; `media.state` says when it is ready."""
    resource = _staff_resource(request, resource_id)
    resource = services.upload_media(actor=user_of(request), resource=resource, uploaded_file=file)
    return Status(201, staff_payload(_reload(resource)))


@router.put("/{resource_id}/media", response=StaffResourceOut, summary="Staff: attach media")
def attach_media(request: HttpRequest, resource_id: int, payload: ResourceMediaIn) -> Any:
    """Attach a media file uploaded through /api/v1/media (for example a resumable upload),
    or remove it with null."""
    resource = _staff_resource(request, resource_id)
    resource = services.update_resource(
        actor=user_of(request), resource=resource, media=payload.media
    )
    return staff_payload(_reload(resource))


@router.post(
    "/{resource_id}/review",
    response=StaffResourceOut,
    summary="Staff: submit, approve (publish), reject, unpublish, withdraw, reopen",
)
def review_resource(request: HttpRequest, resource_id: int, payload: ResourceReviewIn) -> Any:
    """The review workflow of core.review: an editor submits, a reviewer of the institution
    or above approves (the resource is published and indexed for search) or rejects with a
    reason; unpublish takes it down again."""
    resource = _staff_resource(request, resource_id)
    name = ACTION_TRANSITIONS[str(payload.action)]
    resource = review.transition(resource, name, actor=user_of(request), reason=payload.reason)
    return staff_payload(_reload(resource))


# --- readers ----------------------------------------------------------------------------


@router.post(
    "/{resource_id}/play",
    response=ResourcePlayOut,
    auth=None,
    url_name="resources_play",
    summary="Count a play",
)
def play(request: HttpRequest, resource_id: int) -> Any:
    """Sent by the player when playback first starts; counted once per visitor in ten minutes."""
    from .views import visitor_key

    return {"counted": services.record_play(resource_id=resource_id, visitor=visitor_key(request))}


@router.post(
    "/{resource_id}/view",
    response=ResourcePlayOut,
    auth=None,
    url_name="resources_view",
    summary="Count a view",
)
def view(request: HttpRequest, resource_id: int) -> Any:
    """Sent by the resource page's script once it has loaded; counted once per visitor in
    the dedup window. Bots that run no script are not counted."""
    from .views import visitor_key

    counted = services.record_view(resource_id=resource_id, visitor=visitor_key(request))
    return {"counted": counted}


def _favorite_state(request: HttpRequest, resource: Resource) -> dict[str, Any]:
    count = Resource.objects.filter(pk=resource.pk).values_list("favorite_count", flat=True)[0]
    return {"favorite": services.is_favorite(user_of(request), resource), "favorites": count}


@router.post("/{resource_id}/favorite", response=ResourceFavoriteOut, summary="Add to my favorites")
def add_favorite(request: HttpRequest, resource_id: int) -> Any:
    resource = _public_resource(resource_id)
    services.add_favorite(user=user_of(request), resource=resource)
    return _favorite_state(request, resource)


@router.delete(
    "/{resource_id}/favorite", response=ResourceFavoriteOut, summary="Remove from favorites"
)
def remove_favorite(request: HttpRequest, resource_id: int) -> Any:
    resource = _public_resource(resource_id)
    services.remove_favorite(user=user_of(request), resource=resource)
    return _favorite_state(request, resource)


def comment_payload(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "author": comment.user.get_short_name(),
        "body": comment.body,
        "status": comment.status,
        "created_at": comment.created_at,
    }


@router.get(
    "/{resource_id}/comments",
    response=list[ResourceCommentOut],
    auth=None,
    summary="Approved comments",
)
@paginate
def list_comments(request: HttpRequest, response: HttpResponse, resource_id: int) -> Any:
    public(response)
    resource = _public_resource(resource_id)
    return Mapped(services.public_comments(resource), comment_payload)


@router.post(
    "/{resource_id}/comments",
    response={201: ResourceCommentOut},
    summary="Comment (shown after moderation)",
)
def post_comment(request: HttpRequest, resource_id: int, payload: ResourceCommentIn) -> Any:
    resource = _public_resource(resource_id)
    comment = services.post_comment(user=user_of(request), resource=resource, body=payload.body)
    return Status(201, comment_payload(comment))


# --- intangible heritage (projects 非遗项目, inheritors 传承人) ------------------------------

from culturecloud.resources.models import HeritageProject, Inheritor  # noqa: E402
from culturecloud.resources.schemas import (  # noqa: E402
    HeritageFilter,
    HeritageInheritorIn,
    HeritageInheritorOut,
    HeritageProjectDetailOut,
    HeritageProjectIn,
    HeritageProjectOut,
)


def _region_ref(region: Any) -> dict[str, str] | None:
    return {"code": region.code, "name": region.name} if region is not None else None


def project_payload(project: HeritageProject) -> dict[str, Any]:
    inst = project.institution
    return {
        "id": project.pk,
        "name": project.name,
        "code": project.code,
        "ich_category": project.ich_category,
        "level": project.level,
        "region": _region_ref(project.region if project.region_id else None),
        "description": project.description,
        "institution": {"code": inst.code, "name": inst.name},
        "url": project.get_absolute_url(),
    }


def inheritor_payload(person: Inheritor) -> dict[str, Any]:
    project = person.project
    return {
        "id": person.pk,
        "name": person.name,
        "level": person.level,
        "region": _region_ref(person.region if person.region_id else None),
        "bio": person.bio,
        "project": {
            "id": project.pk,
            "name": project.name,
            "code": project.code,
            "level": project.level,
            "ich_category": project.ich_category,
        },
    }


def _project_detail(project: HeritageProject) -> dict[str, Any]:
    people = project.inheritors.select_related("region", "project").order_by("name", "pk")
    return {
        **project_payload(project),
        "inheritors": [inheritor_payload(p) for p in people],
        "resources": services.public_resources().filter(heritage_project=project).count(),
    }


def _any_project(project_id: int) -> HeritageProject:
    project = HeritageProject.objects.select_related("institution", "region").filter(pk=project_id)
    found = project.first()
    if found is None:
        message = _("No such heritage project.")
        raise NotFound(message, code="unknown_heritage_project", fields={"project": [message]})
    return found


@router.get(
    "/heritage/projects",
    response=list[HeritageProjectOut],
    auth=None,
    summary="Heritage projects",
)
@paginate
def list_heritage_projects(
    request: HttpRequest, response: HttpResponse, filters: Query[HeritageFilter]
) -> Any:
    """Intangible-heritage projects (the public lists), by name; filter by category and level."""
    public(response)
    qs = services.public_heritage_projects().order_by("name", "pk")
    if filters.ich_category:
        qs = qs.filter(ich_category=filters.ich_category)
    if filters.level:
        qs = qs.filter(level=filters.level)
    return Mapped(qs, project_payload)


@router.get(
    "/heritage/projects/{project_id}",
    response=HeritageProjectDetailOut,
    auth=None,
    summary="Heritage project",
)
def get_heritage_project(request: HttpRequest, response: HttpResponse, project_id: int) -> Any:
    public(response)
    return _project_detail(services.get_public_heritage_project(project_id))


@router.post(
    "/heritage/projects",
    response={201: HeritageProjectDetailOut},
    summary="Staff: new heritage project",
)
def create_heritage_project(request: HttpRequest, payload: HeritageProjectIn) -> Any:
    """EDIT_CONTENT at the institution; an unknown category, level or region is 400 with the
    field, a list number already used at that level is 409."""
    data = payload.dict()
    institution = services.institution_by_code(data.pop("institution"))
    project = services.create_heritage_project(
        actor=user_of(request), institution=institution, **data
    )
    return Status(201, _project_detail(_any_project(project.pk)))


@router.put(
    "/heritage/projects/{project_id}",
    response=HeritageProjectDetailOut,
    summary="Staff: update heritage project",
)
def update_heritage_project(
    request: HttpRequest, project_id: int, payload: HeritageProjectIn
) -> Any:
    data = payload.dict()
    data.pop("institution", None)
    project = services.update_heritage_project(
        actor=user_of(request), project=_any_project(project_id), **data
    )
    return _project_detail(_any_project(project.pk))


@router.get(
    "/heritage/inheritors",
    response=list[HeritageInheritorOut],
    auth=None,
    summary="Inheritors",
)
@paginate
def list_inheritors(
    request: HttpRequest, response: HttpResponse, filters: Query[HeritageFilter]
) -> Any:
    public(response)
    qs = services.public_inheritors().order_by("name", "pk")
    if filters.ich_category:
        qs = qs.filter(project__ich_category=filters.ich_category)
    if filters.level:
        qs = qs.filter(level=filters.level)
    return Mapped(qs, inheritor_payload)


def _public_inheritor(inheritor_id: int) -> Inheritor:
    person = services.public_inheritors().filter(pk=inheritor_id).first()
    if person is None:
        raise NotFound(_("No such inheritor."))
    return person


@router.get(
    "/heritage/inheritors/{inheritor_id}",
    response=HeritageInheritorOut,
    auth=None,
    summary="Inheritor",
)
def get_inheritor(request: HttpRequest, response: HttpResponse, inheritor_id: int) -> Any:
    public(response)
    return inheritor_payload(_public_inheritor(inheritor_id))


@router.post(
    "/heritage/inheritors", response={201: HeritageInheritorOut}, summary="Staff: new inheritor"
)
def create_inheritor(request: HttpRequest, payload: HeritageInheritorIn) -> Any:
    data = payload.dict()
    project = _any_project(data.pop("project"))
    person = services.create_inheritor(actor=user_of(request), project=project, **data)
    return Status(201, inheritor_payload(_public_inheritor(person.pk)))


@router.put(
    "/heritage/inheritors/{inheritor_id}",
    response=HeritageInheritorOut,
    summary="Staff: update inheritor",
)
def update_inheritor(request: HttpRequest, inheritor_id: int, payload: HeritageInheritorIn) -> Any:
    data = payload.dict()
    project = _any_project(data.pop("project"))
    person = (
        Inheritor.objects.select_related("project__institution").filter(pk=inheritor_id).first()
    )
    if person is None:
        raise NotFound(_("No such inheritor."))
    person = services.update_inheritor(
        actor=user_of(request), inheritor=person, project=project, **data
    )
    return inheritor_payload(_public_inheritor(person.pk))


# --- bulk import and export (importer.py) -------------------------------------------------


class ResourceImportError(Schema):
    row: int
    identifier: str
    message: str


class ResourceImportReport(Schema):
    imported: int
    updated: int
    unchanged: int
    failed: int
    dry_run: bool
    errors: list[ResourceImportError]


def _require_content_staff(request: HttpRequest) -> Any:
    actor = user_of(request)
    if not scoped_institutions(actor, Perm.EDIT_CONTENT).exists():
        raise PermissionDenied()
    return actor


@router.post("/import", response=ResourceImportReport, summary="Staff: import resources")
def import_resources(
    request: HttpRequest,
    file: File[UploadedFile],
    publish: bool = False,
    dry_run: bool = False,
) -> Any:
    """Import Dublin Core rows from a CSV or JSON file (multipart `file`; the columns of
    `manage.py import_resources`). Rows are matched on dc:identifier; each row is checked
    against your EDIT_CONTENT scope (and REVIEW with `publish`). Bad rows are reported with
    their number and reason; the good rows land. Media may only be given as URLs of allowed
    hosts here (local paths are for the command line)."""
    actor = _require_content_staff(request)
    if file.size is not None and file.size > importer.max_bytes():
        message = _("The file is too large.")
        raise ServiceError(message, code="file_too_large", fields={"file": [message]}, status=413)
    data = file.read(importer.max_bytes() + 1)
    report = importer.import_file(
        actor=actor,
        data=data,
        filename=file.name or "",
        publish=publish,
        dry_run=dry_run,
        allow_local_media=False,
    )
    return report.as_dict()


@router.get("/export", summary="Staff: export resources as CSV")
def export_resources(request: HttpRequest, institution: str = "") -> HttpResponse:
    """The resources in your scope (of `institution` and everything below it, when given) as
    CSV with the import's columns; importing the file again changes nothing."""
    actor = _require_content_staff(request)
    qs = services.staff_resources(actor, Perm.EDIT_CONTENT).select_related("region")
    if institution:
        found = (
            Institution.objects.filter(code=institution).first()
            if "\x00" not in institution
            else None
        )
        if found is None:
            raise NotFound(_("Unknown institution."))
        qs = qs.filter(institution_path__startswith=found.path)
    response = HttpResponse(
        importer.export_csv(qs.order_by("pk").iterator(chunk_size=500)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="resources.csv"'
    return private(response)


# "/import" and "/export" are matched before "/{resource_id}" (URL patterns follow the order
# of registration, and these were added last).
for _path in ("/import", "/export"):
    router.path_operations = {_path: router.path_operations.pop(_path), **router.path_operations}
