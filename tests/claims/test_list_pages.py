"""The claim list pages a page at a time: the claims list (every role), the review queue, the
organisation list and the home pages. Each page is a keyset page: the "next" link carries the
last row's sort key, every row shows once across the pages and none is lost, the queries per
page do not grow with its size, and organisation filters search instead of listing every
organisation."""

import datetime as dt
import re
from html import unescape

import pytest

from claims.models import Claim, ClaimState
from portal.keyset import BAD_CURSOR, BAD_PAGE_SIZE, MAX_PAGE_SIZE
from portal.models import Organisation
from tests.claims.conftest import START, subscription
from tests.scenarios import many_claims

pytestmark = pytest.mark.django_db

QUEUE = "/claims/review/"
CLAIMS = "/claims/"
# The same bound at page size 5 and 20 (and 50): a page costs the same whatever its size.
MAX_QUERIES = 18
MAX_PAGE_BYTES = 150_000
NEXT_LINK = re.compile(r'<a href="([^"]+)" rel="next"')


def refs(response):
    return re.findall(r">(C-\d{6})</a>", response.content.decode())


def walk(client, path, **params):
    """Follow the "next" links from the first page to the last: the references of every page."""
    pages = []
    response = client.get(path, params)
    while True:
        assert response.status_code == 200
        pages.append(refs(response))
        link = NEXT_LINK.search(response.content.decode())
        if link is None:
            return pages
        response = client.get(path + unescape(link.group(1)))


@pytest.fixture
def acme_claims(alice, acme_email):
    return many_claims(alice, acme_email, 23, state=ClaimState.SUBMITTED)


@pytest.fixture
def cedar_claims(nora, cedar_exchange):
    return many_claims(nora, cedar_exchange, 12, state=ClaimState.UNDER_REVIEW)


# --- the claims list ---------------------------------------------------------------------------


def test_customer_pages_through_her_claims_each_once_newest_first(client, alice, acme_claims):
    client.force_login(alice)
    pages = walk(client, CLAIMS, page_size=5)
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    seen = [ref for page in pages for ref in page]
    expected = Claim.objects.visible_to(alice).order_by("-created_at", "-pk")
    assert seen == [claim.reference for claim in expected]
    assert len(set(seen)) == len(seen) == 23


def test_reseller_sees_only_its_end_customers_claims_on_every_page(
    client, nora, acme_claims, cedar_claims
):
    client.force_login(nora)
    seen = [ref for page in walk(client, CLAIMS, page_size=4) for ref in page]
    assert sorted(seen) == sorted(c.reference for c in cedar_claims)
    assert not set(seen) & {c.reference for c in acme_claims}


def test_claims_list_keeps_the_state_filter_across_pages(client, alice, acme_claims, acme_email):
    many_claims(alice, subscription("Acme Dental", "voip"), 3, state=ClaimState.REJECTED)
    client.force_login(alice)
    pages = walk(client, CLAIMS, state="rejected", page_size=2)
    assert [len(p) for p in pages] == [2, 1]


@pytest.mark.parametrize("size", [5, 20])
def test_claims_list_queries_do_not_grow_with_the_page(
    client, alice, acme_claims, size, django_assert_max_num_queries
):
    client.force_login(alice)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(CLAIMS, {"page_size": size})
    assert len(refs(response)) == size


def test_staff_claims_list_is_one_bounded_page(client, reviewer_user, acme_claims, cedar_claims):
    client.force_login(reviewer_user)
    response = client.get(CLAIMS)
    assert len(refs(response)) == min(50, Claim.objects.count())
    assert response.context["page"].page_size == 50


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"page_size": MAX_PAGE_SIZE + 1}, BAD_PAGE_SIZE),
        ({"page_size": "ten"}, BAD_PAGE_SIZE),
        ({"page_size": 0}, BAD_PAGE_SIZE),
        ({"after": "not-a-cursor"}, BAD_CURSOR),
        ({"after": "WyJ4IiwxXQ"}, BAD_CURSOR),  # ["x", 1]: not an instant
        ({"after": "WzEsMiwzXQ"}, BAD_CURSOR),  # three values for two keys
        (
            {"after": "WyIyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwIiw5OTk5OTk5OTk5OTk5OTk5OTk5OTldCg"},
            BAD_CURSOR,
        ),
    ],
)
def test_a_page_link_it_cannot_read_is_a_400_saying_so(client, alice, acme_claims, params, message):
    client.force_login(alice)
    response = client.get(CLAIMS, params)
    assert response.status_code == 400
    assert message in response.content.decode()


