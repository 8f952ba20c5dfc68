"""The API's JSON renderer: it never fails on what it is given to write."""

import copy

from rest_framework import renderers


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            # A lone surrogate has no UTF-8 form: written as an ASCII escape ("\ud800"),
            # the answer stays valid JSON rather than becoming a 500.
            ascii_renderer = copy.copy(self)
            ascii_renderer.ensure_ascii = True
            return renderers.JSONRenderer.render(
                ascii_renderer, data, accepted_media_type, renderer_context
            )
