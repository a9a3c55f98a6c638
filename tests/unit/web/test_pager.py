from __future__ import annotations

from services.web.templating import environment


def pager(language: str, page: int, pages: int, query: str = "") -> str:
    template = environment(language).from_string(
        '{% from "pager.html" import pager %}{{ pager(page, pages, query) }}'
    )
    return template.render(page=page, pages=pages, query=query)


def test_the_pager_keeps_the_filters_on_both_links() -> None:
    html = pager("en", 2, 3, "status=eligible")
    assert 'href="?page=1&amp;status=eligible"' in html
    assert 'href="?page=3&amp;status=eligible"' in html
    assert "Page 2 of 3" in html


def test_the_first_and_last_pages_link_only_one_way_and_one_page_shows_no_pager() -> None:
    first, last = pager("es", 1, 2), pager("es", 2, 2)
    assert "?page=2" in first and "?page=0" not in first
    assert "?page=1" in last and "?page=3" not in last
    assert "Página 1 de 2" in first
    assert pager("es", 1, 1).strip() == ""


def test_the_page_count_rounds_up_and_is_never_zero() -> None:
    from services.web.pages.common import page_count

    assert [page_count(n, 50) for n in (0, 1, 50, 51, 100)] == [1, 1, 1, 2, 2]
