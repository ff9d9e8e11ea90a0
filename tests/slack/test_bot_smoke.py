from tests.slack.bot import SUPER, Running


def test_help_answers_ephemerally(bot: Running) -> None:
    answer = bot.command(SUPER, "help", response_url=bot.slack.response_url("help"))
    assert answer.status == 200
    reply = bot.last_response("help")
    assert reply["response_type"] == "ephemeral"
    assert "/license buy chrome 25" in str(reply["blocks"])
