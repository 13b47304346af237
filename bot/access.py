"""Who may do admin things: the one place that decides, by numeric Telegram user id."""

from __future__ import annotations

from telegram import Update


def is_admin(update: Update, admins: frozenset[int]) -> bool:
    """Whether the person behind `update` is an admin.

    Identity is the sender's numeric id, never a username (those can be changed or
    copied). A message posted on behalf of a chat (an anonymous group admin, a channel)
    has no person behind it and never counts; a forwarded message counts as its
    forwarder's, whoever wrote it first.
    """
    user = update.effective_user
    message = update.effective_message
    if user is None or user.is_bot:
        return False
    if update.callback_query is None and message is not None and message.sender_chat is not None:
        return False
    return user.id in admins
