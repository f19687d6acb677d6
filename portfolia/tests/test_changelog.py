"""The write logs behind incremental recomputes: the earliest date since a version, or None."""

from datetime import date

from portfolia.changelog import LOG_LENGTH, changed_since, log_append


def test_the_earliest_date_of_every_write_since_a_version():
    log = log_append(None, 1, date(2024, 5, 1))
    log = log_append(log, 2, date(2024, 3, 9))
    log = log_append(log, 3, date(2024, 6, 30))
    assert log == [[1, "2024-05-01"], [2, "2024-03-09"], [3, "2024-06-30"]]
    assert changed_since(log, 0, 3) == date(2024, 3, 9)
    assert changed_since(log, 2, 3) == date(2024, 6, 30)
    assert changed_since(log, 1, 2) == date(2024, 3, 9)


def test_an_unknown_write_means_everything_may_have_changed():
    log = [[5, "2024-05-01"], [6, "2024-05-02"]]
    assert changed_since(log, 3, 6) is None  # version 4 is not in the log
    assert changed_since(log, 6, 6) is None  # nothing after it: the caller asks only on a move
    assert changed_since(log, 7, 6) is None  # a cache from the future (a restored database)
    assert changed_since(None, 0, 1) is None


def test_the_log_keeps_the_last_writes_only():
    log = None
    for version in range(1, LOG_LENGTH + 11):
        log = log_append(log, version, date(2024, 1, 1 + version % 28))
    assert len(log) == LOG_LENGTH
    assert log[0][0] == 11
    assert changed_since(log, 10, LOG_LENGTH + 10) is not None
    assert changed_since(log, 9, LOG_LENGTH + 10) is None


def test_a_version_written_again_replaces_the_later_entries():
    # A rolled-back write never reaches the log (it is written in the same transaction), but a
    # log restored from a backup may hold versions at or above the one being written.
    log = [[1, "2024-01-01"], [2, "2024-02-01"]]
    assert log_append(log, 2, date(2024, 3, 1)) == [[1, "2024-01-01"], [2, "2024-03-01"]]
