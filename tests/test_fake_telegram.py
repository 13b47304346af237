"""Tests of the fake Telegram Bot API server, driven through python-telegram-bot's real client.

The fake is only worth something if the real ``telegram.Bot`` and ``telegram.ext.Application``
talk to it as they would to Telegram, so server behaviour is exercised through them (and through
PTB's mapping of error envelopes to exceptions) rather than through raw HTTP, except where the
point is the wire format itself.
"""

import asyncio
import datetime as dtm

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
    MessageEntity,
    Update,
)
from telegram.error import BadRequest, Conflict, EndPointNotFound, InvalidToken, NetworkError, RetryAfter
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from tests.fake_telegram import (
    STRICT_NOTE,
    Call,
    Chat,
    FakeTelegram,
    User,
    callback_query,
    channel_post,
    edited_message,
    group_text,
    inline_query,
    parse_html,
    private_text,
)

ALICE = User("Alice", "alice_smith")
BOB = User("Bob", "bob_the_builder")
GROUP = Chat.supergroup("Policy nerds")


@pytest.fixture
async def fake():
    async with FakeTelegram() as server:
        server.register_chat(GROUP)
        yield server


@pytest.fixture
async def bot(fake):
    async with Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url) as client:
        yield client


def rejected_with(fake: FakeTelegram, description: str) -> None:
    """The last call was refused with ``description``, which PTB turned into the exception message."""
    assert fake.rejections, "no call was rejected"
    assert fake.rejections[-1].description == description


def ptb_message(description: str) -> str:
    """How PTB words a 400 description in BadRequest.message."""
    return description.removeprefix("Bad Request: ").capitalize()


def article(result_id: str, text: str = "<b>answer</b>") -> InlineQueryResultArticle:
    return InlineQueryResultArticle(result_id, "Title", InputTextMessageContent(text, parse_mode="HTML"))


# ---------------------------------------------------------------------------------------- basics


async def test_get_me_identifies_the_fake_bot(fake, bot):
    me = await bot.get_me()

    assert (me.id, me.username, me.is_bot) == (123456789, "policybot_test_bot", True)
    assert [call.method for call in fake.calls] == ["getMe", "getMe"]  # Bot.initialize() asked first
    assert fake.calls[-1].ok is True


async def test_wrong_token_is_unauthorized_and_unknown_method_not_found(fake, bot):
    with pytest.raises(InvalidToken):
        async with Bot("987654321:wrong", base_url=fake.base_url):
            pass
    assert (fake.rejections[-1].status, fake.rejections[-1].description) == (401, "Unauthorized")

    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy")
    assert (fake.rejections[-1].method, fake.rejections[-1].status) == ("sendTelepathy", 404)

    # Bot API method names are case-insensitive, as on Telegram.
    assert (await bot.do_api_request("GETME"))["username"] == "policybot_test_bot"


async def test_json_body_and_query_string_are_accepted(fake):
    async with aiohttp.ClientSession() as session:
        url = f"{fake.base_url}{fake.token}"
        body = {"chat_id": GROUP.id, "text": "<i>hi</i>", "parse_mode": "HTML", "entities": None}
        async with session.post(f"{url}/sendMessage", json=body) as response:
            sent = await response.json()
        async with session.get(f"{url}/getMe") as response:
            me = await response.json()
        async with session.get(f"{url}/noSuchMethod") as response:
            missing = (response.status, await response.json())

    assert sent["ok"] and sent["result"]["text"] == "hi"
    assert sent["result"]["entities"] == [{"type": "italic", "offset": 0, "length": 2}]
    assert me["ok"] is True and me["result"]["id"] == 123456789
    assert missing == (404, {"ok": False, "error_code": 404, "description": "Not Found"})


# ---------------------------------------------------------------------------------------- HTML


async def test_html_message_is_parsed_with_utf16_offsets(fake, bot):
    # 👍 and 𝕏 are outside the BMP (2 UTF-16 units each); ☀ is inside it (1 unit).
    html = '👍 <b>bold</b> 𝕏 <i>it&amp;al</i> ☀ <a href="https://example.org/?a=1&amp;b=2">link</a>'

    message = await bot.send_message(GROUP.id, html, parse_mode="HTML")

    assert message.text == "👍 bold 𝕏 it&al ☀ link"
    assert [entity.to_dict() for entity in message.entities] == [
        {"type": "bold", "offset": 3, "length": 4},
        {"type": "italic", "offset": 11, "length": 5},
        {"type": "text_link", "offset": 19, "length": 4, "url": "https://example.org/?a=1&b=2"},
    ]
    # PTB slices entities in UTF-16 too, so it must find exactly the marked-up words.
    assert list(message.parse_entities().values()) == ["bold", "it&al", "link"]
    assert fake.sent[-1]["text"] == message.text
    assert message.from_user.username == "policybot_test_bot" and message.chat.id == GROUP.id


