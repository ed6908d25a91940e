from django.http import HttpRequest

ELDER_COOKIE = "cc_elder"


def site(request: HttpRequest) -> dict[str, object]:
    return {"elder_mode": request.COOKIES.get(ELDER_COOKIE) == "1"}
