"""Staff review pages (the queue, the review page and its actions) and the conversation on a
claim, for both sides.

Who sees and does what is `claims.access`. Review pages answer 404 to anyone
who is not provider staff, so they do not reveal that a claim or the page exists; their actions
answer 403 to staff without the reviewer role. The services check who is asking again.
"""

import datetime as dt
import zoneinfo

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from claims import access, filters, services
from claims.filters import REVIEW_STATES, ReviewQueueFilter
from claims.forms import (
    AnswerFileFormSet,
    AnswerForm,
    ApproveForm,
    IntervalFormSet,
    MaintenanceFormSet,
    MessageForm,
    NoteForm,
    RejectForm,
    RequestInfoForm,
    SettleForm,
)
from claims.models import (
    DECIDED_STATES,
    Claim,
    ClaimLine,
    ClaimState,
    Message,
    MessageKind,
)
from claims.timeline import timeline_for
from claims.uploads import StreamingUploadHandlers, proof_download_response, rejected_uploads
from portal.auth import needs_recent_auth, reauth_url, recent_auth_message
from portal.keyset import Key, PageError, paginate
from sla.engine import parse_timezone

HOME_QUEUE_SIZE = 5
# Approve and reject apply to a claim in review; on a decided claim they are a correction.
DECIDABLE_STATES = (ClaimState.SUBMITTED, ClaimState.UNDER_REVIEW, *DECIDED_STATES)


# --- who is asking --------------------------------------------------------------------------


