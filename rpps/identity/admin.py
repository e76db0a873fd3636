"""Operators' review queue: a request (or a person) and its candidates side by side, and the decision."""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from rpps.nomenclatures import catalog, cog, lookup
from rpps.registry import identifiers
from rpps.registry.admin import FoldedSearch
from rpps.registry.aliases import resolve_rpps
from rpps.registry.history import Actor, acting_as
from rpps.registry.models import Person

from . import services
from .models import ReviewCase
from .scoring import STATE_LABELS

TRAIT_ROWS = (
    ("nom", "Nom de naissance"),
    ("prenoms", "Prénoms"),
    ("sexe", "Sexe"),
    ("date_naissance", "Date de naissance"),
    ("lieu_naissance", "Lieu de naissance"),
)


def _person_column(person: Person) -> dict:
    return {
        "title": f"RPPS {person.rpps}",
        "url": reverse("admin:registry_person_change", args=[person.pk]),
        "values": {
            "nom": person.birth_name + (f" (usage : {person.usage_name})" if person.usage_name else ""),
            "prenoms": person.given_names,
            "sexe": lookup.label(catalog.SEX, person.sex_code) or person.sex_code,
            "date_naissance": person.birth_date.strftime("%d/%m/%Y"),
            "lieu_naissance": cog.place_label(person.birth_place_code, person.birth_city_abroad),
        },
        "created_at": person.created_at,
    }


def _request_column(case: ReviewCase) -> dict:
    data = case.request["person"]
    year, month, day = data["birth_date"].split("-")
    return {
        "title": "Demande",
        "url": "",
        "values": {
            "nom": data.get("birth_name", "") + (f" (usage : {data['usage_name']})" if data.get("usage_name") else ""),
            "prenoms": data.get("given_names", ""),
            "sexe": lookup.label(catalog.SEX, data.get("sex_code", "")) or data.get("sex_code", ""),
            "date_naissance": f"{day}/{month}/{year}",
            "lieu_naissance": cog.place_label(data.get("birth_place_code", ""), data.get("birth_city_abroad", "")),
        },
        "created_at": case.created_at,
    }


class CheckPersonForm(forms.Form):
    rpps = forms.CharField(label="Numéro RPPS du professionnel à vérifier", max_length=11)

    def clean_rpps(self):
        person = resolve_rpps(self.cleaned_data["rpps"].strip())
        if person is None:
            raise forms.ValidationError("Aucun professionnel n'a ce numéro RPPS.")
        return person