@pytest.mark.parametrize(
    ("markup", "text", "entities"),
    [
        pytest.param(
            '<pre><code class="language-python">x = 1</code></pre>',
            "x = 1",
            [{"type": "pre", "offset": 0, "length": 5, "language": "python"}],
            id="pre-with-language",
        ),
        pytest.param(
            "<blockquote expandable>q</blockquote>",
            "q",
            [{"type": "expandable_blockquote", "offset": 0, "length": 1}],
            id="expandable-blockquote",
        ),
        pytest.param(
            '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>',
            "st",
            [{"type": "spoiler", "offset": 0, "length": 1}, {"type": "spoiler", "offset": 1, "length": 1}],
            id="spoilers",
        ),
        pytest.param(
            '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
            "👍",
            [{"type": "custom_emoji", "offset": 0, "length": 2, "custom_emoji_id": "5368324170671202286"}],
            id="custom-emoji",
        ),
        pytest.param(
            "<b>a<i>b</i></b>&lt;&gt;&quot;&#39;&#x1F600;",
            "ab<>\"'😀",
            [{"type": "bold", "offset": 0, "length": 2}, {"type": "italic", "offset": 1, "length": 1}],
            id="nesting-and-references",
        ),
        pytest.param("<b></b>x<code>c</code>", "xc", [{"type": "code", "offset": 1, "length": 1}], id="empty-dropped"),
    ],
)
def test_parse_html_produces_telegram_entities(markup, text, entities):
    assert parse_html(markup) == (text, entities)


BAD_HTML = [
    pytest.param("é <x>hi</x>", 'Unsupported start tag "x" at byte offset 3', id="unknown-tag"),
    pytest.param(
        "<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"', id="bad-nesting"
    ),
    pytest.param("<b>bold", 'Can\'t find end tag corresponding to start tag "b"', id="unclosed"),
    pytest.param("text</b>", "Unexpected end tag at byte offset 4", id="stray-end-tag"),
    pytest.param("1 < 2", 'Unsupported start tag "" at byte offset 2', id="bare-lt"),
    pytest.param("a<b", "Unclosed start tag at byte offset 1", id="bare-lt-at-end"),
    pytest.param("Tom & Jerry", f'Unescaped "&" at byte offset 4, write it as "&amp;"{STRICT_NOTE}', id="bare-amp"),
    pytest.param("&nbsp;", f'Unescaped "&" at byte offset 0, write it as "&amp;"{STRICT_NOTE}', id="unknown-entity"),
    pytest.param(
        "<a>x</a>", f'Tag "a" must have a non-empty "href" attribute at byte offset 0{STRICT_NOTE}', id="a-without-href"
    ),
    pytest.param("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0', id="plain-span"),
    pytest.param(
        "<blockquote>a<blockquote>b</blockquote></blockquote>",
        f"Blockquotes can't be nested, at byte offset 13{STRICT_NOTE}",
        id="nested-blockquote",
    ),
    pytest.param(
        "&#xD800;",
        "Text contains invalid Unicode characters after decoding HTML entities, "
        "check for unmatched surrogate code units",
        id="lone-surrogate",
    ),
]


@pytest.mark.parametrize(("html", "reason"), BAD_HTML)
async def test_bad_html_is_rejected_like_telegram(fake, bot, html, reason):
    description = f"Bad Request: can't parse entities: {reason}"

    with pytest.raises(BadRequest) as error:
        await bot.send_message(GROUP.id, html, parse_mode="HTML")

    assert error.value.message == ptb_message(description)
    rejected_with(fake, description)
    assert fake.sent == []


async def test_markdown_is_refused_as_not_implemented(fake, bot):
    with pytest.raises(BadRequest):
        await bot.send_message(GROUP.id, "*bold*", parse_mode="MarkdownV2")
    rejected_with(
        fake, "Bad Request: can't parse entities: the fake Telegram server does not implement MarkdownV2, use HTML"
    )


# ---------------------------------------------------------------------------------------- lengths and entities


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        pytest.param("a" * 4096, True, id="4096-ascii"),
        pytest.param("😀" * 2048, True, id="4096-units-in-2048-chars"),
        pytest.param("😀" * 2048 + "a", False, id="4097-units-in-2049-chars"),
        pytest.param("a" * 4097, False, id="4097-ascii"),
    ],
)
async def test_text_limit_counts_utf16_code_units(fake, bot, text, accepted):
    if accepted:
        assert (await bot.send_message(GROUP.id, text)).text == text
    else:
        with pytest.raises(BadRequest, match="Message is too long"):
            await bot.send_message(GROUP.id, text)
        rejected_with(fake, "Bad Request: message is too long")


