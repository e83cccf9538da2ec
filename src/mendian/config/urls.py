from django.contrib import admin
from django.urls import include, path

from mendian.config.api import api
from mendian.web import views as web_views

urlpatterns = [
    path("healthz", web_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("mendian.sales.urls")),  # /pos/ (the till) and /r/<token>/ (e-receipts)
    path("m/", include("mendian.members.urls")),  # the member centre (mobile web)
    path("", include("mendian.web.urls")),
]

handler404 = "mendian.web.views.not_found"
handler500 = "mendian.web.views.server_error"
