"""Statistic actions against real Anki, on a review history the tests build:
answers through the API and through Anki's scheduler, plus crafted review-log
entries in past days.  Counts are checked against Anki's own statistics."""
import datetime
import time

import pytest

from harness import ApiError
from test_cards import add_cards, anki_answer

DAY = 86400


@pytest.fixture
def history(api, anki):
    """An empty review log (the collection reset keeps it), and the day cutoff."""
    anki.driver("mw.col.db.execute('delete from revlog'); result = True")
    return api


@pytest.fixture
def rollover(anki):
    """Set the hour the next day starts at; restored afterwards."""
    saved = anki.driver("result = mw.col.get_preferences().scheduling.rollover")

    def set_hour(hour):
        anki.driver(f"p = mw.col.get_preferences(); p.scheduling.rollover = {hour}; "
                    "mw.col.set_preferences(p); result = True")

    yield set_hour
    set_hour(saved)


def timing(anki):
    """(start of today, rollover hour) as Anki computes them."""
    cutoff, hour = anki.driver("result = [mw.col.sched.day_cutoff, "
                               "mw.col.get_preferences().scheduling.rollover]")
    return cutoff - DAY, hour


def anki_today(anki):
    """Today's review count on Anki's statistics screen."""
    return anki.driver("result = mw.col._backend.graphs(search='', days=3650).today.answer_count")


def anki_days(anki):
    """Reviews per day (0 today, -1 yesterday, ...) on Anki's statistics screen."""
    return {int(k): v for k, v in anki.driver("""
counts = mw.col._backend.graphs(search='', days=3650).reviews.count
result = {str(day): c.learn + c.relearn + c.young + c.mature + c.filtered
          for day, c in counts.items()}
""").items() if v}


def day_name(stamp, hour):
    """The date an Anki day is named by: reviews before the rollover hour
    count for the day before."""
    return (datetime.datetime.fromtimestamp(stamp) - datetime.timedelta(hours=hour)).date().isoformat()


def review(stamp_secs, cid, ease=3, ivl=1, last=-600, factor=2500, taken=4000, kind=1, offset=0):
    return [int(stamp_secs * 1000) + offset, cid, -1, ease, ivl, last, factor, taken, kind]


def test_reviews_today_and_by_day_match_ankis_statistics(history, anki):
    api = history
    a, b, c = add_cards(anki, 3)
    api.call("answerCards", answers=[{"cardId": a, "ease": 3}, {"cardId": b, "ease": 4}])
    anki_answer(anki, c, 1)
    start, hour = timing(anki)
    crafted = [
        review(start + 60, a),  # early today
        review(start - 60, a),  # late yesterday
        review(start - 2 * 3600, b),  # yesterday, maybe after midnight
        review(start - 3 * DAY + 600, c, offset=1),  # three days ago
        review(start - 3 * DAY + 700, c, kind=2),  # three days ago, relearning
        review(time.time() - 30, a, ease=0, kind=4, offset=2),  # manual: not a review
        review(start - DAY + 5, b, ease=0, kind=4),  # manual, yesterday
    ]
    assert api.call("insertReviews", reviews=crafted) is None

    assert api.call("getNumCardsReviewedToday") == 4 == anki_today(anki)
    by_day = api.call("getNumCardsReviewedByDay")
    today = day_name(start + 60, hour)
    assert by_day == [
        [today, 4],
        [day_name(start - 60, hour), 2],
        [day_name(start - 3 * DAY + 600, hour), 2],
    ]
    assert day_name(start - 2 * 3600, hour) == by_day[1][0]  # before the cutoff: yesterday
    # the same counts as Anki's statistics screen, day by day
    backend = anki_days(anki)
    today_date = datetime.date.fromisoformat(today)
    assert by_day == [[(today_date + datetime.timedelta(days=d)).isoformat(), n]
                      for d, n in sorted(backend.items(), reverse=True)]


def test_day_rollover_follows_the_collections_cutoff_hour(history, anki, rollover):
    api = history
    [cid] = add_cards(anki)
    now = datetime.datetime.now()
    # a review 30 to 90 minutes ago, at half past the previous hour
    earlier = (now - datetime.timedelta(hours=1)).replace(minute=30, second=0, microsecond=0)
    api.call("insertReviews", reviews=[review(earlier.timestamp(), cid),
                                       review(time.time() - 1, cid, offset=1)])

    rollover((now.hour - 1) % 24)  # the day began before that review: both are today's
    start, hour = timing(anki)
    assert start <= earlier.timestamp()
    assert api.call("getNumCardsReviewedToday") == 2 == anki_today(anki)
    assert api.call("getNumCardsReviewedByDay") == [[day_name(time.time(), hour), 2]]

    rollover(now.hour)  # now the day began after it: it was yesterday's
    start, hour = timing(anki)
    assert start > earlier.timestamp()
    assert api.call("getNumCardsReviewedToday") == 1 == anki_today(anki)
    by_day = api.call("getNumCardsReviewedByDay")
    assert by_day == [[day_name(time.time(), hour), 1], [day_name(earlier.timestamp(), hour), 1]]
    assert {d: n for d, n in anki_days(anki).items()} == {0: 1, -1: 1}


