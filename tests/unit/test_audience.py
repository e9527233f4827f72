"""A customer's mail never carries what only agents may see, whatever its template says."""

from __future__ import annotations

from pathlib import Path

from postdesk.config.settings import Settings
from postdesk.notify.audience import CUSTOMER_TEMPLATES, for_customer
from postdesk.notify.checks import check_templates
from postdesk.notify.samples import SAMPLES, sample_context


def test_customer_context_leaves_out_the_internal_status_and_the_note_address() -> None:
    context = {"ticket": {"id": 7, "status": "waiting_for_vendor",
                          "public_status": "In progress"},
               "note_address": "support+7-n-abc@example.com", "customer": {"name": "Zoë"}}
    safe = for_customer(context)
    assert safe == {"ticket": {"id": 7, "public_status": "In progress"},
                    "customer": {"name": "Zoë"}}
    assert context["ticket"]["status"] == "waiting_for_vendor"  # the agents' copy is intact


def test_every_customer_template_has_a_sample_without_internals() -> None:
    assert set(SAMPLES) >= CUSTOMER_TEMPLATES
    for name in CUSTOMER_TEMPLATES:
        context = sample_context(name)
        assert "status" not in context.get("ticket", {}) and "note_address" not in context, name
    assert "status" in sample_context("agent_new_ticket")["ticket"]


def _override(base: Path, name: str, text: str) -> None:
    folder = base / "templates" / "email"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.txt.j2").write_text(text, encoding="utf-8")


def test_check_refuses_a_customer_template_that_shows_the_internal_status(
        tmp_path: Path) -> None:
    _override(tmp_path, "acknowledgment", "Status: {{ ticket.status }}\n")
    result = check_templates(Settings(base_dir=tmp_path))
    assert not result.ok
    assert any("acknowledgment.txt.j2:1" in error and "status" in error
               for error in result.errors), result.errors


def test_agents_templates_may_show_it(tmp_path: Path) -> None:
    _override(tmp_path, "agent_new_ticket", "Status: {{ ticket.status }}\n")
    result = check_templates(Settings(base_dir=tmp_path))
    assert result.ok, result.errors
