"""CSV exports neutralise formulas (a leading apostrophe on text a spreadsheet would run) and
Portfolia's import restores exactly what was written."""

import pytest

from portfolia.csv_text import cell_neutralised, cell_restored, csv_text


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (
            '=HYPERLINK("http://evil.example","click")',
            '\'=HYPERLINK("http://evil.example","click")',
        ),
        ("+1 555 0100", "'+1 555 0100"),
        ("-", "'-"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("'=x", "''=x"),  # already an apostrophe: one more, so the import removes only ours
        ("'quoted", "'quoted"),  # an apostrophe before harmless text stays as it is
        ("-12.5", "-12.5"),  # numbers are not formulas
        ("+3", "+3"),
        ("-1e-05", "-1e-05"),
        ("plain = text", "plain = text"),
        ("", ""),
    ],
)
def test_text_a_spreadsheet_would_run_gets_one_apostrophe_and_comes_back(value, written):
    assert cell_neutralised(value) == written
    assert cell_restored(written) == value


def test_numbers_and_other_values_pass_through_and_the_text_is_quoted_as_needed():
    assert cell_neutralised(-5) == -5
    assert csv_text(["a", "b", "c"], [[-5, "=1+1", "x,y"]]) == 'a,b,c\n-5,\'=1+1,"x,y"\n'
