"""The three roles of MACHE (docs/api.md, Who may do what). `shops.models.User.Role` is
this class, so that mache.permissions can name the roles without importing shops."""

from django.db import models


class Role(models.TextChoices):
    COORDINATOR = "coordinator", "Coordinateur"
    SHOPKEEPER = "shopkeeper", "Commerçant"
    ACCOUNTANT = "accountant", "Expert-comptable"
