app_name = "institutions"

urlpatterns: list = []