@pytest.mark.parametrize(("text", "parse_mode"), [("", None), (" \n\t ", None), ("<b> </b>", "HTML")])
async def test_empty_or_blank_text_is_rejected(fake, bot, text, parse_mode):
    with pytest.raises(BadRequest):
        await bot.send_message(GROUP.id, text, parse_mode=parse_mode)
    rejected_with(fake, "Bad Request: message text is empty")


async def test_text_that_is_not_valid_unicode_is_rejected(fake):
    # PTB cannot even encode a lone surrogate in a form; JSON can carry it as "\ud800".
    async with aiohttp.ClientSession() as session:
        body = {"chat_id": GROUP.id, "text": "broken \ud800 client"}
        async with session.post(f"{fake.base_url}{fake.token}/sendMessage", json=body) as response:
            assert response.status == 400
    rejected_with(fake, "Bad Request: strings must be encoded in UTF-8")


async def test_surrounding_whitespace_is_trimmed_and_entities_follow(bot):
    message = await bot.send_message(GROUP.id, "\n  <b>hi</b> there \n", parse_mode="HTML")

    assert message.text == "hi there"
    assert message.entities[0].to_dict() == {"type": "bold", "offset": 0, "length": 2}


async def test_explicit_entities_are_checked_against_the_text(fake, bot):
    bold = MessageEntity(MessageEntity.BOLD, offset=3, length=2)
    message = await bot.send_message(GROUP.id, "😀 ok", entities=[bold])
    assert message.parse_entity(message.entities[0]) == "ok"

    with pytest.raises(BadRequest, match="does not fit"):
        await bot.send_message(GROUP.id, "😀 ok", entities=[MessageEntity(MessageEntity.BOLD, offset=3, length=3)])


# ---------------------------------------------------------------------------------------- keyboards


@pytest.mark.parametrize(
    ("button", "description"),
    [
        pytest.param(InlineKeyboardButton("ok", callback_data="é" * 32), None, id="64-bytes"),
        pytest.param(InlineKeyboardButton("x", callback_data="é" * 32 + "a"), "BUTTON_DATA_INVALID", id="65-bytes"),
        pytest.param(
            InlineKeyboardButton("x", url="https://example.org", callback_data="d"),
            "can't parse inline keyboard button: exactly one of the optional fields must be used, "
            f"got url, callback_data{STRICT_NOTE}",
            id="two-actions",
        ),
        pytest.param(
            InlineKeyboardButton("x"),
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
            id="no-action",
        ),
        pytest.param(
            InlineKeyboardButton("", callback_data="d"),
            "can't parse inline keyboard button: button text must be non-empty",
            id="empty-text",
        ),
        pytest.param(InlineKeyboardButton("x", url="javascript:alert(1)"), "BUTTON_URL_INVALID", id="bad-url"),
    ],
)
async def test_inline_keyboard_is_validated(fake, bot, button, description):
    markup = InlineKeyboardMarkup([[button]])
    if description is None:
        message = await bot.send_message(GROUP.id, "pick", reply_markup=markup)
        assert message.reply_markup == markup
        return
    with pytest.raises(BadRequest):
        await bot.send_message(GROUP.id, "pick", reply_markup=markup)
    rejected_with(fake, f"Bad Request: {description}")


# ---------------------------------------------------------------------------------------- chats, replies, edits


async def test_unknown_chat_is_not_found(fake, bot):
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(-1009999999999, "hello")
    rejected_with(fake, "Bad Request: chat not found")


