"""A post made after the admin's session ended, on both backends: sign-in brings them back
to the page the post was sent from (its path answers only posts, so going back to it would
be a 405), and never to another site's page or a non-admin path."""

from __future__ import annotations

from fastapi.testclient import TestClient

FORM = "/admin/products/00000000-0000-4000-8000-000000000000"


def next_of(client: TestClient, referer: str | None) -> str:
    headers = {"referer": referer} if referer is not None else {}
    answer = client.post(f"{FORM}/discontinue", headers=headers, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith("/admin/login?next=")
    return location.removeprefix("/admin/login?next=")


def test_a_post_without_a_session_signs_in_back_to_the_page_it_came_from(client: TestClient):
    assert next_of(client, f"http://testserver{FORM}?saved=created") == f"{FORM}%3Fsaved%3Dcreated"
    assert next_of(client, None) == "/admin"
    assert next_of(client, f"https://evil.example{FORM}") == "/admin"
    assert next_of(client, "http://testserver/account") == "/admin"
    assert next_of(client, "http://testserver//evil.example/admin") == "/admin"

    back = client.get("/admin/login", params={"next": f"{FORM}?saved=created"})
    assert f'name="next" value="{FORM}?saved=created"' in back.text
