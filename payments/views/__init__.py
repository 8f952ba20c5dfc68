"""Pages of the money after the invoice (server-rendered, French); each part of the app
routes its own pages."""

from .bank import page_urlpatterns as bank_pages

page_urlpatterns = [
    # --- bank statements (helper bank) ---
    *bank_pages,
    # --- end of bank statements ---
]
