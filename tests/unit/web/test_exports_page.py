from __future__ import annotations


def test_every_table_an_export_can_hold_has_a_title_on_the_exports_page() -> None:
    from services.evaluation.schemas import TABLE_NAMES
    from services.web.pages.exports import TABLE_TITLES

    assert sorted(TABLE_TITLES) == sorted(TABLE_NAMES)