def test_card_reviews_and_latest_review_id(history, anki):
    api = history
    words = anki.driver("result = mw.col.decks.id('Words')")
    a, b = add_cards(anki, 2)
    [w] = add_cards(anki, 1, deck=words)
    assert api.call("cardReviews", deck="Default", startID=0) == []
    assert api.call("getLatestReviewID", deck="Default") == 0
    api.call("answerCards", answers=[{"cardId": a, "ease": 3, "time": 2500}])
    anki_answer(anki, b, 4)
    api.call("answerCards", answers=[{"cardId": w, "ease": 1}])
    rows = api.call("cardReviews", deck="Default", startID=0)
    assert [row[1] for row in rows] == [a, b]
    assert all(len(row) == 9 for row in rows)
    first = rows[0]
    assert (first[3], first[4], first[5], first[7], first[8]) == (3, -600, 0, 2500, 0)
    assert rows[1][3:5] == [4, anki.driver(f"result = mw.col.get_card({b}).ivl")]
    # the same entries Anki's card info shows
    assert anki.driver(f"result = [e.time for e in mw.col.card_stats_data({a}).revlog]") == [first[0] // 1000]
    assert api.call("cardReviews", deck="Default", startID=first[0]) == [rows[1]]
    assert api.call("cardReviews", deck="Words", startID=0)[0][1] == w
    assert api.call("cardReviews", deck="No such deck", startID=0) == []
    assert api.call("getLatestReviewID", deck="Default") == rows[1][0]
    assert api.call("getLatestReviewID", deck="No such deck") == 0
    assert "No such deck" not in api.call("deckNames")  # reading creates no deck


def test_get_reviews_of_cards(history, anki):
    api = history
    a, b = add_cards(anki, 2)
    api.call("answerCards", answers=[{"cardId": a, "ease": 1, "time": 1200}, {"cardId": a, "ease": 3}])
    result = api.call("getReviewsOfCards", cards=[a, b, 42])
    assert set(result) == {str(a), str(b), "42"}
    assert result[str(b)] == [] and result["42"] == []
    again, good = result[str(a)]
    assert set(again) == {"id", "usn", "ease", "ivl", "lastIvl", "factor", "time", "type"}
    assert (again["ease"], again["ivl"], again["time"], again["type"]) == (1, -60, 1200, 0)
    assert (good["ease"], good["ivl"], good["lastIvl"]) == (3, -600, -60)
    assert again["id"] < good["id"]
    rows = api.call("cardReviews", deck="Default", startID=0)
    assert [[r[0], r[2], r[3], r[4], r[5], r[6], r[7], r[8]] for r in rows] == [
        [e["id"], e["usn"], e["ease"], e["ivl"], e["lastIvl"], e["factor"], e["time"], e["type"]]
        for e in (again, good)]


def test_insert_reviews(history, anki):
    api = history
    [cid] = add_cards(anki)
    start, _ = timing(anki)
    rows = [review(start - 5 * DAY, cid, ease=3, ivl=3, last=1, taken=6157),
            review(start - 2 * DAY, cid, ease=1, ivl=-600, last=3, kind=1)]
    assert api.call("insertReviews", reviews=rows) is None
    assert api.call("cardReviews", deck="Default", startID=0) == rows
    assert anki.driver(f"result = len(mw.col.card_stats_data({cid}).revlog)") == 2
    assert api.call("getLatestReviewID", deck="Default") == rows[1][0]
    assert [n for _, n in api.call("getNumCardsReviewedByDay")] == [1, 1]
    # an id already in the log: an error, and nothing of the batch is added
    with pytest.raises(ApiError, match=str(rows[0][0])):
        api.call("insertReviews", reviews=[review(start - DAY, cid), rows[0]])
    with pytest.raises(ApiError, match="same id"):
        api.call("insertReviews", reviews=[review(start - DAY, cid)] * 2)
    with pytest.raises(ApiError, match="9 numbers"):
        api.call("insertReviews", reviews=[[1, 2, 3]])
    assert api.call("cardReviews", deck="Default", startID=0) == rows
    assert api.call("insertReviews", reviews=[]) is None


def test_collection_stats_html(history, anki):
    api = history
    ids = add_cards(anki, 2)
    api.call("answerCards", answers=[{"cardId": cid, "ease": 3} for cid in ids])
    html = api.call("getCollectionStatsHTML", wholeCollection=True)
    expected = anki.driver("s = mw.col.stats(); s.wholeCollection = True; result = s.report()")
    assert html.startswith("<") and len(html) > 1000
    assert html.split("<script")[0] == expected.split("<script")[0]
    assert "2" in html
    deck_only = api.call("getCollectionStatsHTML", wholeCollection=False)
    assert deck_only.startswith("<") and len(deck_only) > 1000
    assert api.call("getCollectionStatsHTML").split("<script")[0] == html.split("<script")[0]