# --- the review queue --------------------------------------------------------------------------


def test_queue_pages_due_first_with_ties_and_no_due_date_last(
    client, reviewer_user, acme_claims, cedar_claims
):
    client.force_login(reviewer_user)
    pages = walk(client, QUEUE, page_size=4)
    seen = [ref for page in pages for ref in page]
    waiting = Claim.objects.awaiting_review()
    assert len(seen) == len(set(seen)) == waiting.count()
    due = {c.reference: c.decision_due_at for c in waiting}
    dated = [due[ref] for ref in seen if due[ref] is not None]
    assert dated == sorted(dated)
    first_undated = next(i for i, ref in enumerate(seen) if due[ref] is None)
    assert all(due[ref] is None for ref in seen[first_undated:])


@pytest.mark.parametrize("size", [5, 20])
def test_queue_queries_do_not_grow_with_the_page(
    client, reviewer_user, acme_claims, cedar_claims, size, django_assert_max_num_queries
):
    client.force_login(reviewer_user)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(QUEUE, {"page_size": size})
    assert len(response.context["rows"]) == size


def test_queue_estimates_match_each_claims_own_estimate(
    client, reviewer_user, acme_claims, cedar_claims
):
    client.force_login(reviewer_user)
    response = client.get(QUEUE, {"page_size": 30})
    rows = response.context["rows"]
    assert len(rows) == 30
    for claim, estimate in rows:
        assert estimate == Claim.objects.get(pk=claim.pk).estimate()[0]


def test_queue_lists_no_organisation_as_an_option(client, reviewer_user, acme_claims):
    for n in range(30):
        Organisation.objects.create(name=f"Quiet customer {n}", kind=Organisation.Kind.CUSTOMER)
    client.force_login(reviewer_user)
    html = client.get(QUEUE).content.decode()
    assert "Quiet customer" not in html
    assert 'name="account_name"' in html and 'list="account-choices"' in html
    assert 'type="hidden" name="account"' in html


def test_queue_filters_by_account_name_without_javascript(
    client, reviewer_user, acme_claims, cedar_claims
):
    client.force_login(reviewer_user)
    response = client.get(QUEUE, {"account_name": "cedar", "page_size": 100})
    assert sorted(refs(response)) == sorted(c.reference for c in cedar_claims)
    response = client.get(QUEUE, {"reseller_name": "northwind", "page_size": 100})
    assert sorted(refs(response)) == sorted(c.reference for c in cedar_claims)


def test_queue_filters_by_the_account_the_typeahead_chose(
    client, reviewer_user, acme_claims, cedar_claims
):
    client.force_login(reviewer_user)
    acme = Organisation.objects.get(name="Acme Dental")
    response = client.get(QUEUE, {"account": acme.pk, "account_name": "Acme Dental"})
    waiting = {c.reference for c in acme_claims if c.decision_due_at is not None}
    assert waiting <= set(refs(response))
    assert not set(refs(response)) & {c.reference for c in cedar_claims}
    assert client.get(QUEUE, {"account": 999999}).status_code == 400


def test_queue_page_of_fifty_is_under_150_kb(
    client, reviewer_user, alice, acme_email, cedar_claims
):
    many_claims(alice, acme_email, 55)
    client.force_login(reviewer_user)
    response = client.get(QUEUE)
    assert len(response.context["rows"]) == 50
    assert len(response.content) < MAX_PAGE_BYTES


def test_claims_page_of_fifty_is_under_150_kb(client, alice, acme_email):
    many_claims(alice, acme_email, 55)
    client.force_login(alice)
    response = client.get(CLAIMS)
    assert len(refs(response)) == 50
    assert len(response.content) < MAX_PAGE_BYTES


# --- the typeahead -----------------------------------------------------------------------------


def names(client, **params):
    response = client.get("/organisations/search/", params)
    assert response.status_code == 200
    return [result["name"] for result in response.json()["results"]]


