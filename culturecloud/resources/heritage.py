"""Heritage projects (非遗项目) and their inheritors (传承人): staff pages in the workbench
(/resources/manage/heritage/…, the projects and inheritors of the user's EDIT_CONTENT scope)
and the public page of a project (its published resources and its inheritors).
Every write goes through `resources.services`."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from culturecloud.core.errors import ServiceError
from culturecloud.core.forms import add_service_error
from culturecloud.core.http import int_param, public_unless_personal
from culturecloud.institutions.permissions import Perm
from culturecloud.workbench.scope import institutions_for
from culturecloud.workbench.views import page, staff_page

from . import services
from .forms import HeritageProjectForm, InheritorForm
from .presentation import as_cards, with_thumbnails

PAGE_SIZE = 20
PUBLIC_RESOURCES_SHOWN = 60


@staff_page(Perm.EDIT_CONTENT)
def project_list(request: HttpRequest) -> HttpResponse:
    projects = Paginator(services.staff_heritage_projects(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    inheritors = services.staff_inheritors(request.user)[:200]
    return page(
        request,
        "resources/manage/heritage.html",
        {"page_obj": projects, "inheritors": list(inheritors)},
    )


@require_http_methods(["GET", "POST"])
@staff_page(Perm.EDIT_CONTENT)
def project_new(request: HttpRequest) -> HttpResponse:
    form = HeritageProjectForm(
        request.POST or None, institutions=institutions_for(request.user, Perm.EDIT_CONTENT)
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                project = services.create_heritage_project(
                    actor=request.user,
                    institution=form.cleaned_data["institution"],
                    **form.service_fields(),
                )
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("“%(name)s” was saved.") % {"name": project.name})
                return redirect("resources:manage_heritage")
    return page(
        request,
        "resources/manage/heritage_form.html",
        {"form": form, "project": None},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_page(Perm.EDIT_CONTENT)
def project_edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = services.staff_heritage_projects(request.user).filter(pk=pk).first()
    if project is None:
        raise Http404
    form = HeritageProjectForm(
        request.POST or None, institutions=None, initial=HeritageProjectForm.initial_for(project)
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                project = services.update_heritage_project(
                    actor=request.user, project=project, **form.service_fields()
                )
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("“%(name)s” was saved.") % {"name": project.name})
                return redirect("resources:manage_heritage")
    return page(
        request,
        "resources/manage/heritage_form.html",
        {"form": form, "project": project},
        status=status,
    )


def _inheritor_page(request: HttpRequest, inheritor_pk: int | None) -> HttpResponse:
    projects = services.staff_heritage_projects(request.user)
    inheritor = None
    initial = {}
    if inheritor_pk is not None:
        inheritor = services.staff_inheritors(request.user).filter(pk=inheritor_pk).first()
        if inheritor is None:
            raise Http404
        initial = InheritorForm.initial_for(inheritor)
    elif (project_id := int_param(request.GET.get("project"))) is not None:
        initial = {"project": project_id}
    form = InheritorForm(request.POST or None, projects=projects, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            project = form.chosen_project()
            fields = {k: form.cleaned_data[k] for k in ("name", "level", "region", "bio")}
            try:
                if project is None:
                    raise Http404
                if inheritor is None:
                    saved = services.create_inheritor(actor=request.user, project=project, **fields)
                else:
                    saved = services.update_inheritor(
                        actor=request.user, inheritor=inheritor, project=project, **fields
                    )
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("“%(name)s” was saved.") % {"name": saved.name})
                return redirect("resources:manage_heritage")
    return page(
        request,
        "resources/manage/inheritor_form.html",
        {"form": form, "inheritor": inheritor},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_page(Perm.EDIT_CONTENT)
def inheritor_new(request: HttpRequest) -> HttpResponse:
    return _inheritor_page(request, None)


@require_http_methods(["GET", "POST"])
@staff_page(Perm.EDIT_CONTENT)
def inheritor_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _inheritor_page(request, pk)


# --- public ---------------------------------------------------------------------------


@require_GET
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = services.public_heritage_projects().filter(pk=pk).first()
    if project is None:
        raise Http404
    resources = with_thumbnails(
        as_cards(services.public_resources().filter(heritage_project=project))[
            :PUBLIC_RESOURCES_SHOWN
        ]
    )
    inheritors = list(project.inheritors.select_related("region").order_by("name", "pk"))
    response = render(
        request,
        "resources/heritage_project.html",
        {"project": project, "resources": resources, "inheritors": inheritors},
    )
    return public_unless_personal(request, response)
