"""What the "add provider source" form must show for our card, and the checks of it.

Two views of the same form: the provider schema the dashboard receives (any host, also those
whose WebUI is not installed: :func:`schema_problems`) and the rendered rows read from the
browser (:func:`form_problems`). Every field of our template must have a human label — not
its raw key, not an unresolved ``provider_group.`` i18n key — in zh-CN and en-US, and a hint.
This plugin's own fields must show the texts of ``provider/form_text.py`` (in that language,
or both languages in one label where the host cannot tell which one the admin reads); the
host's own fields keep the host's translated labels (:data:`HOST_LABELS`).
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tools.plugin_root import REPO

#: Template keys that are not form fields (identity / routing; the host sets them).
NOT_FORM_FIELDS = frozenset({"type", "provider_type", "enable", "provider"})
#: Template keys the 4.29 WebUI strips from a new source and shows in the *model* dialog.
MODEL_DIALOG_FIELDS = frozenset({"custom_extra_body"})
#: Labels the host's WebUI gives the core fields we reuse (AstrBot 4.25 – 4.29 bundles).
HOST_LABELS: dict[str, dict[str, str]] = {
    "id": {"zh-CN": "ID", "en-US": "ID"},
    "key": {"zh-CN": "API Key", "en-US": "API Key"},
    "api_base": {"zh-CN": "API Base URL", "en-US": "API Base URL"},
    "timeout": {"zh-CN": "超时时间", "en-US": "Timeout"},
    "proxy": {"zh-CN": "代理地址", "en-US": "Proxy"},
    "custom_headers": {"zh-CN": "自定义请求头", "en-US": "Custom request headers"},
    "custom_extra_body": {
        "zh-CN": "自定义请求体参数",
        "en-US": "Custom request body parameters",
    },
}


@dataclass
class FormRow:
    """One row of a WebUI config form as rendered."""

    label: str
    hint: str
    widget: str
    value: Any


@functools.cache
def form_text() -> Any:
    """The plugin's ``provider/form_text.py`` (standalone: loaded from its file, so that no
    AstrBot root is needed)."""
    path = REPO / "provider" / "form_text.py"
    spec = importlib.util.spec_from_file_location("_plugin_form_text", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def form_fields(template: dict[str, Any]) -> list[str]:
    """Template keys that must appear in the *source* form."""
    return [k for k in template if k not in NOT_FORM_FIELDS | MODEL_DIALOG_FIELDS]


def expected_label(name: str, locale: str) -> str:
    """What the label of ``name`` must contain in ``locale``: the host's translation for the
    host's fields, our text (:mod:`provider.form_text`) for ours; the raw key otherwise."""
    if name in HOST_LABELS:
        return HOST_LABELS[name][locale]
    texts = form_text()
    return texts.text(name, locale).label if name in texts.FIELDS else name


def expected_hint(name: str, locale: str) -> str:
    """What the hint of one of our fields must contain in ``locale`` ("" for host fields)."""
    texts = form_text()
    return texts.text(name, locale).hint if name in texts.FIELDS else ""


def expected_widget(item: dict[str, Any] | None) -> str:
    """The widget the 4.29 ``ConfigItemRenderer`` draws for a schema item (see the bundle)."""
    if not item:
        return "text"
    kind = item.get("type")
    if kind == "bool":
        return "switch"
    if kind in ("int", "float") and item.get("slider"):
        return "slider"
    if item.get("options"):
        return "select"
    return {
        "int": "number",
        "float": "number",
        "list": "list",
        "dict": "dict",
        "text": "textarea",
    }.get(str(kind), "text")


def is_human(label: str, name: str) -> bool:
    """Not empty, not the raw key, not an unresolved i18n key."""
    text = label.strip()
    return bool(text) and text != name and not text.startswith("provider_group.")


def find_row(rows: Iterable[FormRow], name: str, locale: str) -> FormRow | None:
    """The row whose label shows ``name``'s expected label (exactly, or as one half of a
    bilingual label)."""
    want = expected_label(name, locale)
    for row in rows:
        if row.label == want or want in row.label.split(form_text().SEPARATOR):
            return row
    return None


def form_problems(
    rows: list[FormRow], template: dict[str, Any], items: dict[str, Any], locale: str
) -> tuple[list[str], int]:
    """Problems of the rendered form in ``locale``, and how many fields have a human label
    and a hint."""
    problems: list[str] = []
    labelled = 0
    for name in form_fields(template):
        row = find_row(rows, name, locale)
        if row is None:
            want = expected_label(name, locale)
            problems.append(f"[{locale}] field {name!r} (label {want!r}) not in the form")
            continue
        if name not in HOST_LABELS and row.widget != expected_widget(items.get(name)):
            problems.append(f"[{locale}] field {name!r}: widget {row.widget!r}")
        hint = expected_hint(name, locale)
        if not is_human(row.label, name) or not row.hint.strip() or hint not in row.hint:
            problems.append(f"[{locale}] field {name!r}: label {row.label!r}, hint {row.hint!r}")
            continue
        labelled += 1
    raw = [r.label for r in rows if r.label.startswith("provider_group.")]
    if raw:
        problems.append(f"[{locale}] raw i18n keys shown as labels: {raw}")
    return problems, labelled


def schema_problems(schema: dict[str, Any], template_name: str) -> list[str]:
    """Problems of the provider schema the dashboard receives (``config_schema["provider"]``).

    Our card's template must be there; each of our fields' items must carry its label and
    hint in both languages (the host sends no locale with this request); each host field
    must have an item with a ``description`` for the WebUI to show — the host's own, or
    ours where the host has none (``form_text.HOST_FIELDS``, e.g. ``proxy`` before 4.16).
    """
    template = (schema.get("config_template") or {}).get(template_name)
    if not template:
        return [f"schema has no config_template[{template_name!r}]"]
    items = schema.get("items") or {}
    texts = form_text()
    problems: list[str] = []
    for name in form_fields(template):
        item = items.get(name) or {}
        description, hint = str(item.get("description") or ""), str(item.get("hint") or "")
        if name not in texts.FIELDS and description:
            continue  # a host field with the host's text (or ours, checked below if ours)
        if name not in texts.FIELDS and name not in texts.HOST_FIELDS:
            problems.append(f"host field {name!r} has no description item")
            continue
        for locale in texts.LOCALES:
            want = texts.text(name, locale)
            if want.label not in description or want.hint not in hint:
                problems.append(
                    f"field {name!r}: {locale} text missing (description {description!r})"
                )
    return problems
