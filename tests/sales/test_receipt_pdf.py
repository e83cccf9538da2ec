"""The PDF e-receipt at /r/<token>/receipt.pdf: the same receipt as the page and the printer, in Chinese,
behind the same unguessable link."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from pypdf import PdfReader

from mendian.sales.models import Return
from mendian.sales.receipt_render import receipt_from_order, receipt_from_return, receipt_pdf, receipt_rows
from mendian.stores.models import StaffProfile
from tests.sales.conftest import return_one

pytestmark = pytest.mark.django_db

MM = 72 / 25.4


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


def test_pdf_e_receipt_downloads_with_the_store_lines_and_total_in_chinese(cash_order: Any) -> None:
    # when anyone holding the receipt link asks for its PDF (no login)
    response = Client().get(f"/r/{cash_order.receipt_token}/receipt.pdf")
    # then a PDF comes back, named after the order and kept out of search engines
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert response["Content-Disposition"] == f'inline; filename="receipt-{cash_order.number}.pdf"'
    assert response["X-Robots-Tag"] == "noindex"
    # and its text is the receipt: store, order, every line, the total, the cash and the change
    text = pdf_text(response.content)
    assert "A店" in text
    assert f"单号：{cash_order.number}" in text
    assert "可口可乐 500ml" in text
    assert "农夫山泉" in text
    assert "2 x 3.00" in text and "6.00" in text
    assert "1 x 2.00" in text
    assert re.search(r"合计\s*8\.00", text)
    assert re.search(r"现金\s*10\.00", text)
    assert re.search(r"找零\s*2\.00", text)
    assert "谢谢惠顾" in text


def test_pdf_draws_every_row_of_the_receipt_layout(cash_order: Any) -> None:
    # the PDF is drawn from the rows the printer prints, so nothing of the receipt is left out
    with translation.override("zh-hans"):
        receipt = receipt_from_order(
            cash_order, receipt_url=f"http://shop.example/r/{cash_order.receipt_token}/"
        )
        rows = receipt_rows(receipt)
        text = pdf_text(receipt_pdf(receipt))
    assert len(rows) > 15
    for row in rows:
        assert row.left in text, row
        assert row.right in text, row
    # and under them the e-receipt's QR with its caption, the member claim's, and the thanks
    assert "扫码查看电子小票" in text
    assert "谢谢惠顾，欢迎再次光临！" in text


def test_pdf_page_is_as_wide_as_the_paper(cash_order: Any) -> None:
    for paper_mm in (58, 80):
        response = Client().get(f"/r/{cash_order.receipt_token}/receipt.pdf", {"paper": str(paper_mm)})
        page = PdfReader(io.BytesIO(response.content)).pages[0]
        assert float(page.mediabox.width) == pytest.approx(paper_mm * MM, abs=0.01)
        assert float(page.mediabox.height) > float(page.mediabox.width)


def test_pdf_follows_the_browser_language(cash_order: Any) -> None:
    response = Client(headers={"accept-language": "zh-Hant"}).get(
        f"/r/{cash_order.receipt_token}/receipt.pdf"
    )
    text = pdf_text(response.content)
    assert re.search(r"合計\s*8\.00", text)
    assert "收銀員" in text


def test_pdf_of_a_wrong_token_is_404(cash_order: Any) -> None:
    client = Client()
    assert client.get("/r/" + "x" * 22 + "/receipt.pdf").status_code == 404
    assert client.get("/r/short/receipt.pdf").status_code == 404
    other = cash_order.receipt_token[:-1] + ("A" if cash_order.receipt_token[-1] != "A" else "B")
    assert client.get(f"/r/{other}/receipt.pdf").status_code == 404
    assert client.post(f"/r/{cash_order.receipt_token}/receipt.pdf").status_code == 405


def test_e_receipt_page_links_to_its_pdf(cash_order: Any) -> None:
    html = Client().get(f"/r/{cash_order.receipt_token}/").content.decode()
    link = re.search(r'<a class="pdf" href="([^"]+)" download data-testid="receipt-pdf">([^<]+)</a>', html)
    assert link is not None
    assert link.group(1) == f"/r/{cash_order.receipt_token}/receipt.pdf"
    assert link.group(2) == "下载 PDF"
    hant = Client(headers={"accept-language": "zh-Hant"}).get(f"/r/{cash_order.receipt_token}/").content
    assert "下載 PDF" in hant.decode()
    # the 58 mm page links to the 58 mm PDF
    html_58 = Client().get(f"/r/{cash_order.receipt_token}/", {"paper": "58"}).content.decode()
    assert f'href="/r/{cash_order.receipt_token}/receipt.pdf?paper=58"' in html_58


def test_refund_slip_renders_as_pdf_marked_refund(
    cash_order: Any, chain: Any, cashier_a: StaffProfile
) -> None:
    # a refund slip is a receipt too: the PDF renderer draws it with its mark and refund total
    ret = return_one(cashier_a, cash_order, chain.register_a, "农夫山泉", "包装破损")
    ret = Return.objects.select_related("store", "register", "order", "cashier__staff").get(pk=ret.pk)
    with translation.override("zh-hans"):
        text = pdf_text(receipt_pdf(receipt_from_return(ret)))
    assert "退款" in text
    assert re.search(r"退款合计\s*2\.00", text)
    assert "包装破损" in text
