"""Email addresses are proved before anything goes to them.

People type their notification address themselves (the network's records carry none), so
a typo or someone else's address would receive what the person may read.  Saving a new
address queues a confirmation email to it (kind ``confirm``: a link, no content, at most
one a day per address); notifications go to it only once the link was followed
(:meth:`notify.FollowStore.confirm_email`).  The link's token is signed with
``secret_key`` under its own HMAC context; it confirms only the address it names, and
only while that is still the person's address.  At send time a confirmation goes out
only if the address still waits for it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from html import escape

from core.settings import Settings
from notify.delivery import Dropped, queue_email
from notify.follows import FollowStore
from notify.mail import confirmation_url
from notify.outbox import Outbox, OutboxMessage

KIND = "confirm"

_TEXT = {
    "en": ("Confirm your quisait notification address",
           "Someone, probably you, asked quisait to send notifications to {address}.\n"
           "To confirm, open this link and press the button:\n\n{link}\n\n"
           "If it was not you, ignore this email: nothing will be sent to this address."),
    "fr": ("Confirmez votre adresse de notification quisait",
           "Quelqu'un, sans doute vous, a demandé à quisait d'envoyer ses notifications "
           "à {address}.\nPour confirmer, ouvrez ce lien et appuyez sur le bouton :\n\n"
           "{link}\n\nSi ce n'est pas vous, ignorez ce message : rien ne sera envoyé à "
           "cette adresse."),
}


def queue_confirmation(settings: Settings, outbox: Outbox, person: str, address: str,
                       lang: str, now: datetime) -> bool:
    """Queue the confirmation email of ``address``; False if one went out today."""
    subject, body = _TEXT[lang if lang in _TEXT else "fr"]
    link = confirmation_url(settings, person, address)
    text = body.format(address=address, link=link)
    paragraphs = escape(body.format(address=address, link="{link}")).split("\n\n")
    html = "".join(f"<p>{part}</p>" for part in paragraphs).replace(
        "{link}", f'<a href="{escape(link)}">{escape(link)}</a>').replace("\n", "<br>")
    return queue_email(outbox, kind=KIND, recipient=person, address=address,
                       dedupe_key=f"{KIND}:{person}:{address}:{now.date().isoformat()}",
                       subject=subject, text=text, html=html, lang=lang, unsubscribe="all",
                       now=now)


def confirmation_recheck(store: FollowStore,
                         active: Callable[[str], bool]) -> Callable[[OutboxMessage],
                                                                    OutboxMessage | Dropped]:
    """The send-time check of a confirmation: the person is still here and the address
    is still theirs, waiting for its confirmation."""

    def recheck(message: OutboxMessage) -> OutboxMessage | Dropped:
        if not active(message.recipient):
            return Dropped("the recipient is no longer an active person")
        prefs = store.preferences(message.recipient)
        if prefs.email != message.address or not prefs.email_pending:
            return Dropped("the address changed or was confirmed since")
        return message

    return recheck
