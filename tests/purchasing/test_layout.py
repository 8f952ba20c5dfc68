"""The receipt module receives (issue 11): a supplier order's review and its round's
cancellation live in purchasing.services.lifecycle."""

from purchasing.services import lifecycle, receipt


def test_confirm_and_cancel_are_out_of_the_receipt_module():
    assert lifecycle.supplier_order_confirm.__module__ == "purchasing.services.lifecycle"
    assert lifecycle.round_cancel.__module__ == "purchasing.services.lifecycle"
    assert not {"supplier_order_confirm", "round_cancel"} & set(vars(receipt))
    assert receipt.supplier_order_receive.__module__ == "purchasing.services.receipt"
