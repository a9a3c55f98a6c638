"""How a protected table is published: wide rows, HXL hashtags (core and custom attributes),
amounts as exact decimal text, the suppression symbol."""

from __future__ import annotations

from services.evaluation.domain.frame import frame_of
from services.evaluation.domain.protect import protect
from services.evaluation.domain.settings import AgeBand, DisclosureSettings, TableSettings
from services.evaluation.domain.tables import aggregate
from services.evaluation.usecases.formats import csv_files
from services.evaluation.usecases.layout import TABLES, cents_text, sheet
from tests.unit.evaluation.factories import H1, fact


def test_amounts_are_written_exactly_from_cents() -> None:
    assert cents_text(0) == "0.00"
    assert cents_text(5) == "0.05"
    assert cents_text(123_456) == "1234.56"
    assert cents_text(-250) == "-2.50"


def test_returns_are_published_by_sex_and_age_with_hxl_attributes() -> None:
    facts = [fact(sex="female", age_band="18-59") for _ in range(6)]
    facts += [fact(sex="male", age_band="0-4")]
    settings = TableSettings()
    table = aggregate(frame_of(facts, settings), TABLES["returns"].spec(H1))
    published = sheet("returns", protect(table, DisclosureSettings()), H1, settings, "k = 5")

    tags = dict(zip(published.headers, published.hashtags, strict=True))
    assert tags["Destination country"] == "#country+code+dest"
    assert tags["female 18-59"] == "#affected+returnees+f+age18_59+adults"
    assert tags["male 0-4"] == "#affected+returnees+m+age0_4+children"
    assert tags["other 60+"] == "#affected+returnees+sex_other+age60plus+elderly"
    assert tags["unknown unknown"] == "#affected+returnees+sex_unknown+age_unknown"
    assert tags["Total Total"] == "#affected+returnees+total"
    gt = dict(zip(published.headers, published.rows[0], strict=True))
    assert gt["Destination country"] == "GT"
    assert gt["male 0-4"] == "x"  # one person
    # 7 people less 6 women would give the man: one of the two is hidden
    assert "x" in (gt["female Total"], gt["Total Total"])
    assert gt["female 0-4"] == 0


def test_custom_age_bands_get_custom_attributes_and_the_core_group_that_fits() -> None:
    settings = TableSettings(
        age_bands=(
            AgeBand(label="0-17", low=0, high=17),
            AgeBand(label="18-24", low=18, high=24),
            AgeBand(label="25+", low=25),
        )
    )
    facts = [fact(age_band="18-24") for _ in range(5)]
    table = aggregate(frame_of(facts, settings), TABLES["returns"].spec(H1))
    published = sheet("returns", protect(table, DisclosureSettings()), H1, settings, "")

    tags = dict(zip(published.headers, published.hashtags, strict=True))
    assert tags["female 0-17"].endswith("+f+age0_17+children")
    assert tags["female 18-24"].endswith("+f+age18_24+adults")
    assert tags["female 25+"].endswith("+f+age25plus")  # neither adults nor elderly alone
    files = csv_files([published], ["about"])
    assert files["returns.csv"].splitlines()[1].startswith(b"#date+start,#date+end,")
    assert b"+returnees (proposed" in files["notes.txt"]
