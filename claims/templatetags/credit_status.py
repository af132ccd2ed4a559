"""`{% credit_status claim %}`: the claim's credit status (claims.status), as the claim page shows
it (templates/claims/_credit_status.html)."""

from django import template

from claims import status

register = template.Library()


@register.inclusion_tag("claims/_credit_status.html")
def credit_status(claim):
    return {"claim": claim, "status": status.status_for(claim)}