def _user_tz(user):
    try:
        return zoneinfo.ZoneInfo(user.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _flash_refusal(request, refusal):
    for errors in refusal.errors.values():
        for error in errors:
            flash.error(request, error)


def _apply_refusal(form, refusal):
    for field, errors in refusal.errors.items():
        target = field if field in form.fields else None
        for error in errors:
            form.add_error(target, error)


def _dropped_uploads(request):
    return [rejected.message for rejected in rejected_uploads(request)]


# --- the queue ------------------------------------------------------------------------------


def _queue(params):
    return ReviewQueueFilter(params, queryset=filters.review_queue())


def _with_estimates(claims):
    """(claim, the engine's estimate) per claim of a page, in constant queries."""
    claims = list(claims)
    estimates = Claim.estimates_for_page(claims)
    return [(claim, estimates[claim.pk]) for claim in claims]


# Due first (a claim with no due date yet last), then the oldest submission.
QUEUE_ORDER = (
    Key("decision_due_at", nullable=True),
    Key("submitted_at", nullable=True),
    Key("pk"),
)


@login_required
def review_queue(request):
    access.require_reviewer(request.user)
    filterset = _queue(request.GET)
    page, rows, error = None, [], None
    if filterset.is_valid():
        try:
            page = paginate(filterset.qs, request.GET, QUEUE_ORDER)
        except PageError as refusal:
            error = str(refusal)
        else:
            rows = _with_estimates(page)
    return render(
        request,
        "claims/review/queue.html",
        {
            "filter": filterset,
            "page": page,
            "page_error": error,
            "rows": rows,
            "now": timezone.now(),
        },
        status=200 if page is not None else 400,
    )


@login_required
def review_queue_top(request):
    """The claims due first, for the reviewer's home page (loaded into it by htmx)."""
    access.require_reviewer(request.user)
    claims = _queue({}).qs[:HOME_QUEUE_SIZE]
    return render(
        request,
        "claims/review/_queue_top.html",
        {"rows": _with_estimates(claims), "now": timezone.now()},
    )


# --- the review page ------------------------------------------------------------------------


def _naive_utc(instant):
    return timezone.localtime(instant, dt.UTC).replace(tzinfo=None)


def _engine_credit(context):
    settlement = context["settlement"]
    return settlement.credit if settlement is not None else context["estimate"][0]


def _forms(claim, context, proposed=None):
    """The review page's forms, unbound, prefilled from the current settlement (or, to edit
    the proposal, from the proposed intervals)."""
    shown = proposed.intervals if proposed is not None else context["intervals"]
    intervals = [
        {
            "start": _naive_utc(interval.start),
            "end": _naive_utc(interval.end),
            "exception": interval.exception or "",
            "reason": interval.reason,
        }
        for interval in shown
    ]
    calls = [
        {
            "maintenance_id": call.maintenance_id,
            "excused": "yes" if call.excused else "no",
            "reason": call.reason,
        }
        for _, call in context["maintenance"]
    ]
    return {
        "intervals": IntervalFormSet(
            prefix="interval",
            initial=intervals,
            form_kwargs={"exception_choices": context["exception_choices"]},
        ),
        "maintenance": MaintenanceFormSet(prefix="maintenance", initial=calls),
        "settle": SettleForm(prefix="settle"),
        "approve": ApproveForm(prefix="approve", initial={"amount": _engine_credit(context)}),
        "reject": RejectForm(prefix="reject"),
        "info": RequestInfoForm(prefix="info"),
        "message": MessageForm(prefix="message"),
        "note": NoteForm(prefix="note"),
    }


def _pending_approval(claim):
    """The approval waiting for a second reviewer, if the claim waits for one."""
    if claim.state != ClaimState.AWAITING_SECOND:
        return None
    return claim.decisions.in_force().select_related("decided_by").first()


def _final_decision(claim):
    """The decision in force on a decided claim: the latest approval or rejection."""
    if claim.state not in DECIDED_STATES:
        return None
    return claim.decisions.in_force().select_related("decided_by").first()


def _review_page(request, claim, *, context=None, bound=None, settle_errors=None, status=200):
    user = request.user
    context = context or services.review_context(claim)
    proofs = list(claim.proofs.select_related("uploaded_by"))
    proposed = services.proposal_for(claim, proofs=proofs)
    editing = request.GET.get("edit") == "proposal" and bool(proposed.intervals)
    forms = {**_forms(claim, context, proposed if editing else None), **(bound or {})}
    records = {str(record.pk): record for record, _ in context["maintenance"]}
    maintenance_rows = [
        (records.get(str(form["maintenance_id"].value())), form) for form in forms["maintenance"]
    ]
    can_decide, why_not = access.can_decide(user, claim)
    pending = _pending_approval(claim)
    return render(
        request,
        "claims/review/review.html",
        {
            "claim": claim,
            "lines": ClaimLine.objects.filter(claim=claim).select_related(
                "subscription__service", "subscription__organisation"
            ),
            "proofs": proofs,
            "timeline": timeline_for(claim, proofs),
            "proposed": proposed,
            "editing_proposal": editing,
            "settlement": context["settlement"],
            "estimate_total": context["estimate"][0],
            "estimate_rows": context["estimate"][1],
            "incidents": context["incidents"],
            "maintenance_rows": maintenance_rows,
            "exception_choices": context["exception_choices"],
            "engine_credit": _engine_credit(context),
            "forms": forms,
            "settle_errors": settle_errors or {},
            "can_decide": can_decide,
            "is_reviewer": access.is_reviewer(user),
            "why_not": why_not,
            "correcting": claim.state in DECIDED_STATES,
            "decidable": claim.state in DECIDABLE_STATES,
            "askable": claim.state in (ClaimState.SUBMITTED, ClaimState.UNDER_REVIEW),
            "settleable": claim.state in REVIEW_STATES or claim.state in DECIDED_STATES,
            "pending": pending,
            "can_confirm": can_decide and pending is not None and pending.decided_by_id != user.pk,
            "conversation": Message.objects.visible_to(user)
            .filter(claim=claim)
            .select_related("author")
            .prefetch_related("files"),
            "events": claim.events.select_related("actor"),
            "decisions": claim.decisions.select_related("decided_by", "corrects", "confirms"),
            "decision": _final_decision(claim),
            "now": timezone.now(),
            "user_tz": _user_tz(user),
            "policy_tz": parse_timezone(claim.policy.timezone),
        },
        status=status,
    )


@login_required
def review(request, pk):
    """The claim as a reviewer sees it. Opening it changes nothing: "Start review" does."""
    access.require_staff(request.user)
    claim = access.visible_claim(request.user, pk)
    return _review_page(request, claim)


def _action_claim(request, pk):
    access.require_reviewer(request.user)
    return access.visible_claim(request.user, pk)


@require_POST
@login_required
def review_start(request, pk):
    claim = _action_claim(request, pk)
    try:
        services.start_review(claim=claim, by=request.user)
    except services.ClaimRefused as refusal:
        _flash_refusal(request, refusal)
    else:
        flash.success(request, f"Review of {claim.reference} started.")
    return redirect("claims:review", pk=claim.pk)


def _settle_refusal(refusal, form):
    """The service's errors by section of the settle form: intervals, maintenance, the rest."""
    errors = {}
    for field, messages in refusal.errors.items():
        if field == "reason":
            for message in messages:
                form.add_error("reason", message)
        else:
            section = field if field in ("intervals", "maintenance") else "all"
            errors.setdefault(section, []).extend(messages)
    return errors


@require_POST
@login_required
def review_settle(request, pk):
    claim = _action_claim(request, pk)
    context = services.review_context(claim)
    intervals = IntervalFormSet(
        request.POST,
        prefix="interval",
        form_kwargs={"exception_choices": context["exception_choices"]},
    )
    maintenance = MaintenanceFormSet(request.POST, prefix="maintenance")
    form = SettleForm(request.POST, prefix="settle")
    # The form's times are UTC, whatever the reviewer's own timezone.
    with timezone.override(dt.UTC):
        valid = all([intervals.is_valid(), maintenance.is_valid(), form.is_valid()])
    errors = {}
    if valid:
        try:
            settlement = services.settle(
                claim=claim,
                by=request.user,
                intervals=[services.SettledInterval(*row) for row in intervals.intervals()],
                maintenance=[
                    services.MaintenanceCall(
                        row["maintenance_id"], row["excused"] == "yes", row["reason"]
                    )
                    for row in maintenance.cleaned_data
                ],
                reason=form.cleaned_data["reason"],
            )
        except services.ClaimRefused as refusal:
            errors = _settle_refusal(refusal, form)
        else:
            flash.success(
                request,
                f"Settlement {settlement.number} saved: the engine's credit is now "
                f"{settlement.credit}.",
            )
            return redirect("claims:review", pk=claim.pk)
    return _review_page(
        request,
        claim,
        context=context,
        bound={"intervals": intervals, "maintenance": maintenance, "settle": form},
        settle_errors=errors,
        status=400,
    )


@require_POST
@login_required
def review_accept_proposal(request, pk):
    """Settle exactly the proposed downtime in one step ("accepted the proposal")."""
    claim = _action_claim(request, pk)
    try:
        settlement = services.accept_proposal(
            claim=claim, by=request.user, digest=request.POST.get("proposal") or None
        )
    except services.ClaimRefused as refusal:
        _flash_refusal(request, refusal)
    else:
        flash.success(
            request,
            f"Settlement {settlement.number} saved from the proposal: the engine's credit is"
            f" now {settlement.credit}.",
        )
    return redirect("claims:review", pk=claim.pk)


def _decide(request, pk, key, form_class, act):
    """Validate one decision form, call the service, redirect back; or show its errors."""
    claim = _action_claim(request, pk)
    form = form_class(request.POST, prefix=key)
    if form.is_valid():
        try:
            done = act(claim, form.cleaned_data)
        except services.ClaimRefused as refusal:
            _apply_refusal(form, refusal)
        else:
            flash.success(request, done)
            return redirect("claims:review", pk=claim.pk)
    return _review_page(request, claim, bound={key: form}, status=400)


@require_POST
@login_required
def review_approve(request, pk):
    def act(claim, data):
        decision = services.approve(
            claim=claim, by=request.user, amount=data["amount"], reason=data["reason"]
        )
        claim.refresh_from_db(fields=["state"])
        if claim.state == ClaimState.AWAITING_SECOND:
            return (
                f"Approval of {decision.amount} recorded: above the four-eyes limit, a second "
                "reviewer must confirm it."
            )
        return f"Claim {claim.reference} approved: credit {decision.amount}."

    if needs_recent_auth(request):
        flash.info(request, recent_auth_message())
        return redirect(reauth_url(reverse("claims:review", args=[pk])))
    return _decide(request, pk, "approve", ApproveForm, act)


@require_POST
@login_required
def review_reject(request, pk):
    def act(claim, data):
        services.reject(claim=claim, by=request.user, reason=data["reason"])
        return f"Claim {claim.reference} rejected."

    return _decide(request, pk, "reject", RejectForm, act)


@require_POST
@login_required
def review_request_info(request, pk):
    def act(claim, data):
        services.request_info(claim=claim, by=request.user, question=data["question"])
        return f"Question sent: {claim.reference} waits for the claimant's answer."

    return _decide(request, pk, "info", RequestInfoForm, act)


@require_POST
@login_required
def review_note(request, pk):
    def act(claim, data):
        services.post_message(claim=claim, by=request.user, body=data["body"], internal=True)
        return "Internal note added (staff only)."

    return _decide(request, pk, "note", NoteForm, act)


@require_POST
@login_required
def review_confirm(request, pk):
    if needs_recent_auth(request):
        flash.info(request, recent_auth_message())
        return redirect(reauth_url(reverse("claims:review", args=[pk])))
    claim = _action_claim(request, pk)
    try:
        decision = services.confirm_approval(claim=claim, by=request.user)
    except services.ClaimRefused as refusal:
        _flash_refusal(request, refusal)
    else:
        flash.success(request, f"Approval of {decision.amount} confirmed.")
    return redirect("claims:review", pk=claim.pk)


# --- the conversation, both sides ------------------------------------------------------------


def conversation(request, claim):
    """What the claim page adds for the conversation: the messages the asker may see (never
    an internal note for a claimant), the open question, the decision in force, the forms."""
    question = None
    if claim.state == ClaimState.INFO_REQUESTED:
        question = (
            claim.messages.filter(kind=MessageKind.INFO_REQUEST).order_by("-created_at").first()
        )
    people = access.PeopleShown(request.user)
    shown = list(
        Message.objects.visible_to(request.user)
        .filter(claim=claim)
        .select_related("author")
        .prefetch_related("files")
    )
    for message in shown:
        message.who = people.name(message.author)
    return {
        "conversation": shown,
        "open_question": question,
        "decision": _final_decision(claim),
        "message_form": MessageForm(prefix="message"),
        "answer_form": AnswerForm(prefix="answer"),
        "answer_files": AnswerFileFormSet(prefix="answer-file"),
    }


@csrf_exempt
@require_POST
@login_required
def message_post(request, pk):
    # Attachments stream to disk (installed before the body is read), as on the claim form.
    request.upload_handlers = StreamingUploadHandlers(request)
    return _message_post(request, pk)


@csrf_protect
def _message_post(request, pk):
    """A message to the other side: the claimant's people, or a reviewer."""
    claim = access.visible_claim(request.user, pk)
    staff = access.is_staff(request.user)
    if staff:
        access.require_reviewer(request.user)
    else:
        access.require_claimant_side(
            request.user, claim, "Only the account's own people write on its claim."
        )
    back = redirect("claims:review" if staff else "claims:detail", pk=claim.pk)
    form = MessageForm(request.POST, request.FILES, prefix="message")
    for message in _dropped_uploads(request):
        form.add_error("file", message)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            services.post_message(
                claim=claim,
                by=request.user,
                body=form.cleaned_data["body"],
                uploads=[(upload, "")] if upload else [],
            )
        except services.ClaimRefused as refusal:
            _apply_refusal(form, refusal)
        else:
            flash.success(request, "Message sent.")
            return back
    if staff:
        return _review_page(request, claim, bound={"message": form}, status=400)
    for errors in form.errors.values():
        for error in errors:
            flash.error(request, error)
    return back


@csrf_exempt
@require_POST
@login_required
def answer_post(request, pk):
    request.upload_handlers = StreamingUploadHandlers(request)
    return _answer_post(request, pk)


@csrf_protect
def _answer_post(request, pk):
    """The claimant's answer to a request for information; its files become proof."""
    claim = access.visible_claim(request.user, pk)
    access.require_claimant_side(
        request.user, claim, "Only the account's own people answer on its claim."
    )
    form = AnswerForm(request.POST, prefix="answer")
    files = AnswerFileFormSet(request.POST, request.FILES, prefix="answer-file")
    errors = _dropped_uploads(request)
    if form.is_valid() and files.is_valid() and not errors:
        uploads = [
            (row["file"], row.get("kind") or "") for row in files.cleaned_data if row.get("file")
        ]
        try:
            services.answer_info(
                claim=claim, by=request.user, body=form.cleaned_data["body"], uploads=uploads
            )
        except services.ClaimRefused as refusal:
            errors = [error for messages in refusal.errors.values() for error in messages]
        else:
            flash.success(request, "Answer sent: the claim is back with the reviewers.")
            return redirect("claims:detail", pk=claim.pk)
    else:
        for field_errors in [
            *form.errors.values(),
            *(e for row in files.errors for e in row.values()),
        ]:
            errors += field_errors
        errors += files.non_form_errors()
    for error in errors:
        flash.error(request, error)
    return redirect("claims:detail", pk=claim.pk)


@login_required
def message_file_download(request, pk, message_pk, file_pk):
    claim = access.visible_claim(request.user, pk)
    # A claimant cannot reach a file of an internal note, even by its address.
    message = get_object_or_404(
        Message.objects.visible_to(request.user).filter(claim=claim), pk=message_pk
    )
    attachment = get_object_or_404(message.files, pk=file_pk)
    return proof_download_response(
        attachment.file.storage,
        attachment.file.name,
        content_type=attachment.content_type,
        display_name=attachment.display_name,
    )
