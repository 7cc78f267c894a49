"""The store's tables for SQLAlchemy Core queries, named once (typed as ``Table``: the ORM
declares ``__table__`` as a ``FromClause``)."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table

from publisher.store.models import (
    Acceptance,
    AppAcceptance,
    ChainHead,
    Customer,
    Delivery,
    DeliveryEvent,
    Notice,
    PersonalData,
    PolicyVersion,
    Receipt,
    ReceiptCursor,
    Translation,
    WebhookDelivery,
    WebhookEndpoint,
)

ACCEPTANCES = cast(Table, Acceptance.__table__)
APP_ACCEPTANCES = cast(Table, AppAcceptance.__table__)
CHAIN_HEAD = cast(Table, ChainHead.__table__)
CUSTOMERS = cast(Table, Customer.__table__)
DELIVERIES = cast(Table, Delivery.__table__)
EVENTS = cast(Table, DeliveryEvent.__table__)
NOTICES = cast(Table, Notice.__table__)
PERSONAL = cast(Table, PersonalData.__table__)
TRANSLATIONS = cast(Table, Translation.__table__)
VERSIONS = cast(Table, PolicyVersion.__table__)
RECEIPTS = cast(Table, Receipt.__table__)
RECEIPT_CURSOR = cast(Table, ReceiptCursor.__table__)
WEBHOOK_DELIVERIES = cast(Table, WebhookDelivery.__table__)
WEBHOOK_ENDPOINTS = cast(Table, WebhookEndpoint.__table__)
