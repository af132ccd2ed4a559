from portal.models import Role


def persona(request):
    """The role whose navigation the base layout shows."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"persona": None}
    return {"persona": user.primary_role(), "Role": Role}
