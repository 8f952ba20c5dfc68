"""Pages of the money after the invoice (server-rendered, French); each part of the app
routes its own pages."""

from .bank import page_urlpatterns as bank_pages
from .reminders import page_urlpatterns as reminder_pages

page_urlpatterns = [
    *bank_pages,
    *reminder_pages,
]