def test_typeahead_names_only_what_the_asker_may_see(client, alice, nora, reviewer_user):
    client.force_login(alice)
    assert names(client, q="ac") == ["Acme Dental"]
    assert names(client, q="birch") == []
    client.force_login(nora)
    assert names(client, q="acme") == []
    assert names(client, q="cedar", kind="customer") == ["Cedar Bakery"]
    client.force_login(reviewer_user)
    assert names(client, q="birch") == ["Birch Legal"]


def test_typeahead_needs_two_letters_and_answers_at_most_twenty(client, reviewer_user):
    for n in range(25):
        Organisation.objects.create(name=f"Zephyr {n:02d}", kind=Organisation.Kind.CUSTOMER)
    client.force_login(reviewer_user)
    assert names(client, q="z") == []
    found = names(client, q="zephyr")
    assert found == [f"Zephyr {n:02d}" for n in range(20)]
    assert names(client, q="zephyr", kind="reseller") == []


def test_typeahead_needs_a_login(client, demo):
    response = client.get("/organisations/search/", {"q": "acme"})
    assert response.status_code == 302


# --- organisations and home pages --------------------------------------------------------------


def test_organisation_list_pages_by_name_and_searches(client, reviewer_user):
    for n in range(12):
        Organisation.objects.create(name=f"Paged {n:02d}", kind=Organisation.Kind.CUSTOMER)
    client.force_login(reviewer_user)
    seen = []
    response = client.get("/organisations/", {"page_size": 5})
    while True:
        seen += [o.name for o in response.context["page"]]
        link = NEXT_LINK.search(response.content.decode())
        if link is None:
            break
        response = client.get("/organisations/" + unescape(link.group(1)))
    assert seen == [o.name for o in Organisation.objects.order_by("name", "pk")]
    response = client.get("/organisations/", {"q": "paged"})
    assert [o.name for o in response.context["page"]] == [f"Paged {n:02d}" for n in range(12)]


def test_customer_organisation_list_is_her_own(client, alice):
    client.force_login(alice)
    response = client.get("/organisations/")
    assert [o.name for o in response.context["page"]] == ["Acme Dental"]


def test_reseller_home_lists_its_end_customers_a_page_at_a_time(client, nora):
    reseller = Organisation.objects.get(name="Northwind IT")
    for n in range(25):
        Organisation.objects.create(
            name=f"Reseller's customer {n:02d}", kind=Organisation.Kind.CUSTOMER, reseller=reseller
        )
    client.force_login(nora)
    response = client.get("/")
    assert len(response.context["page"].rows) == 20
    assert response.context["page"].next_cursor


def test_estimator_offers_a_bounded_menu_and_searches_the_rest(client, reviewer_user):
    client.force_login(reviewer_user)
    response = client.get("/sla/estimate/")
    options = re.findall(
        r"<option value=\"\d+\"",
        response.content.decode().split('name="subscription"')[1].split("</select>")[0],
    )
    assert 0 < len(options) <= 20
    response = client.get("/sla/estimate/", {"subscription_q": "cedar"})
    menu = response.content.decode().split('name="subscription"')[1].split("</select>")[0]
    assert "Cedar Bakery" in menu and "Acme Dental" not in menu
    found = client.get("/sla/subscriptions/search/", {"q": "cedar"}).json()["results"]
    assert found and all("Cedar Bakery" in r["name"] for r in found)
    client.force_login(Organisation.objects.get(name="Acme Dental").memberships.first().user)
    assert client.get("/sla/subscriptions/search/", {"q": "cedar"}).json()["results"] == []


def test_a_claim_filed_between_pages_neither_repeats_nor_hides_a_row(client, alice, acme_claims):
    client.force_login(alice)
    before = [c.reference for c in Claim.objects.visible_to(alice).order_by("-created_at", "-pk")]
    first = client.get(CLAIMS, {"page_size": 10})
    assert refs(first) == before[:10]
    # A newer claim arrives while she reads the first page: the next page starts where she was.
    late = START + dt.timedelta(days=60)
    (newer,) = many_claims(alice, subscription("Acme Dental", "voip"), 1, start=late)
    second = client.get(CLAIMS + unescape(NEXT_LINK.search(first.content.decode()).group(1)))
    assert refs(second) == before[10:20]
    assert newer.reference == refs(client.get(CLAIMS))[0]
