"""Claim pages: list, file (or save a draft), follow, withdraw, attach and download proof.

Every lookup goes through `claims.access`: another account's claim is a 404.
"""

import zoneinfo

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from claims import access, messages, services
from claims.forms import ClaimForm, ProofFormSet
from claims.models import Claim, ClaimLine, ClaimState
from claims.timeline import timeline_for
from claims.uploads import StreamingUploadHandlers, proof_download_response, rejected_uploads
from claims.views import review
from portal.keyset import Key, PageError, paginate
from sla.engine import parse_timezone

# Newest first; keyset pages, so the 100th page of a reseller's claims costs what the first does.
CLAIM_ORDER = (Key("created_at", descending=True), Key("pk", descending=True))


@login_required
def claim_list(request):
    claims = (
        Claim.objects.visible_to(request.user)
        .select_related("account", "policy_version__policy")
        .prefetch_related("lines__subscription__service")
    )
    state = request.GET.get("state")
    if state in ClaimState.values:
        claims = claims.filter(state=state)
    if request.GET.get("account"):
        # One end customer's claims (a reseller's own, or any for staff); another's is a 400.
        try:
            claims = claims.for_end_customer(request.user, request.GET["account"])
        except ValidationError as refusal:
            context = {
                "page": None,
                "filter_error": refusal.messages[0],
                "states": ClaimState.choices,
            }
            return render(request, "claims/list.html", {**context, "state": state}, status=400)
    try:
        page, error = paginate(claims, request.GET, CLAIM_ORDER), None
    except PageError as refusal:
        page, error = None, str(refusal)
    return render(
        request,
        "claims/list.html",
        {"page": page, "page_error": error, "states": ClaimState.choices, "state": state},
        status=400 if error else 200,
    )


def _input(form):
    data = form.cleaned_data
    return services.ClaimInput(
        subscriptions=tuple(data["subscriptions"]),
        period_start=data["period_start"],
        period_end=data["period_end"],
        basis=data["basis"],
        representation=data["representation"],
        entered_timezone=data["timezone"],
    )


