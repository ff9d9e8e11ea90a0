from tests.support import lines_of, run, setup_card, signup, timeline


def test_trial_ending_mid_month_prorates_the_first_paid_month() -> None:
    # Signed up Jan 10 (day 1) -> last trial day Jan 23, paid from Jan 24.
    # January: 8 paid days (24..31) x 25 licences = 200 licence-days;
    # annual line = (60 / 12) x 200 / 31 = 32.258... -> 32.26.
    result = run(
        timeline(
            signup("2026-01-10T09:00:00-08:00", "chrome", "annual", 25, "60.00"),
            setup_card("2026-01-15T08:00:00-08:00"),
            until="2026-02-01T00:00:00-08:00",
        )
    )
    assert lines_of(result, "2026-01") == {"chrome": (200, "32.26")}
