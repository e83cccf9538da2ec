"""Pages of the till, mounted at /pos/, and the public e-receipt at /r/<token>/."""

from django.urls import path

from mendian.sales import claim_views, views

app_name = "sales"
urlpatterns = [
    path("pos/", views.pos_page, name="pos"),
    path("pos/exceptions/", views.exceptions_page, name="exceptions"),
    path("pos/display/<int:register_id>/", views.display_page, name="display"),
    path("pos/display/<int:register_id>/sale/<str:receipt_token>/", views.display_sale, name="display_sale"),
    path("pos/orders/<int:order_id>/print/", views.receipt_print_view, name="receipt_print"),
    path("pos/orders/find/", views.order_find, name="order_find"),
    path("pos/drawer/open/", views.drawer_open_view, name="drawer_open"),
    path("pos/returns/<int:return_id>/print/", views.return_print_view, name="return_print"),
    path("pos/prepaid/<int:sale_id>/print/", views.prepaid_print_view, name="prepaid_print"),
    path("r/claim/<str:token>/", claim_views.claim_page, name="order_claim"),
    path("r/claim/<str:token>/qr.svg", claim_views.claim_qr, name="order_claim_qr"),
    path("r/<str:receipt_token>/", views.receipt_page, name="receipt"),
    path("r/<str:receipt_token>/qr.svg", views.receipt_qr, name="receipt_qr"),
    path("r/<str:receipt_token>/receipt.pdf", views.receipt_pdf_view, name="receipt_pdf"),
]
