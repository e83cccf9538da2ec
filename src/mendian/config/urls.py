from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from mendian.config.api import api
from mendian.web import views as web_views

urlpatterns = [
    path("healthz", web_views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico where a page names no icon (a JSON answer, a PDF receipt).
    path("favicon.ico", RedirectView.as_view(url=static("web/favicon.svg"), permanent=True)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("mendian.sales.urls")),  # /pos/ (the till) and /r/<token>/ (e-receipts)
    path("m/", include("mendian.members.urls")),  # the member centre (mobile web)
    path("", include("mendian.web.urls")),
]

handler400 = "mendian.web.views.bad_request"
handler404 = "mendian.web.views.not_found"
handler500 = "mendian.web.views.server_error"
