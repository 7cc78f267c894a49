"""Change notices: campaigns, rendering, mailers, the resumable outbox, delivery events.

- :mod:`~publisher.notices.campaign` creates a notice for a policy version, plans its
  recipients grouped by the version they last accepted, applies the notice-period rule and
  plans reminders;
- :mod:`~publisher.notices.render` renders each group's email once (jinja2 templates in
  ``publisher/templates/notices/``) with placeholders for the personal values;
- :mod:`~publisher.notices.mailers` sends: ``folder`` (.eml files), ``smtp``, ``sendgrid``;
- :mod:`~publisher.notices.outbox` is the send loop: claim a batch, hand it to the mailer,
  record the answer; resumable after a crash and never sending twice;
- :mod:`~publisher.notices.status` reports where a notice stands and settles unknown batches;
- :mod:`~publisher.notices.events` verifies and records SendGrid's delivery events.
"""
