"""VERP return paths: signed per outbox row and recipient, read back, forgeries refused."""

from __future__ import annotations

from postdesk.mail.address import read_reply_address
from postdesk.mail.verp import bounce_address, read_bounce_address, verified_recipient

SECRET = "s3cret"
DESK = ("support@example.com",)


def test_a_return_path_names_its_row_and_recipient() -> None:
    address = bounce_address("Support@Example.com", 42, "Zoe@Customer.example", SECRET)
    assert address.startswith("support+bounce-42-") and address.endswith("@example.com")
    token = read_bounce_address(address.upper(), DESK)  # an MTA that folds case
    assert token is not None and token.outbox_id == 42
    recipients = ["boss@customer.example", "zoe@customer.example"]
    assert verified_recipient(token, recipients, SECRET) == "zoe@customer.example"


def test_forged_or_foreign_return_paths_name_nobody() -> None:
    address = bounce_address("support@example.com", 42, "zoe@customer.example", SECRET)
    token = read_bounce_address(address, DESK)
    assert token is not None
    assert verified_recipient(token, ["zoe@customer.example"], "other secret") is None
    assert verified_recipient(token, ["boss@customer.example"], SECRET) is None
    moved = read_bounce_address(address.replace("-42-", "-43-"), DESK)
    assert moved is not None and verified_recipient(moved, ["zoe@customer.example"],
                                                    SECRET) is None
    assert read_bounce_address(address.replace("example.com", "elsewhere.example"), DESK) is None
    assert read_bounce_address("support+12-c-abcdefghijklmnop@example.com", DESK) is None
    assert read_bounce_address("support@example.com", DESK) is None


def test_a_return_path_is_no_reply_address() -> None:
    address = bounce_address("support@example.com", 42, "zoe@customer.example", SECRET)
    assert read_reply_address(address, SECRET, DESK) is None
