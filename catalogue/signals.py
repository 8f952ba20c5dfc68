"""Any save or delete of a supplier, a product or a price tier changes the supplier's
catalogue version (catalogue.cache). Receivers are the exception in this code base
(STYLE.md): here they catch every writer, the admin's included, of a cache key only."""

from .cache import catalogue_changed


def supplier_saved(sender, instance, **kwargs):
    catalogue_changed(instance.pk)


def product_saved(sender, instance, **kwargs):
    catalogue_changed(instance.supplier_id)


def tier_saved(sender, instance, **kwargs):
    from .models import Product

    supplier_id = (
        Product.objects.filter(pk=instance.product_id).values_list("supplier_id", flat=True).first()
    )
    if supplier_id is not None:
        catalogue_changed(supplier_id)


def connect():
    from django.db.models.signals import post_delete, post_save

    from .models import PriceTier, Product, Supplier

    post_save.connect(supplier_saved, sender=Supplier, dispatch_uid="catalogue-supplier-saved")
    post_delete.connect(supplier_saved, sender=Supplier, dispatch_uid="catalogue-supplier-gone")
    post_save.connect(product_saved, sender=Product, dispatch_uid="catalogue-product-saved")
    post_delete.connect(product_saved, sender=Product, dispatch_uid="catalogue-product-gone")
    # Not post_delete: a receiver would make every queryset delete of tiers fetch them
    # first; the services that delete tiers call catalogue_changed themselves.
    post_save.connect(tier_saved, sender=PriceTier, dispatch_uid="catalogue-tier-saved")
