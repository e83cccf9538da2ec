"""The member centre, mounted at /m/."""

from django.urls import path

from mendian.members import views

app_name = "members_web"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("code.json", views.code_json, name="code"),
    path("points/", views.points_view, name="points"),
    path("wallet/", views.wallet_view, name="wallet"),
    path("cards/", views.cards_view, name="cards"),
    path("orders/", views.orders_view, name="orders"),
    path("profile/", views.profile_view, name="profile"),
    path("referral/", views.referral_view, name="referral"),
]
