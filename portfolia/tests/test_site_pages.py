"""Site-wide page pieces: the favicon every page asks for."""

from django.test import Client, override_settings


@override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True)
def test_favicon_ico_answers_with_the_svg_icon_every_page_links(db):
    client = Client()  # a fresh client, so WhiteNoise starts with the settings above
    response = client.get("/favicon.ico", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [("/static/favicon.svg", 301)]
    assert response["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in b"".join(response.streaming_content)
    login_page = client.get("/accounts/login/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in login_page
