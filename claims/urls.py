from django.urls import path

from claims.views import filing as views
from claims.views import review

app_name = "claims"
urlpatterns = [
    path("", views.claim_list, name="list"),
    path("new/", views.claim_new, name="new"),
    path("estimate/", views.claim_estimate, name="estimate"),
    path("<int:pk>/", views.claim_detail, name="detail"),
    path("<int:pk>/edit/", views.claim_edit, name="edit"),
    path("<int:pk>/submit/", views.claim_submit, name="submit"),
    path("<int:pk>/withdraw/", views.claim_withdraw, name="withdraw"),
    path("<int:pk>/proofs/", views.proof_upload, name="proof-upload"),
    path("<int:pk>/proofs/<int:proof_pk>/", views.proof_download, name="proof-download"),
    # The conversation, both sides.
    path("<int:pk>/messages/", review.message_post, name="message-post"),
    path(
        "<int:pk>/messages/<int:message_pk>/files/<int:file_pk>/",
        review.message_file_download,
        name="message-file",
    ),
    path("<int:pk>/answer/", review.answer_post, name="answer"),
    # Staff review.
    path("review/", review.review_queue, name="review-queue"),
    path("review/top/", review.review_queue_top, name="review-queue-top"),
    path("<int:pk>/review/", review.review, name="review"),
    path("<int:pk>/review/start/", review.review_start, name="review-start"),
    path("<int:pk>/review/settle/", review.review_settle, name="review-settle"),
    path(
        "<int:pk>/review/accept-proposal/",
        review.review_accept_proposal,
        name="review-accept-proposal",
    ),
    path("<int:pk>/review/approve/", review.review_approve, name="review-approve"),
    path("<int:pk>/review/confirm/", review.review_confirm, name="review-confirm"),
    path("<int:pk>/review/reject/", review.review_reject, name="review-reject"),
    path("<int:pk>/review/request-info/", review.review_request_info, name="review-request-info"),
    path("<int:pk>/review/note/", review.review_note, name="review-note"),
]