async def test_reply_to_a_pushed_message_shares_the_chat_counter(fake, bot):
    question = fake.push_update(group_text(GROUP, ALICE, "/ask@policybot_test_bot what is the policy?"))["message"]

    reply = await bot.send_message(GROUP.id, "The policy is…", reply_to_message_id=question["message_id"])

    assert reply.message_id == question["message_id"] + 1
    assert reply.reply_to_message.message_id == question["message_id"]
    assert reply.reply_to_message.from_user.id == ALICE.id
    assert [message["message_id"] for message in fake.messages_in(GROUP.id)] == [
        question["message_id"],
        reply.message_id,
    ]
    with pytest.raises(BadRequest):
        await bot.send_message(GROUP.id, "?", reply_to_message_id=999)
    rejected_with(fake, "Bad Request: message to be replied not found")


async def test_edits_are_checked_like_telegram(fake, bot):
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("more", callback_data="more")]])
    sent = await bot.send_message(GROUP.id, "<b>v1</b>", parse_mode="HTML", reply_markup=keyboard)

    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("<b>v1</b>", GROUP.id, sent.message_id, parse_mode="HTML", reply_markup=keyboard)
    edited = await bot.edit_message_text("v2", GROUP.id, sent.message_id)

    assert (edited.text, edited.reply_markup, edited.edit_date is not None) == ("v2", None, True)
    assert [message["text"] for message in fake.sent] == ["v1", "v2"]
    assert fake.messages_in(GROUP.id)[-1]["text"] == "v2"

    marked = await bot.edit_message_reply_markup(GROUP.id, sent.message_id, reply_markup=keyboard)
    assert marked.reply_markup == keyboard
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(GROUP.id, sent.message_id, reply_markup=keyboard)

    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("v3", GROUP.id, 4242)
    users_message = fake.push_update(group_text(GROUP, ALICE, "mine"))["message"]
    with pytest.raises(BadRequest, match="Message can't be edited"):
        await bot.edit_message_text("hijacked", GROUP.id, users_message["message_id"])


async def test_delete_message_and_chat_action(fake, bot):
    sent = await bot.send_message(GROUP.id, "bye")
    assert await bot.delete_message(GROUP.id, sent.message_id) is True
    assert fake.messages_in(GROUP.id) == []
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(GROUP.id, sent.message_id)

    assert await bot.send_chat_action(GROUP.id, "typing") is True
    with pytest.raises(BadRequest, match="Wrong parameter action"):
        await bot.send_chat_action(GROUP.id, "juggling")


# ---------------------------------------------------------------------------------------- inline queries


@pytest.mark.parametrize(
    ("results", "description"),
    [
        pytest.param([article(str(n)) for n in range(51)], "RESULTS_TOO_MUCH", id="51-results"),
        pytest.param([article("same"), article("same")], "RESULT_ID_DUPLICATE", id="duplicate-ids"),
        pytest.param([article("é" * 33)], "RESULT_ID_INVALID", id="66-byte-id"),
        pytest.param(
            [article("1", "a < b")], 'can\'t parse entities: Unsupported start tag "" at byte offset 2', id="bad-html"
        ),
        pytest.param([article("1", "x" * 4097)], "MESSAGE_TOO_LONG", id="too-long"),
    ],
)
async def test_bad_inline_answers_are_rejected(fake, bot, results, description):
    query = fake.push_update(inline_query(ALICE, "policy"))["inline_query"]

    with pytest.raises(BadRequest):
        await bot.answer_inline_query(query["id"], results)

    rejected_with(fake, f"Bad Request: {description}")
    assert fake.inline_answers == []


async def test_inline_answer_is_recorded_once(fake, bot):
    query = fake.push_update(inline_query(ALICE, "policy"))["inline_query"]
    results = [article(str(n)) for n in range(50)]

    assert await bot.answer_inline_query(query["id"], results, cache_time=0, is_personal=True) is True

    [answer] = fake.inline_answers
    assert (answer["inline_query_id"], answer["cache_time"], answer["is_personal"]) == (query["id"], 0, True)
    assert len(answer["results"]) == 50 and answer["results"][0]["input_message_content"]["parse_mode"] == "HTML"
    expired = "Query is too old and response timeout expired or query id is invalid"
    with pytest.raises(BadRequest, match=expired):
        await bot.answer_inline_query(query["id"], results)  # answered already
    with pytest.raises(BadRequest, match=expired):
        await bot.answer_inline_query("123", results)  # never delivered


