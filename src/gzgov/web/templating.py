"""The Jinja2 environment shared by every application, and `render` for full pages and htmx fragments.

Templates are looked up in web/templates (base.html, shared `_partials`) and then in each
application's own templates directory (`forest/templates/forest/...`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from gzgov.core.auth import Actor
from gzgov.core.basis import Citation, cite
from gzgov.core.geo import district_name
from gzgov.core.money import fmt_area, fmt_wan, fmt_yuan
from gzgov.web.deps import actor_of, csrf_token, is_htmx
from gzgov.web.i18n import lang_of, other_lang, translate

PACKAGE_DIR = Path(__file__).resolve().parents[1]
WEB_DIR = Path(__file__).resolve().parent
# Add an application's templates directory here (docs/web.md, "Adding a page").
TEMPLATE_DIRS = [WEB_DIR / "templates", PACKAGE_DIR / "forest" / "templates", PACKAGE_DIR / "plan" / "templates",
                 PACKAGE_DIR / "finreg" / "templates"]


@dataclass(frozen=True)
class NavItem:
    label: str  # message id
    href: str
    permission: str
    hide_for: tuple[str, ...] = ()  # not shown to whoever holds one of these (another application's officials)


# Public pages of one application are left out of the navigation of another application's officials.
OTHER_OFFICIALS_THAN_FOREST = ("plan.view", "finreg.view", "finreg.cases.feedback")
OTHER_OFFICIALS_THAN_PLAN = ("forest.view", "finreg.view", "finreg.cases.feedback")

# The header navigation; an item shows only to roles holding its permission.
NAV = [
    NavItem("nav.dashboard", "/forest/", "forest.view"),
    NavItem("nav.parcels", "/forest/parcels", "forest.view"),
    NavItem("nav.payees", "/forest/payees", "forest.view"),
    NavItem("nav.standards", "/forest/standards", "forest.view"),
    NavItem("nav.funding", "/forest/funding", "forest.view"),
    NavItem("nav.import", "/forest/import", "forest.registry.edit"),
    NavItem("nav.cycle", "/forest/cycle", "forest.view"),
    NavItem("nav.reports", "/forest/reports", "forest.export"),
    NavItem("nav.exceptions", "/forest/exceptions", "forest.export"),
    NavItem("nav.publicity", "/forest/publicity", "forest.publicity.view", hide_for=OTHER_OFFICIALS_THAN_FOREST),
    NavItem("nav.finreg", "/finreg/", "finreg.view"),
    NavItem("nav.finreg_ratings", "/finreg/ratings", "finreg.view"),
    NavItem("nav.finreg_rules", "/finreg/rules", "finreg.view"),
    NavItem("nav.finreg_fundraising", "/finreg/fundraising", "finreg.view"),
    NavItem("nav.finreg_blacklist", "/finreg/blacklist", "finreg.view"),
    NavItem("nav.finreg_index", "/finreg/price-index", "finreg.view"),
    NavItem("nav.finreg_mine", "/finreg/my", "finreg.cases.feedback", hide_for=("finreg.view",)),
    NavItem("nav.plan", "/plan/", "plan.view"),
    NavItem("nav.plan_values", "/plan/values", "plan.view"),
    NavItem("nav.plan_projects", "/plan/projects", "plan.view"),
    NavItem("nav.plan_zones", "/plan/zones", "plan.view"),
    NavItem("nav.plan_evaluations", "/plan/evaluations", "plan.view"),
    NavItem("nav.plan_structure", "/plan/structure", "plan.public", hide_for=OTHER_OFFICIALS_THAN_PLAN),
    NavItem("nav.plan_review", "/plan/review", "plan.public", hide_for=OTHER_OFFICIALS_THAN_PLAN),
    NavItem("nav.plan_public", "/public/plan", "plan.public", hide_for=OTHER_OFFICIALS_THAN_PLAN),
    NavItem("nav.audit", "/audit", "audit.view"),
]


# ------------------------------------------------------------------ template globals and filters

@pass_context
def _t(ctx, key: str, **fields: object) -> str:
    return translate(ctx.get("lang", "zh"), key, **fields)


@pass_context
def _label(ctx, choice) -> str:
    """Label of a LabelledChoice member in the page language ('' for None)."""
    return "" if choice is None else choice.label(ctx.get("lang", "zh"))


@pass_context
def _district(ctx, code: str | None) -> str:
    return district_name(code, ctx.get("lang", "zh"))


@pass_context
def _role_label(ctx, actor: Actor) -> str:
    return actor.role.label_en if ctx.get("lang") == "en" else actor.role.label_zh


def basis(clause: str | None) -> Citation | None:
    """The citation of a clause id ("forest §4(1)3"), or None for free text (a new standard's own basis)."""
    if not clause:
        return None
    if clause.startswith("plan "):
        from gzgov.plan.views import plan_citation

        return plan_citation(clause)
    try:
        return cite(clause)
    except KeyError:
        return None


def thousands(text: str | int) -> str:
    """'37342.72' -> '37,342.72' (keeps the decimals as given); integers too."""
    text = str(text)
    sign = "-" if text.startswith("-") else ""
    whole, _, frac = text.lstrip("-").partition(".")
    grouped = f"{int(whole):,}" if whole.isdigit() else whole
    return sign + grouped + (f".{frac}" if frac else "")


def wan(fen: int) -> str:
    """Amount in 万元, two decimals, grouped."""
    return thousands(fmt_wan(fen or 0))


def yuan(fen: int | None) -> str:
    return "" if fen is None else thousands(fmt_yuan(fen))


def area(area_e4: int | None) -> str:
    """Area in mu, grouped."""
    return thousands(fmt_area(area_e4 or 0))


def wanmu(area_e4: int | None) -> str:
    """Area in 万亩, two decimals (the document's unit for programme areas)."""
    return str((Decimal(area_e4 or 0) / 100_000_000).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def percent_bp(bp: int) -> str:
    """Basis points as a percentage: 7000 -> '70%'."""
    return f"{(Decimal(bp) / 100).normalize():f}%"


def jsontext(value: object) -> str:
    """Readable compact JSON (Chinese kept as is) for audit before/after values; autoescaped by Jinja."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def dec(value: Decimal | None, places: int = 2) -> str:
    """A Decimal rounded half-up for display."""
    if value is None:
        return ""
    return str(Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def pct(value: Decimal | None) -> str:
    """A fraction as a percentage with one decimal: 0.4 -> '40.0%'."""
    return "" if value is None else f"{dec(Decimal(value) * 100, 1)}%"


def when(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M")


def url_with(request: Request, **changes: object) -> str:
    """This page's URL with some query parameters changed (None or '' removes one); `lang` is dropped."""
    params = {k: v for k, v in request.query_params.items() if k != "lang"}
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    query = urlencode(params)
    return request.url.path + (f"?{query}" if query else "")


def _lang_url(request: Request, lang: str) -> str:
    params = dict(request.query_params) | {"lang": lang}
    return request.url.path + "?" + urlencode(params)


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader([str(d) for d in TEMPLATE_DIRS]),
                      autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True,
                      undefined=StrictUndefined)  # a misspelt or missing variable fails (and its test) loudly
    env.globals.update(t=_t, label=_label, district=_district, role_label=_role_label, basis=basis,
                       url_with=url_with)
    env.filters.update(wan=wan, yuan=yuan, area=area, wanmu=wanmu, percent_bp=percent_bp, when=when, jsontext=jsontext, yuan_plain=fmt_yuan, dec=dec, pct=pct,
                       thousands=thousands)
    return env


templates = Jinja2Templates(env=_env())


# ------------------------------------------------------------------ rendering

def flash(request: Request, key: str, **fields: object) -> None:
    """A one-time message shown on the next page (translated when shown)."""
    request.session["flash"] = {"key": key, "fields": {k: str(v) for k, v in fields.items()}}


def _shown(item: NavItem, actor: Actor) -> bool:
    return actor.can(item.permission) and not any(actor.can(p) for p in item.hide_for)


def start_page(actor: Actor) -> str:
    """The first page of the navigation the actor sees: each role starts in its own application."""
    return next((item.href for item in NAV if _shown(item, actor)), "/forest/publicity")


def _nav(request: Request, actor: Actor) -> list[dict]:
    path = request.url.path
    items = []
    for item in NAV:
        if not _shown(item, actor):
            continue
        active = path == item.href or (not item.href.endswith("/") and path.startswith(item.href))
        items.append({"label": item.label, "href": item.href, "active": active})
    return items


# The document a page's application rests on, shown in the footer.
FOOTERS = {"plan": "footer.basis_plan", "finreg": "footer.basis_finreg", "forest": "footer.basis"}


def base_context(request: Request) -> dict:
    lang = lang_of(request)
    actor = actor_of(request)
    path = request.url.path
    app = ("plan" if path.startswith(("/plan", "/public/plan")) else "finreg" if path.startswith("/finreg")
           else "forest")
    return {
        "footer_basis": FOOTERS[app],
        "lang": lang,
        "html_lang": "en" if lang == "en" else "zh-CN",
        "actor": actor,
        "logged_in": actor.user_id is not None,
        "csrf_token": csrf_token(request),
        "nav": _nav(request, actor),
        "flash": request.session.pop("flash", None),
        "lang_url": _lang_url(request, other_lang(lang)),
        "other_lang": other_lang(lang),
    }


def render(request: Request, name: str, context: dict | None = None, status_code: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    """Render a template with the frame's context (language, actor, CSRF token, navigation)."""
    ctx = base_context(request) | (context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code, headers=headers)


def render_page(request: Request, page: str, fragment: str, context: dict | None = None,
                status_code: int = 200) -> HTMLResponse:
    """The full page, or only its `_fragment` when htmx asks for it (filters, paging). The two share a
    URL, so caches are told the answer varies with the HX-Request header."""
    return render(request, fragment if is_htmx(request) else page, context, status_code,
                  headers={"Vary": "HX-Request"})
