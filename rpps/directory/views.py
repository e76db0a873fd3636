from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from rpps.registry import identifiers
from rpps.registry.aliases import resolve_rpps
from rpps.registry.models import Structure
from rpps.runtime import ratelimit

from . import pages, pdf, search


def _pagination(request, results: search.Results) -> dict:
    """Links to the neighbouring pages, keeping the other parameters of the query."""
    params = {k: v for k, v in request.GET.items() if k != "page"}

    def url(number):
        return "?" + urlencode(params | {"page": number})

    last = results.shown_pages
    numbers = sorted({1, last, *range(max(results.page - 2, 1), min(results.page + 2, last) + 1)} - {0})
    return {
        "previous": url(results.page - 1) if 1 < results.page <= last else None,
        "next": url(results.page + 1) if results.page < last else None,
        "first": url(1),
        "pages": [(n, url(n)) for n in numbers],
        "last": last,
    }


@require_safe
@ratelimit.per_client("search", "PUBLIC_SEARCH_RATE_LIMIT")
def search_page(request):
    form = search.SearchForm(request.GET or None)
    results = None
    if form.has_criteria() and form.is_valid():
        results = search.run(form.cleaned_data, search.parse_page(request.GET.get("page")))
    context = {
        "title": "Rechercher un professionnel",
        "form": form,
        "results": results,
        "searched": form.has_criteria(),
        "empty": form.is_bound and not form.has_criteria(),
        "pagination": _pagination(request, results) if results else None,
        "page_size": search.PAGE_SIZE,
        "max_results": search.PAGE_SIZE * search.MAX_PAGES,
    }
    return render(request, "directory/search.html", context)


def _person(rpps: str):
    person = resolve_rpps(rpps) if identifiers.ascii_digits(rpps) and len(rpps) == 11 else None
    if person is None:
        raise Http404("Aucun professionnel ne porte ce numéro RPPS.")
    return person


@require_safe
def practitioner_page(request, rpps: str):
    person = _person(rpps)
    if person.rpps != rpps:  # a number retired by a merge: its stable URL leads to the current one
        return redirect("directory:practitioner", rpps=person.rpps, permanent=True)
    practitioner = pages.practitioner(person)
    return render(
        request,
        "directory/practitioner.html",
        {"title": f"{practitioner['display_name']} — RPPS {person.rpps}", "p": practitioner},
    )


@require_safe
@ratelimit.per_client("pdf", "PUBLIC_PDF_RATE_LIMIT")
def practitioner_pdf(request, rpps: str):
    person = _person(rpps)
    if person.rpps != rpps:
        return redirect("directory:practitioner_pdf", rpps=person.rpps, permanent=True)
    page_url = request.build_absolute_uri(reverse("directory:practitioner", args=[person.rpps]))
    content = pdf.practitioner_sheet(pages.practitioner(person), page_url)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="fiche-rpps-{person.rpps}.pdf"'
    return response


@require_safe
def structure_page(request, technical_id: str):
    obj = get_object_or_404(Structure.objects.select_related("legal_entity"), technical_id=technical_id[:16])
    results = search.run({"structure_id": obj.pk}, search.parse_page(request.GET.get("page")))
    sites = list(Structure.objects.filter(legal_entity=obj).order_by("name", "technical_id")[:50])
    data = pages.structure(obj)
    return render(
        request,
        "directory/structure.html",
        {
            "title": data["display_name"],
            "s": data,
            "sites": sites,
            "site_count": Structure.objects.filter(legal_entity=obj).count() if len(sites) == 50 else len(sites),
            "results": results,
            "pagination": _pagination(request, results),
            "max_results": search.PAGE_SIZE * search.MAX_PAGES,
        },
    )
