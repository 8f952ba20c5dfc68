"""The coordinator's page of people (issue 12, point 5; docs/members.md): who may log in,
with which role and shops; invitations by e-mail, deactivation, and the cooperative's
two-factor requirement. Superusers run the installation and are out of sight here."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from mache.errors import BusinessRuleError, InvalidInput
from mache.forms import add_service_errors, posted

from .. import anonymisation, personal_data, selectors, services, twofactor
from ..forms import AnonymiseForm, CooperativeSecurityForm, InviteForm, PersonForm
from ..models import Cooperative, User
from . import role_required

COORDINATOR = User.Role.COORDINATOR
PEOPLE_PER_PAGE = 50


def _person(request, pk) -> User:
    return get_object_or_404(selectors.user_list(user=request.user), pk=pk)


@role_required(COORDINATOR)
def people(request):
    """The list of people; its POST is the cooperative's two-factor requirement."""
    if request.method == "POST":
        return _security_setting(request)
    users = selectors.user_list(user=request.user).prefetch_related("shops", "totpdevice_set")
    page = Paginator(users, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    cooperative = Cooperative.current()
    return render(
        request,
        "shops/people.html",
        {
            "page": page,
            "security_form": CooperativeSecurityForm(
                initial={"coordinators_need_two_factor": cooperative.coordinators_need_two_factor}
            ),
            "cooperative_saved": cooperative.pk is not None,
        },
    )


def _security_setting(request):
    form = CooperativeSecurityForm(request.POST)
    form.is_valid()  # a checkbox: always valid
    required = form.cleaned_data["coordinators_need_two_factor"]
    services.cooperative_update(data={"coordinators_need_two_factor": required})
    messages.success(
        request,
        "Les coordinateurs devront utiliser la double authentification."
        if required
        else "La double authentification n'est plus exigée des coordinateurs.",
    )
    return redirect("people")


@role_required(COORDINATOR)
def person_invite(request):
    form = InviteForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            person = services.user_invite(**form.cleaned_data)
        except InvalidInput as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Invitation envoyée à {person.email}.")
            return redirect("person", person.pk)
    return render(request, "shops/person_invite.html", {"form": form})


@role_required(COORDINATOR)
def person(request, pk):
    person = _person(request, pk)
    form = PersonForm(
        posted(request),
        person=person,
        initial={
            "email": person.email,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "phone": person.phone,
            "role": person.role,
            "shops": list(person.shops.all()),
        },
    )
    anonymised = person.anonymised_at is not None
    if request.method == "POST" and not anonymised and form.is_valid():
        try:
            services.user_change(user_id=person.pk, by=request.user, data=form.cleaned_data)
        except (InvalidInput, BusinessRuleError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Modifications enregistrées.")
            return redirect("person", person.pk)
    may_anonymise = not anonymised and person.pk != request.user.pk
    candidates = personal_data.anonymise_candidates(person) if may_anonymise else []
    return render(
        request,
        "shops/person.html",
        {
            "person": person,
            "form": form,
            "invited": not person.has_usable_password(),
            "two_factor": twofactor.confirmed_device(person) is not None,
            "anonymised": anonymised,
            "anonymise_form": AnonymiseForm(candidates=candidates) if may_anonymise else None,
        },
    )


def _person_action(request, pk, action, done):
    person = _person(request, pk)
    try:
        action(person)
    except BusinessRuleError as exc:
        messages.error(request, exc.detail)
    except InvalidInput as exc:
        messages.error(request, " ".join(m for errors in exc.errors.values() for m in errors))
    else:
        messages.success(request, done)
    return redirect("person", person.pk)


@role_required(COORDINATOR)
@require_POST
def person_resend(request, pk):
    return _person_action(
        request,
        pk,
        lambda person: services.user_invitation_resend(user_id=person.pk),
        "Invitation renvoyée : le lien envoyé avant ne sert plus.",
    )


@role_required(COORDINATOR)
@require_POST
def person_deactivate(request, pk):
    return _person_action(
        request,
        pk,
        lambda person: services.user_set_active(user_id=person.pk, active=False, by=request.user),
        "Compte désactivé : ses jetons d'accès et ses sessions sont révoqués.",
    )


@role_required(COORDINATOR)
@require_POST
def person_reactivate(request, pk):
    return _person_action(
        request,
        pk,
        lambda person: services.user_set_active(user_id=person.pk, active=True, by=request.user),
        "Compte réactivé.",
    )


@role_required(COORDINATOR)
@require_POST
def person_reset_two_factor(request, pk):
    return _person_action(
        request,
        pk,
        lambda person: services.two_factor_reset(user_id=person.pk),
        "Double authentification retirée : la personne se connecte avec son mot de passe "
        "et peut l'activer de nouveau.",
    )


@role_required(COORDINATOR)
@require_POST
def person_anonymise(request, pk):
    """A person who leaves (RGPD article 17, docs/personal-data.md): the shops whose
    contact is cleared too are the coordinator's explicit choice."""
    person = _person(request, pk)
    form = AnonymiseForm(request.POST, candidates=personal_data.anonymise_candidates(person))
    if not form.is_valid():
        messages.error(request, "Choisissez les commerces parmi ceux proposés.")
        return redirect("person", person.pk)
    shop_ids = form.cleaned_data["clear_shop_contacts"]
    return _person_action(
        request,
        pk,
        lambda person: anonymisation.user_anonymise(
            user_id=person.pk, by=request.user, clear_shop_contacts=shop_ids
        ),
        "Compte anonymisé : nom, e-mail et téléphone effacés, accès fermés. Ses "
        "enregistrements restent, sans rien qui le nomme.",
    )