def _bound_forms(request, claim=None):
    """The claim form and proof rows, times read in the timezone the claimant chose."""
    user = request.user
    data = request.POST if request.method == "POST" else None
    initial = None
    if claim is not None and data is None:
        tz = zoneinfo.ZoneInfo(claim.entered_timezone)
        initial = {
            "subscriptions": [line.subscription_id for line in claim.lines.all()],
            "timezone": claim.entered_timezone,
            "period_start": timezone.localtime(claim.period_start, tz).replace(tzinfo=None),
            "period_end": timezone.localtime(claim.period_end, tz).replace(tzinfo=None),
            "basis": claim.basis,
            "representation": claim.representation,
        }
    form = ClaimForm(data, initial=initial, user=user)
    try:
        tz = zoneinfo.ZoneInfo((data or {}).get("timezone") or user.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("UTC")
    with timezone.override(tz):
        valid = data is not None and form.is_valid()
    proofs = ProofFormSet(data, request.FILES if data is not None else None, prefix="proof")
    valid = valid and proofs.is_valid()
    return form, proofs, valid


def _apply_refusal(form, refusal):
    for field, errors in refusal.errors.items():
        target = field if field in form.fields else None
        for error in errors:
            form.add_error(target, error)


@csrf_exempt
@login_required
def claim_new(request):
    # Proof files stream to disk, never held whole in memory (installed before the body is read).
    request.upload_handlers = StreamingUploadHandlers(request)
    return _claim_form(request, claim=None)


@csrf_exempt
@login_required
def claim_edit(request, pk):
    request.upload_handlers = StreamingUploadHandlers(request)
    claim = access.visible_claim(request.user, pk)
    access.require_claimant_side(request.user, claim)
    if claim.state != ClaimState.DRAFT:
        flash.error(request, "Only a draft can be edited.")
        return redirect("claims:detail", pk=claim.pk)
    return _claim_form(request, claim=claim)


@csrf_protect
def _claim_form(request, claim):
    form, proofs, valid = _bound_forms(request, claim)
    # A file over the limit is dropped while it streams in; say so rather than lose it quietly.
    proof_errors = _dropped_uploads(request)
    if valid and not proof_errors:
        uploads = [
            (row["file"], row.get("kind") or "") for row in proofs.cleaned_data if row.get("file")
        ]
        submit = "submit" in request.POST
        try:
            claim = services.file_claim(
                by=request.user, data=_input(form), claim=claim, uploads=uploads, submit=submit
            )
        except services.ClaimRefused as refusal:
            _apply_refusal(form, refusal)
            proof_errors = refusal.errors.get("file", []) + refusal.errors.get("proofs", [])
        else:
            if claim.state == ClaimState.DRAFT:
                flash.success(request, f"Draft {claim.reference} saved. Submit it when ready.")
            else:
                flash.success(request, f"Claim {claim.reference} submitted.")
            return redirect("claims:detail", pk=claim.pk)
    attached = list(claim.proofs.all()) if claim is not None else []
    shows = proof_shows_context(claim, attached) if attached else {}
    if attached:
        shows["estimate_total"] = claim.estimate()[0]
    return render(
        request,
        "claims/form.html",
        {"form": form, "proofs": proofs, "claim": claim, "proof_errors": proof_errors, **shows},
        status=400 if request.method == "POST" else 200,
    )


def _dropped_uploads(request):
    return [rejected.message for rejected in rejected_uploads(request)]


@require_POST
@login_required
def claim_estimate(request):
    """The live estimate beside the claim form (htmx): what the engine would credit if the whole
    period entered were downtime. Saves nothing."""
    form, _, _ = _bound_forms(request)
    context = {}
    if not form.errors or set(form.errors) <= {"basis"}:
        data = form.cleaned_data
        subscriptions = list(data.get("subscriptions") or [])
        start, end = data.get("period_start"), data.get("period_end")
        if subscriptions and start and end and end > start:
            total, quotes = Claim.estimate_for(subscriptions, start, end)
            context = {"estimate_total": total, "quotes": quotes}
    return render(request, "claims/_estimate.html", context)


@login_required
def claim_detail(request, pk):
    claim = access.visible_claim(request.user, pk)
    total, quotes = claim.estimate()
    policy_tz = parse_timezone(claim.policy.timezone)
    try:
        user_tz = zoneinfo.ZoneInfo(request.user.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        user_tz = zoneinfo.ZoneInfo("UTC")
    proofs = list(claim.proofs.select_related("uploaded_by"))
    return render(
        request,
        "claims/detail.html",
        {
            **proof_shows_context(claim, proofs),
            "claim": claim,
            "lines": ClaimLine.objects.filter(claim=claim).select_related("subscription__service"),
            "estimate_total": total,
            "quotes": quotes,
            "proofs": proofs,
            "events": access.events_seen_by(request.user, claim),
            "timeline": timeline_for(claim, proofs),
            "user_tz": user_tz,
            "policy_tz": policy_tz,
            "claimant_side": access.is_claimant_side(request.user, claim),
            **review.conversation(request, claim),
        },
    )


def proof_shows_context(claim, proofs):
    """What the claimant's proof shows inside the claimed period, and the estimate for it; for
    an agreement that needs a network test, a proof covering none of the period says so."""
    if not proofs:
        return {"proof_shows": None}
    version = claim.policy_version
    if version.required_evidence == version.Evidence.NETWORK_TEST:
        covers_none = messages.PROOF_COVERS_NONE.format(policy=version.policy.name)
    else:
        covers_none = messages.PROOF_SHOWS_NO_FAILURE
    return {
        "proof_shows": services.proof_shows(claim, proofs=proofs),
        "proof_covers_none": covers_none,
    }


@require_POST
@login_required
def claim_submit(request, pk):
    claim = access.visible_claim(request.user, pk)
    access.require_claimant_side(request.user, claim)
    try:
        services.submit_claim(claim=claim, by=request.user)
    except services.ClaimRefused as refusal:
        for errors in refusal.errors.values():
            for error in errors:
                flash.error(request, error)
    else:
        flash.success(request, f"Claim {claim.reference} submitted.")
    return redirect("claims:detail", pk=claim.pk)


@require_POST
@login_required
def claim_withdraw(request, pk):
    claim = access.visible_claim(request.user, pk)
    access.require_claimant_side(request.user, claim)
    try:
        services.withdraw_claim(
            claim=claim, by=request.user, reason=request.POST.get("reason", "")[:2000]
        )
    except services.ClaimRefused as refusal:
        for errors in refusal.errors.values():
            for error in errors:
                flash.error(request, error)
    else:
        flash.success(request, f"Claim {claim.reference} withdrawn.")
    return redirect("claims:detail", pk=claim.pk)


@csrf_exempt
@require_POST
@login_required
def proof_upload(request, pk):
    request.upload_handlers = StreamingUploadHandlers(request)
    return _proof_upload(request, pk)


@csrf_protect
def _proof_upload(request, pk):
    claim = access.visible_claim(request.user, pk)
    access.require_claimant_side(request.user, claim)
    dropped = _dropped_uploads(request)
    if dropped:
        for message in dropped:
            flash.error(request, message)
        return redirect("claims:detail", pk=claim.pk)
    try:
        proof = services.attach_proof(
            claim=claim,
            by=request.user,
            uploaded=request.FILES.get("file"),
            declared_kind=request.POST.get("kind", ""),
        )
    except services.ClaimRefused as refusal:
        for errors in refusal.errors.values():
            for error in errors:
                flash.error(request, error)
    else:
        flash.success(request, f"{proof.display_name} attached.")
    return redirect("claims:detail", pk=claim.pk)


@login_required
def proof_download(request, pk, proof_pk):
    claim = access.visible_claim(request.user, pk)
    proof = get_object_or_404(claim.proofs, pk=proof_pk)
    return proof_download_response(
        proof.file.storage,
        proof.file.name,
        content_type=proof.content_type,
        display_name=proof.display_name,
    )
