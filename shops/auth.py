"""Permissions follow the role: a coordinator may use the admin of every MACHE app."""

from django.contrib.auth.backends import ModelBackend

COORDINATOR_APPS = {"shops", "purchasing", "inventory", "accounting", "worker", "authtoken"}


class RoleBackend(ModelBackend):
    def has_perm(self, user_obj, perm, obj=None):
        if getattr(user_obj, "is_coordinator", False) and perm.split(".", 1)[0] in COORDINATOR_APPS:
            return True
        return super().has_perm(user_obj, perm, obj)

    def has_module_perms(self, user_obj, app_label):
        if getattr(user_obj, "is_coordinator", False) and app_label in COORDINATOR_APPS:
            return True
        return super().has_module_perms(user_obj, app_label)
