"""`GET /api/v1/me/`: who the caller is, and the organisations and roles it holds. API users
need it to know what they may do; it is also the benchmark's trivial authenticated endpoint."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from portal import api


class MembershipSerializer(serializers.Serializer):
    organisation = serializers.IntegerField(source="organisation_id")
    organisation_name = serializers.CharField(source="organisation.name")
    organisation_kind = serializers.CharField(source="organisation.kind")
    role = serializers.CharField()


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    timezone = serializers.CharField()
    is_provider_staff = serializers.BooleanField()
    memberships = MembershipSerializer(many=True)


@extend_schema(responses={200: MeSerializer, **api.error_responses(401, 429)})
@api_view(["GET"])
def me(request):
    user = request.user
    memberships = user.memberships.select_related("organisation").order_by(
        "organisation__name", "role"
    )
    return Response(
        MeSerializer(
            {
                "id": user.pk,
                "email": user.email,
                "full_name": user.full_name,
                "timezone": user.timezone,
                "is_provider_staff": user.is_superuser or user.is_provider_staff,
                "memberships": list(memberships),
            }
        ).data
    )