async def test_stale_inline_query_cannot_be_answered(fake, bot):
    fake.query_max_age = 0.0
    query = fake.push_update(inline_query(ALICE, "late"))["inline_query"]
    await asyncio.sleep(0.01)

    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_inline_query(query["id"], [article("1")])


# ---------------------------------------------------------------------------------------- callback queries


async def test_callback_query_answers(fake, bot):
    sent = await bot.send_message(
        GROUP.id,
        "pick",
        reply_markup=InlineKeyboardMarkup.from_button(InlineKeyboardButton("yes", callback_data="yes")),
    )
    press = fake.push_update(callback_query(BOB, sent, "yes"))["callback_query"]

    with pytest.raises(BadRequest, match="Message_too_long"):
        await bot.answer_callback_query(press["id"], text="x" * 201)
    assert await bot.answer_callback_query(press["id"], text="x" * 200) is True
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(press["id"])

    [answer] = fake.callback_answers
    assert (answer["callback_query_id"], answer["text"], answer["show_alert"]) == (press["id"], "x" * 200, False)


# ---------------------------------------------------------------------------------------- commands


async def test_commands_are_stored_per_scope_and_language(fake, bot):
    groups = BotCommandScopeAllGroupChats()
    assert await bot.set_my_commands([BotCommand("ask", "Ask about a policy")])
    assert await bot.set_my_commands([BotCommand("/cite", " Quote a clause ")], scope=groups, language_code="de")

    assert [command.command for command in await bot.get_my_commands()] == ["ask"]
    assert await bot.get_my_commands(scope=groups) == ()
    assert fake.commands_for(groups.to_dict(), "de") == [{"command": "cite", "description": "Quote a clause"}]
    assert await bot.delete_my_commands() is True
    assert await bot.get_my_commands() == ()


@pytest.mark.parametrize(
    ("commands", "description"),
    [
        pytest.param([BotCommand("Ask", "d")], "BOT_COMMAND_INVALID", id="uppercase"),
        pytest.param([BotCommand("ask-me", "d")], "BOT_COMMAND_INVALID", id="hyphen"),
        pytest.param([BotCommand("a" * 33, "d")], "command length must not exceed 32", id="33-chars"),
        pytest.param([BotCommand(" ", "d")], "command must be non-empty", id="blank"),
        pytest.param([BotCommand("ask", "")], "command description must be non-empty", id="no-description"),
        pytest.param(
            [BotCommand("ask", "d" * 257)], "command description length must not exceed 256", id="long-description"
        ),
        pytest.param([BotCommand(f"c{n}", "d") for n in range(101)], "BOT_COMMANDS_TOO_MUCH", id="101-commands"),
    ],
)
async def test_bad_commands_are_rejected(fake, bot, commands, description):
    with pytest.raises(BadRequest):
        await bot.set_my_commands(commands)
    rejected_with(fake, f"Bad Request: {description}")


# ---------------------------------------------------------------------------------------- updates


async def test_long_poll_wakes_on_push_and_offset_confirms(fake, bot):
    polling = asyncio.Event()

    async def note_poll(call: Call) -> None:
        polling.set()

    fake.add_hook("getUpdates", note_poll)
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.wait_for(polling.wait(), 2)
    assert not poll.done()  # parked in the long poll

    loop = asyncio.get_running_loop()
    pushed_at = loop.time()
    pushed = fake.push_update(private_text(ALICE, "hello"))
    updates = await asyncio.wait_for(poll, 2)

    assert loop.time() - pushed_at < 1.0
    assert [(update.update_id, update.message.text) for update in updates] == [(pushed["update_id"], "hello")]
    assert len(await bot.get_updates(offset=pushed["update_id"])) == 1  # not confirmed yet
    assert await bot.get_updates(offset=pushed["update_id"] + 1) == ()
    assert fake.pending_updates == []


async def test_get_updates_honours_limit_and_allowed_updates(fake, bot):
    first = fake.push_update(private_text(ALICE, "one"))
    fake.push_update(inline_query(ALICE, "q"))
    fake.push_update(private_text(BOB, "two"))

    assert [update.update_id for update in await bot.get_updates(limit=1)] == [first["update_id"]]
    updates = await bot.get_updates(allowed_updates=["message"])
    assert [update.message.text for update in updates] == ["one", "two"]  # the inline query was dropped


