from django.urls import path

from claims.views import filing as views

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
]