@admin.register(ReviewCase)
class ReviewCaseAdmin(FoldedSearch, admin.ModelAdmin):
    list_display = ["__str__", "name", "kind", "status", "requested_by", "reason", "created_at", "decided_at"]
    list_filter = ["status", "kind"]
    search_fields = ["=person__rpps"]
    folded_search_fields = ("name",)
    change_form_template = "admin/identity/reviewcase/review.html"
    change_list_template = "admin/identity/reviewcase/change_list.html"

    def has_add_permission(self, request):
        return False  # cases come from the resolver

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path("verifier/", self.admin_site.admin_view(self.check_view), name="identity_reviewcase_check"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        case = get_object_or_404(ReviewCase, pk=object_id)
        if request.method == "POST":
            return self._decide(request, case)
        left = _request_column(case) if case.kind == ReviewCase.Kind.REQUEST else _person_column(case.person)
        persons = Person.objects.in_bulk([c["person_id"] for c in case.candidates])
        candidates = []
        for candidate in case.candidates:
            person = persons.get(candidate["person_id"])
            if person is None:
                continue
            column = _person_column(person)
            column["person_id"] = person.pk
            column["states"] = {
                key: (STATE_LABELS[value["etat"]], value["etat"], value.get("note", ""))
                for key, value in candidate["explanation"].items()
            }
            candidates.append(column)
        rows = [
            {
                "label": label,
                "left": left["values"][key],
                "cells": [(c["values"][key], c["states"].get(key)) for c in candidates],
            }
            for key, label in TRAIT_ROWS
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": f"Doublon possible — {case}",
            "case": case,
            "left": left,
            "candidates": candidates,
            "rows": rows,
            "opts": self.model._meta,
            "is_open": case.status == ReviewCase.Status.OPEN,
            "is_pair": case.kind == ReviewCase.Kind.PAIR,
        }
        return TemplateResponse(request, self.change_form_template, context)

    def _decide(self, request, case):
        try:
            with (
                acting_as(Actor.for_user(request.user), f"Décision sur le doublon possible #{case.pk}"),
                transaction.atomic(),
            ):
                if identifiers.ascii_digits(request.POST.get("same", "")):
                    kept = services.decide_same(case, int(request.POST["same"]), request.user)
                    messages.success(request, f"Décision enregistrée : même personne (RPPS {kept.rpps}).")
                elif request.POST.get("distinct"):
                    person = services.decide_distinct(case, request.user)
                    messages.success(request, f"Décision enregistrée : personnes distinctes (RPPS {person.rpps}).")
                else:
                    messages.error(request, "Action inconnue.")
        except (ValueError, Person.DoesNotExist) as exc:
            messages.error(request, str(exc))
        return redirect(reverse("admin:identity_reviewcase_change", args=[case.pk]))

    def check_view(self, request):
        form = CheckPersonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            person = form.cleaned_data["rpps"]
            with acting_as(Actor.for_user(request.user), "Recherche de doublons par un opérateur"):
                cases = services.check_person(person)
            if cases:
                messages.warning(request, f"{len(cases)} doublon(s) possible(s) ouvert(s) pour le RPPS {person.rpps}.")
            else:
                messages.success(request, f"Aucun doublon possible trouvé pour le RPPS {person.rpps}.")
            return redirect(reverse("admin:identity_reviewcase_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Rechercher les doublons d'un professionnel",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/identity/reviewcase/check.html", context)


# --- Persons added by operators go through identity resolution too ---------------------------

from rpps.registry.admin import PERSON_INPUT_FIELDS, PersonAdmin  # noqa: E402 - extended here, where resolution lives

from .scoring import MATCH, NO_MATCH  # noqa: E402
from .traits import InvalidTraits, Traits  # noqa: E402


class ResolvingPersonForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = PERSON_INPUT_FIELDS

    def clean(self):
        data = super().clean()
        if self.instance.pk is None and not self.errors:
            try:
                decision = services.resolve(Traits.of_fields(data))
            except InvalidTraits as exc:
                raise forms.ValidationError(str(exc)) from exc
            if decision.outcome == MATCH:
                person = Person.objects.get(pk=decision.person_id)
                raise forms.ValidationError(
                    f"Cette personne est déjà au répertoire sous le numéro RPPS {person.rpps} : "
                    "ajoutez-lui un exercice ou une situation au lieu de la recréer."
                )
            if decision.outcome != NO_MATCH:
                raise forms.ValidationError(
                    "Cette personne ressemble à une personne déjà au répertoire ("
                    + decision.explanation(services.rpps_of(c.candidate.person_id for c in decision.comparisons))
                    + "). Vérifiez-la avec « Rechercher les doublons d'un professionnel » avant de la créer."
                )
        return data


admin.site.unregister(Person)


@admin.register(Person)
class ResolvingPersonAdmin(PersonAdmin):
    """Registry's person admin, whose "add" goes through register_person like every other way in."""

    form = ResolvingPersonForm

    def has_add_permission(self, request):
        return admin.ModelAdmin.has_add_permission(self, request)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        data = {f: form.cleaned_data[f] for f in form.cleaned_data if f in {x.name for x in Person._meta.fields}}
        result = services.register_person(Traits.of_fields(data), data)
        if result.outcome != NO_MATCH:  # someone registered the same person since the form was checked
            raise forms.ValidationError("Cette personne vient d'être enregistrée par ailleurs.")
        obj.pk, obj.rpps, obj.created_at, obj.updated_at = (
            result.person.pk,
            result.person.rpps,
            result.person.created_at,
            result.person.updated_at,
        )
        obj._state.adding = False
        obj._state.db = result.person._state.db