async def test_stop_releases_a_waiting_poll(fake, bot):
    polling = asyncio.Event()

    async def note_poll(call: Call) -> None:
        polling.set()

    fake.add_hook("getUpdates", note_poll)
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.wait_for(polling.wait(), 2)

    await asyncio.wait_for(fake.stop(), 2)

    assert await asyncio.wait_for(poll, 2) == ()


async def test_webhook_blocks_polling_until_deleted(fake, bot):
    assert await bot.set_webhook("https://policybot.example/hook")
    assert (await bot.get_webhook_info()).url == "https://policybot.example/hook"
    with pytest.raises(Conflict):
        await bot.get_updates()
    assert await bot.delete_webhook()
    assert await bot.get_updates() == ()


def test_group_text_marks_commands_and_mentions_in_utf16():
    update = group_text(GROUP, ALICE, "/ask@policybot_test_bot 𝕏 ask @bob_the_builder, not me@example.org")

    message = Message.de_json(update["message"] | {"message_id": 1}, None)

    assert {entity.type: text for entity, text in message.parse_entities().items()} == {
        "bot_command": "/ask@policybot_test_bot",
        "mention": "@bob_the_builder",
    }
    assert message.from_user.id == ALICE.id and message.chat.id == GROUP.id


def test_builders_produce_telegram_shapes():
    anonymous = group_text(GROUP, None, "hi", sender_chat=GROUP)["message"]
    channel = Chat.channel("News")
    post = channel_post(channel, "/start")["channel_post"]
    edit = edited_message(post | {"message_id": 7}, "edited")

    assert (anonymous["from"]["username"], anonymous["sender_chat"]["id"]) == ("GroupAnonymousBot", GROUP.id)
    assert "from" not in post and post["sender_chat"]["id"] == channel.id
    assert str(channel.id).startswith("-100") and Chat.group().id < 0 < ALICE.id
    assert list(edit) == ["edited_channel_post"] and edit["edited_channel_post"]["text"] == "edited"


async def test_application_polls_the_fake_and_handles_a_command(fake):
    async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_html(f"<b>Asked:</b> {' '.join(context.args)}")

    app = ApplicationBuilder().token(fake.token).base_url(fake.base_url).base_file_url(fake.base_file_url).build()
    app.add_handler(CommandHandler("ask", ask))
    question = fake.push_update(group_text(GROUP, ALICE, "/ask@policybot_test_bot refunds?"))["message"]

    async with asyncio.timeout(15), app:
        await app.start()
        await app.updater.start_polling(timeout=dtm.timedelta(seconds=2))
        try:
            [reply] = await fake.wait_for_call("sendMessage", timeout=5)
        finally:
            await app.updater.stop()
            await app.stop()

    assert reply.ok, reply.description
    assert reply.result["text"] == "Asked: refunds?"
    assert reply.result["entities"] == [{"type": "bold", "offset": 0, "length": 6}]
    assert reply.result["reply_to_message"]["message_id"] == question["message_id"]
    assert fake.pending_updates == []  # the Application confirmed what it handled


# ---------------------------------------------------------------------------------------- faults and waiting


async def test_fail_next_answers_429_with_retry_after(fake, bot, monkeypatch):
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # RetryAfter.retry_after as timedelta, without a warning
    fake.fail_next("sendMessage", 429, retry_after=3)
    fake.fail_next("getMe", 500, times=2)

    with pytest.raises(RetryAfter) as error:
        await bot.send_message(GROUP.id, "hi")
    assert error.value.retry_after == dtm.timedelta(seconds=3)
    assert fake.sent == []  # a refused call has no effect
    assert (await bot.send_message(GROUP.id, "hi")).text == "hi"

    for _ in range(2):
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.get_me()
    assert (await bot.get_me()).username == "policybot_test_bot"
    assert [call.status for call in fake.calls if call.method == "getMe"] == [200, 500, 500, 200]


async def test_wait_for_call_times_out_listing_what_arrived(fake, bot):
    await bot.send_message(GROUP.id, "hi")

    with pytest.raises(TimeoutError, match=r"(?s)expected 1 answered answerCallbackQuery.*sendMessage .* 200 ok"):
        await fake.wait_for_call("answerCallbackQuery", timeout=0.1)
    [call] = await fake.wait_for_call("sendMessage", predicate=lambda call: call.params["text"] == "hi")
    assert call.result["text"] == "hi"
